import { existsSync } from "node:fs";
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join, relative } from "node:path";
import { ClickstreamError } from "../errors/clickstream-error.js";
import { parseHolder } from "../collector/wal-lock.js";
import { holderIsLive, type LockHolder } from "../storage/lock-file.js";
import { runLockPath } from "../transform/run-lock.js";

/**
 * What a demo wrote into its warehouse, kept in `_state/demo.json`: a rerun may wipe the folder only when
 * nothing else is in it. The demo's default folder, ./warehouse, is also the default of `serve`,
 * `transform` and `query`, so the real commands may have put data there since.
 */
export interface DemoRecord {
  createdAt: string;
  /** Every raw object the demo's collector delivered, with its size (`raw/…` relative to the warehouse). */
  rawObjects: { key: string; size: number }[];
}

export const demoRecordPath = join("_state", "demo.json");

export async function writeDemoRecord(
  warehouse: string,
  rawObjects: DemoRecord["rawObjects"],
): Promise<void> {
  const record: DemoRecord = { createdAt: new Date().toISOString(), rawObjects };
  await writeFile(join(warehouse, demoRecordPath), `${JSON.stringify(record, null, 2)}\n`);
}

/** Every file under `raw/`, with its size, as the record keeps them. */
export async function rawFiles(warehouse: string): Promise<DemoRecord["rawObjects"]> {
  const root = join(warehouse, "raw");
  if (!existsSync(root)) return [];
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  const files: DemoRecord["rawObjects"] = [];
  for (const entry of entries.filter((e) => e.isFile())) {
    const path = join(entry.parentPath, entry.name);
    files.push({ key: relative(warehouse, path).split("\\").join("/"), size: (await stat(path)).size });
  }
  return files.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * Refuses (CS_ERR_DEMO_WAREHOUSE_IN_USE, saying why) unless the folder is empty or holds only what a demo
 * wrote: no demo record; write-ahead log segments (events a collector acknowledged and has not delivered);
 * a collector or transform lock whose process is alive; a raw object the demo did not write (or one since
 * overwritten); saved query results.
 */
export async function assertDemoMayWipe(warehouse: string): Promise<void> {
  if (!existsSync(warehouse) || (await readdir(warehouse)).length === 0) return;
  const refuse = (why: string): never => {
    throw new ClickstreamError("CS_ERR_DEMO_WAREHOUSE_IN_USE", `${warehouse} ${why}; nothing was deleted`);
  };
  let record: DemoRecord;
  try {
    record = JSON.parse(await readFile(join(warehouse, demoRecordPath), "utf8")) as DemoRecord;
    if (!Array.isArray(record.rawObjects)) throw new Error("no rawObjects");
  } catch {
    return refuse("holds data that a demo did not create (no readable _state/demo.json)");
  }
  const collectorState = join(warehouse, "_state", "collector");
  const segments = (await listFiles(collectorState)).filter((f) => f.endsWith(".wal"));
  if (segments.length > 0) {
    refuse(
      `holds ${segments.length} write-ahead log segment(s) of a collector under _state/collector/ (acknowledged events not yet in raw/): start \`clickstream serve\` on it to deliver them`,
    );
  }
  const collectorLockPath = join(collectorState, "wal", "collector.lock");
  const collectorLock = await readFile(collectorLockPath, "utf8").catch(() => "");
  const collector = parseHolder(collectorLock);
  if (collector && (await holderIsLive(collector, collectorLockPath, collectorLock))) {
    refuse(`is in use by a running collector (pid ${collector.pid})`);
  }
  const transformLock = await readFile(runLockPath(warehouse), "utf8").catch(() => undefined);
  if (transformLock !== undefined && (await transformLockIsLive(runLockPath(warehouse), transformLock))) {
    refuse("is in use by a running transform (_state/transform/lock)");
  }
  const recorded = new Map(record.rawObjects.map((o) => [o.key, o.size]));
  const foreign = (await rawFiles(warehouse)).filter((f) => recorded.get(f.key) !== f.size);
  if (foreign.length > 0) {
    const shown = foreign
      .slice(0, 3)
      .map((f) => f.key)
      .join(", ");
    refuse(
      `holds ${foreign.length} raw object(s) the demo did not write (${shown}${foreign.length > 3 ? ", …" : ""})`,
    );
  }
  const results = await listFiles(join(warehouse, "athena-results"));
  if (results.length > 0) refuse(`holds ${results.length} saved query result file(s) under athena-results/`);
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
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
