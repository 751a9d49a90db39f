import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { runCrawler } from "../src/catalog/crawler.js";
import { parseConfig } from "../src/config/load-config.js";
import { writeRawObjects } from "../src/generator/index.js";
import { openQueryEngine } from "../src/query/query-engine.js";
import { LocalStorage } from "../src/storage/local-storage.js";
import { rawObjectKey } from "../src/storage/warehouse-layout.js";
import { runCompaction } from "../src/transform/run-compaction.js";
import type { RunReport } from "../src/table/run-report.js";
import { loadSnapshot } from "../src/table/table-snapshot.js";
import { fmt, type BenchSection } from "./bench-section.js";

const exec = promisify(execFile);
const child = fileURLToPath(new URL("./transform-child.js", import.meta.url));
const cli = fileURLToPath(new URL("../../bin/clickstream", import.meta.url));
const NOW = "2026-12-01T00:00:00Z";

async function transform(warehouse: string, now = NOW): Promise<{ report: RunReport; wallMs: number }> {
  const started = performance.now();
  const { stdout } = await exec(process.execPath, [child, warehouse, now, "incremental"], {
    maxBuffer: 64 << 20,
  });
  return { ...(JSON.parse(stdout) as { report: RunReport }), wallMs: performance.now() - started };
}

const generate = (
  warehouse: string,
  o: { events: number; perObject: number; seed: number; start?: string; arrival?: string; users?: number },
) =>
  writeRawObjects(new LocalStorage(warehouse), {
    events: o.events,
    users: o.users ?? Math.max(500, Math.floor(o.events / 20)),
    days: 1,
    start: new Date(o.start ?? "2026-11-20T00:00:00Z"),
    seed: o.seed,
    dirtyRate: 0,
    eventsPerObject: o.perObject,
    ...(o.arrival ? { arrival: new Date(o.arrival) } : {}),
  });

/**
 * Whether a run's cost follows its new data, not the history: appending to a full day against the same
 * events into an empty warehouse, many small objects against one, a run with nothing new over a long
 * history, and queries on a partition built by many appends against the same partition compacted.
 */
