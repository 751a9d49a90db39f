import { existsSync } from "node:fs";
import { lstat, mkdir, readdir, readFile, rename, rm, rmdir, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { dirname, join, relative, sep } from "node:path";
import { ClickstreamError } from "../errors/clickstream-error.js";
import { defaultWalDir } from "../collector/collector-server.js";
import { parseHolder, walLockPath } from "../collector/wal-lock.js";
import { holderIsLive, type LockHolder } from "../storage/lock-file.js";
import { runLockPath } from "../table/run-lock.js";
import { stateKeys } from "../storage/warehouse-layout.js";

/**
 * What a demo left in its warehouse, kept in `_state/demo.json`: every file present when the demo finished
 * (the raw objects its collector delivered and what transform and crawl made of them), so that a rerun
 * deletes exactly these and nothing else. The demo's default folder, ./warehouse, is also the default of
 * `serve`, `transform`, `query` and `console`, so the real commands may have put data there since.
 */
interface DemoRecord {
  version: 2;
  createdAt: string;
  files: DemoFile[];
}

/** A file as the demo left it: a file of the same path but another size or time is not the demo's any more. */
export interface DemoFile {
  /** Relative to the warehouse, `/`-separated. */
  path: string;
  size: number;
  mtimeMs: number;
}

const demoRecordPath = stateKeys.demoRecord;

/** How many paths a refusal lists. */
const listedPaths = 10;

/** Records every file now in the warehouse as the demo's (written atomically: a torn record names nothing). */
export async function recordDemoFiles(warehouse: string): Promise<DemoFile[]> {
  const target = join(warehouse, demoRecordPath);
  await mkdir(dirname(target), { recursive: true });
  const files = await filesIn(warehouse);
  const record: DemoRecord = { version: 2, createdAt: new Date().toISOString(), files };
  const temporary = `${target}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(record, null, 2)}\n`);
  await rename(temporary, target);
  return files;
}

/**
 * The files a rerun may delete: every file in the folder, each named by the demo record with the size and
 * time the demo left it. Refuses (CS_ERR_DEMO_WAREHOUSE_IN_USE, saying why and listing what it found)
 * when there is no readable record, a collector's write-ahead log segments (events acknowledged and not
 * delivered), a live collector or transform lock, or any file the record does not name as it is now.
 */
export async function planDemoWipe(warehouse: string): Promise<string[]> {
  if (!existsSync(warehouse)) return [];
  const present = await filesIn(warehouse);
  const refuse = (why: string): never => {
    throw new ClickstreamError("CS_ERR_DEMO_WAREHOUSE_IN_USE", `${warehouse} ${why}; nothing was deleted`);
  };
  const record = await readRecord(warehouse);
  if (record === undefined) {
    if (present.length === 0) return [];
    return refuse(
      `holds ${present.length} file(s) but no readable demo record (${demoRecordPath}) naming them: ${someOf(present.map((f) => f.path))}`,
    );
  }
  const segments = present.filter(
    (f) => f.path.startsWith(stateKeys.collectorPrefix) && f.path.endsWith(".wal"),
  );
  if (segments.length > 0) {
    refuse(
      `holds ${segments.length} write-ahead log segment(s) of a collector under _state/collector/ (acknowledged events not yet in raw/): start \`clickstream serve\` on it to deliver them`,
    );
  }
  const collectorLockPath = walLockPath(defaultWalDir(warehouse));
  const collectorLock = await readFile(collectorLockPath, "utf8").catch(() => "");
  const collector = parseHolder(collectorLock);
  if (collector && (await holderIsLive(collector, collectorLockPath, collectorLock))) {
    refuse(`is in use by a running collector (pid ${collector.pid})`);
  }
  const transformLock = await readFile(runLockPath(warehouse), "utf8").catch(() => undefined);
  if (transformLock !== undefined && (await transformLockIsLive(runLockPath(warehouse), transformLock))) {
    refuse("is in use by a running transform (_state/transform/lock)");
  }
  const recorded = new Map(record.files.map((f) => [f.path, f]));
  const foreign = present.filter((f) => {
    const mine = recorded.get(f.path);
    return mine === undefined || mine.size !== f.size || mine.mtimeMs !== f.mtimeMs;
  });
  if (foreign.length > 0) {
    refuse(
      `holds ${foreign.length} file(s) the demo did not write (or changed since): ${someOf(foreign.map((f) => f.path))}`,
    );
  }
  return present.map((f) => f.path);
}

/**
 * Deletes the given files (planDemoWipe's), then the record, then the folders that left empty. Files only,
 * one by one, and folders only when empty: whatever appeared since the plan stays.
 */
export async function wipeDemoFiles(warehouse: string, paths: readonly string[]): Promise<void> {
  const folders = new Set<string>();
  for (const path of [...paths, demoRecordPath]) {
    await rm(join(warehouse, ...path.split("/")), { force: true });
    for (let dir = dirname(path); dir !== "."; dir = dirname(dir)) folders.add(dir);
  }
  // Deepest first, so a parent is tried after its children.
  const deepestFirst = [...folders].sort((a, b) => b.split("/").length - a.split("/").length);
  for (const dir of deepestFirst) {
    await rmdir(join(warehouse, ...dir.split("/"))).catch(() => undefined); // not empty, or gone: kept
  }
}

async function readRecord(warehouse: string): Promise<DemoRecord | undefined> {
  try {
    const record = JSON.parse(await readFile(join(warehouse, demoRecordPath), "utf8")) as DemoRecord;
    return record.version === 2 && Array.isArray(record.files) ? record : undefined;
  } catch {
    return undefined;
  }
}

/** Every entry but folders (files, links, anything else) under the warehouse, but the record itself. */
async function filesIn(warehouse: string): Promise<DemoFile[]> {
  const entries = await readdir(warehouse, { recursive: true, withFileTypes: true });
  const files: DemoFile[] = [];
  for (const entry of entries.filter((e) => !e.isDirectory())) {
    const absolute = join(entry.parentPath, entry.name);
    const path = relative(warehouse, absolute).split(sep).join("/");
    if (path === demoRecordPath) continue;
    const { size, mtimeMs } = await lstat(absolute);
    files.push({ path, size, mtimeMs });
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The first few paths, and how many more. */
function someOf(paths: readonly string[]): string {
  const shown = paths.slice(0, listedPaths).join(", ");
  return paths.length > listedPaths ? `${shown} and ${paths.length - listedPaths} more` : shown;
}

/**
 * A transform lock is live unless it names a process of this host that is gone (or whose pid another
 * process has now, lock-file.ts); unreadable counts as live.
 */
async function transformLockIsLive(path: string, text: string): Promise<boolean> {
  let owner: Partial<LockHolder> & { host?: unknown };
  try {
    owner = JSON.parse(text) as Partial<LockHolder> & { host?: unknown };
  } catch {
    return true;
  }
  if (typeof owner.pid !== "number" || owner.host !== hostname()) return true;
  return holderIsLive({ ...owner, pid: owner.pid }, path, text);
}