export async function runScaleBench(options: { quick: boolean }): Promise<BenchSection> {
  const root = await mkdtemp(join(tmpdir(), "clickstream-scale-bench-"));
  const rows: BenchSection["rows"] = [];
  const notes: string[] = [];
  try {
    // 1. 1,000 events into a day that holds 1M rows, against the same 1,000 into an empty warehouse.
    const dayRows = options.quick ? 50_000 : 1_000_000;
    const full = join(root, "full-day");
    await generate(full, { events: dayRows, perObject: 50_000, seed: 1 });
    await transform(full);
    const empty = join(root, "empty");
    for (const w of [full, empty]) {
      await generate(w, { events: 1_000, perObject: 1_000, seed: 2, arrival: "2026-11-20T23:59:00Z" });
    }
    const intoFull = await transform(full);
    const intoEmpty = await transform(empty);
    const appendRatio = intoFull.wallMs / intoEmpty.wallMs;
    rows.push({
      name: `1,000 events into a day of ${fmt.int(dayRows)} rows vs into an empty warehouse`,
      value: `${fmt.seconds(intoFull.wallMs)} vs ${fmt.seconds(intoEmpty.wallMs)} = ${fmt.ratio(appendRatio)}; rows rewritten ${intoFull.report.rowsRewritten}`,
      goal: "≤ 2×",
      met: appendRatio <= 2,
    });

    // 2. 200,000 events in 20,000 objects of 10, against the same events in one object.
    const smallEvents = options.quick ? 20_000 : 200_000;
    const many = join(root, "many-objects");
    const one = join(root, "one-object");
    await generate(many, { events: smallEvents, perObject: 10, seed: 3 });
    await generate(one, { events: smallEvents, perObject: smallEvents, seed: 3 });
    const manyRun = await transform(many);
    const oneRun = await transform(one);
    const objectRatio = manyRun.wallMs / oneRun.wallMs;
    rows.push({
      name: `${fmt.int(smallEvents)} events in ${fmt.int(smallEvents / 10)} objects vs in one object`,
      value: `${fmt.seconds(manyRun.wallMs)} vs ${fmt.seconds(oneRun.wallMs)} = ${fmt.ratio(objectRatio)}`,
      goal: "≤ 1.5×",
      met: objectRatio <= 1.5,
    });

    // 3. A run with nothing new, 100,000 objects of history (one a minute for ~70 days), whole command.
    const historyObjects = options.quick ? 5_000 : 100_000;
    const history = join(root, "history");
    const start = Date.parse("2026-09-20T00:00:00Z");
    for (let i = 0; i < historyObjects; i++) {
      const arrival = new Date(start + i * 60_000);
      const key = rawObjectKey({ stream: "s", arrival, uuid: `h${i}` });
      const path = join(history, ...key.split("/"));
      await mkdir(dirname(path), { recursive: true });
      const event = {
        event_id: `h${i}`,
        user_id: "u",
        event_type: "page_view",
        timestamp: arrival.toISOString(),
      };
      await writeFile(path, `${JSON.stringify(event)}\n`);
    }
    const lastArrival = new Date(start + historyObjects * 60_000).toISOString();
    const setup = await transform(history, lastArrival);
    const noop = performance.now();
    await exec(process.execPath, [cli, "transform", "--warehouse", history, "--now", lastArrival]);
    const noopMs = performance.now() - noop;
    const bookmarkBytes = (
      await new LocalStorage(history).readBytes("state", "_state/transform/bookmark.json")
    ).length;
    rows.push({
      name: `run with nothing new, ${fmt.int(historyObjects)} objects of history (CLI, Node start-up included)`,
      value: `${fmt.seconds(noopMs)}; bookmark ${fmt.int(bookmarkBytes)} bytes`,
      goal: "< 1 s",
      met: noopMs < 1000,
    });
    notes.push(
      `The history's first run read ${fmt.int(historyObjects)} objects of one event in ${fmt.seconds(setup.wallMs)}.`,
    );

    // 3b. A run with nothing new, 50,000 objects in two day folders inside the look-back window (20k +
    // 30k): every run lists them and looks each up in the bookmark.
    const openObjects = options.quick ? 5_000 : 50_000;
    const open = join(root, "open-days");
    for (let i = 0; i < openObjects; i++) {
      const day = i < openObjects * 0.4 ? "2026-11-29" : "2026-11-30";
      const key = rawObjectKey({ stream: "s", arrival: new Date(`${day}T12:00:00Z`), uuid: `o${i}` });
      const path = join(open, ...key.split("/"));
      if (i === 0 || i === Math.ceil(openObjects * 0.4)) await mkdir(dirname(path), { recursive: true });
      const event = {
        event_id: `o${i}`,
        user_id: "u",
        event_type: "page_view",
        timestamp: `${day}T12:00:00Z`,
      };
      await writeFile(path, `${JSON.stringify(event)}\n`);
    }
    await transform(open, NOW);
    const openNoop = performance.now();
    await exec(process.execPath, [cli, "transform", "--warehouse", open, "--now", NOW]);
    const openNoopMs = performance.now() - openNoop;
    rows.push({
      name: `run with nothing new, ${fmt.int(openObjects)} objects in two open day folders (CLI, Node start-up included)`,
      value: fmt.seconds(openNoopMs),
      goal: "< 1 s",
      met: openNoopMs < 1000,
    });

    // 4. Query a partition built by 100 appending runs, then the same partition compacted.
    const appends = options.quick ? 20 : 100;
    const perRun = 1_000;
    const appended = join(root, "appended");
    const storage = new LocalStorage(appended);
    for (let run = 0; run < appends; run++) {
      await generate(appended, {
        events: perRun,
        perObject: perRun,
        seed: 100 + run,
        start: "2026-11-21T00:00:00Z",
        arrival: `2026-11-21T${String(Math.floor(run / 5)).padStart(2, "0")}:${String((run % 5) * 10).padStart(2, "0")}:00Z`,
      });
      await transform(appended);
    }
    const config = parseConfig({ warehouse: { dir: appended } });
    await runCrawler({ storage, config });
    const sql = `SELECT count(*) AS events, count(DISTINCT session_id) AS sessions, sum(price) AS revenue,
      max(event_sequence) AS longest FROM transformed WHERE year = '2026' AND month = '11' AND day = '21'`;
    const timeQuery = async (): Promise<number> => {
      const engine = await openQueryEngine({ storage, config });
      try {
        for (let i = 0; i < 3; i++) await engine.run(sql);
        // Queries of a few ms: the median of many, or a scheduling hiccup decides the ratio.
        const times: number[] = [];
        for (let i = 0; i < 31; i++) {
          const t = performance.now();
          await engine.run(sql);
          times.push(performance.now() - t);
        }
        return times.sort((a, b) => a - b)[15]!;
      } finally {
        engine.close();
      }
    };
    const before = (await loadSnapshot(storage))!.partitions["year=2026/month=11/day=21"]!.length;
    const appendedMs = await timeQuery();
    await runCompaction({ storage, config: config.transform, workDir: appended, partitions: [] });
    await runCrawler({ storage, config });
    const compactedMs = await timeQuery();
    const queryRatio = appendedMs / compactedMs;
    rows.push({
      name: `query on a partition after ${appends} appending runs (${before} files) vs compacted (1 file)`,
      value: `${appendedMs.toFixed(1)} ms vs ${compactedMs.toFixed(1)} ms = ${fmt.ratio(queryRatio)}`,
      goal: "≤ 1.2×",
      met: queryRatio <= 1.2,
    });
    notes.push(
      "Transforms run as child processes (Node start-up included); queries are the median of 31 in one engine, after 3 warm-ups.",
      `The appending runs compact by themselves past transform.compactAfterFiles (${config.transform.compactAfterFiles}) files.`,
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  return { title: "scale: a run's cost follows its new data", rows, notes };
}
