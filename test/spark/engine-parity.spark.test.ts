import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { cp, readFile, stat } from "node:fs/promises";
import { gzipSync } from "node:zlib";
import { after, describe, it, type TestContext } from "node:test";
import { fileURLToPath } from "node:url";
import { parseConfig } from "../../src/config/load-config.js";
import type { SparkRunReport } from "../../src/spark/spark-job-runner.js";
import { LocalStorage } from "../../src/storage/local-storage.js";
import { rawObjectKey } from "../../src/storage/warehouse-layout.js";
import type { RunReport } from "../../src/table/run-report.js";
import { runTransform } from "../../src/transform/run-transform.js";
import { compareWarehouses, tableRows, visibleFiles } from "../support/engine-parity.js";
import { pythonSide, requireTool } from "../support/optional-suite.js";
import { SharedSparkSession } from "../support/spark-session.js";
import { tempDir } from "../support/temp-dir.js";

const bin = fileURLToPath(new URL("../../../bin/clickstream", import.meta.url));
const vectorsDir = new URL("../../../test/vectors/", import.meta.url);
const config = parseConfig({}).transform;

let session: SharedSparkSession | undefined;
after(async () => session?.stop());

/** The shared Spark session, started by the first test that needs it (one JVM for the whole file). */
function spark(t: TestContext): SharedSparkSession | undefined {
  if (!requireTool(t, pythonSide)) return undefined;
  session ??= SharedSparkSession.start();
  return session;
}

/** Two warehouses holding the same raw objects: one per engine. */
interface Pair {
  local: string;
  spark: string;
}

async function newPair(): Promise<Pair> {
  return { local: await tempDir("parity-local-"), spark: await tempDir("parity-spark-") };
}

async function writeRaw(pair: Pair, key: string, body: Buffer | string): Promise<void> {
  for (const dir of [pair.local, pair.spark]) await new LocalStorage(dir).writeAtomic("raw", key, body);
}

/** The counts both engines report: everything in a run report that does not depend on layout or time. */
function counts(report: RunReport): Record<string, unknown> {
  return {
    status: report.status,
    fullRefresh: report.fullRefresh,
    processingTime: report.processingTime,
    objectsProcessed: report.objectsProcessed,
    records: report.records,
    rejectedByReason: report.rejectedByReason,
    unknownFields: report.unknownFields,
    unknownFieldsOmitted: report.unknownFieldsOmitted,
    partitionsWritten: report.partitionsWritten,
  };
}

/** One run of each engine over its warehouse, then every comparison; returns both reports. */
async function runBoth(
  t: TestContext,
  pair: Pair,
  now: string,
  fullRefresh = false,
): Promise<[RunReport, SparkRunReport] | undefined> {
  const session = spark(t);
  if (!session) return undefined;
  const at = new Date(now);
  const local = await runTransform({
    storage: new LocalStorage(pair.local),
    config,
    workDir: pair.local,
    now: at,
    fullRefresh,
  });
  const sparkReport = await session.run({
    warehouse: pair.spark,
    runId: `spark-${randomUUID().slice(0, 8)}`,
    now: at,
    fullRefresh,
    config,
  });
  assert.deepEqual(counts(sparkReport), counts(local), "run reports: the same counts");
  assert.equal(
    sparkReport.records.read,
    sparkReport.records.written + sparkReport.records.rejected,
    "read = written + rejected",
  );
  await assertSameWarehouses(pair);
  return [local, sparkReport];
}

async function assertSameWarehouses(pair: Pair): Promise<void> {
  const diff = await compareWarehouses(pair.local, pair.spark);
  for (const [table, d] of [
    ["transformed", diff],
    ["sessions", diff.sessions],
  ] as const) {
    assert.deepEqual(d.columnTypes[1], d.columnTypes[0], `${table}: columns and their DuckDB types`);
    assert.deepEqual(d.parquetTypes[1], d.parquetTypes[0], `${table}: Parquet physical and logical types`);
    assert.deepEqual(d.rowCounts[1], d.rowCounts[0], `${table}: row count`);
    assert.deepEqual(
      { onlyLocal: d.onlyInFirst, onlySpark: d.onlyInSecond },
      { onlyLocal: [], onlySpark: [] },
      `${table}: every row, every column, in the same partition`,
    );
  }
  // Which records were rejected, where and why: exact.
  const place = (lines: string[]): string[] =>
    lines.map((l) => JSON.stringify((JSON.parse(l) as unknown[]).slice(0, 4)));
  const [localPlaces, sparkPlaces] = [place(diff.rejects[0]), place(diff.rejects[1])];
  assert.deepEqual(
    {
      onlyLocal: multisetMinus(localPlaces, sparkPlaces),
      onlySpark: multisetMinus(sparkPlaces, localPlaces),
    },
    { onlyLocal: [], onlySpark: [] },
    "reject lines: source, line, reason, field",
  );
  // And their raw text, exactly.
  assert.deepEqual(
    {
      onlyLocal: multisetMinus(diff.rejects[0], diff.rejects[1]),
      onlySpark: multisetMinus(diff.rejects[1], diff.rejects[0]),
    },
    { onlyLocal: [], onlySpark: [] },
    "reject lines: raw text, exactly",
  );
  assert.ok(diff.rowCounts[0] > 0 || diff.rejects[0].length > 0, "the comparison saw data");
}

/** Items of `a` not matched one for one in `b` (at most 10, to keep a failure readable). */
function multisetMinus(a: string[], b: string[]): string[] {
  const left = new Map<string, number>();
  for (const x of b) left.set(x, (left.get(x) ?? 0) + 1);
  const out: string[] = [];
  for (const x of a) {
    const n = left.get(x) ?? 0;
    if (n > 0) left.set(x, n - 1);
    else out.push(x.length > 400 ? `${x.slice(0, 400)}…` : x);
  }
  return out.slice(0, 10);
}

describe("parity over the golden vectors (test/vectors/)", () => {
  it("every rules and framing case gives the same rows and rejects in both engines", async (t) => {
    const rules = JSON.parse(await readFile(new URL("rules.json", vectorsDir), "utf8")) as {
      now: string;
      cases: { raw: string; pad?: { marker: string; toBytes: number }; expect: object }[];
    };
    const framing = JSON.parse(await readFile(new URL("framing.json", vectorsDir), "utf8")) as {
      now: string;
      cases: { text?: string; base64?: string; key?: string }[];
    };
    assert.equal(rules.now, framing.now, "one processing time for both files");
    const pair = await newPair();
    const text = rules.cases
      .map((c) => {
        if (!c.pad) return c.raw;
        const fill = c.pad.toBytes - Buffer.byteLength(c.raw) + c.pad.marker.length;
        return c.raw.replace(c.pad.marker, "x".repeat(fill));
      })
      .join("\n");
    await writeRaw(pair, "raw/year=2026/month=11/day=25/vectors-rules-1", `${text}\n`);
    // Framing cases reuse event ids across cases: as separate objects they also exercise dedup.
    for (const [i, c] of framing.cases.entries()) {
      const body = c.base64 !== undefined ? Buffer.from(c.base64, "base64") : Buffer.from(c.text ?? "");
      await writeRaw(
        pair,
        `raw/year=2026/month=11/day=25/vectors-framing-${String(i).padStart(2, "0")}${c.key?.endsWith(".gz") ? ".gz" : ""}`,
        body,
      );
    }
    const reports = await runBoth(t, pair, rules.now);
    const expectRow = (c: object): boolean => "row" in (c as { expect: object }).expect;
    if (reports) {
      assert.ok((await tableRows(pair.spark, [], "sessions")).length > 0, "the vectors make sessions rows");
      assert.ok(
        reports[1].records.written >= rules.cases.filter(expectRow).length,
        "every valid rules case is written",
      );
      assert.ok(reports[1].records.rejected >= rules.cases.filter((c) => !expectRow(c)).length);
    }
  });
});

describe("parity over runs: generated corpus, late data, nothing new, full refresh (events and sessions)", () => {
  let pair: Pair;
  let firstRows: string[] = [];
  const start = "2026-11-24";

  it("run 1: a generated corpus, every framing, gzip, 5% dirty records", async (t) => {
    if (!spark(t)) return;
    pair = await newPair();
    execFileSync(bin, [
      "generate",
      "--events",
      "4000",
      "--users",
      "200",
      "--days",
      "3",
      "--start",
      start,
      "--framing",
      "mixed",
      "--dirty",
      "0.05",
      "--gzip",
      "--objects",
      "12",
      "--warehouse",
      pair.local,
    ]);
    await cp(`${pair.local}/raw`, `${pair.spark}/raw`, { recursive: true });
    const reports = await runBoth(t, pair, "2026-11-27T00:00:00Z");
    assert.ok(reports);
    const [, report] = reports;
    assert.ok(report.records.rejected > 100, "dirty records were rejected");
    assert.ok(Object.values(report.rejectedByReason).filter((n) => n > 0).length >= 7, "most reasons occur");
    firstRows = await tableRows(pair.spark);
    assert.ok((await tableRows(pair.spark, [], "sessions")).length > 100, "sessions rows were compared");
  });

  it("run 2: late events, re-sent ids and sessions extended across runs (event_sequence over whole sessions)", async (t) => {
    if (!spark(t) || firstRows.length === 0) return;
    const rows = firstRows.map((r) => JSON.parse(r) as Record<string, string | number | null>);
    const bySession = new Map<string, Record<string, string | number | null>[]>();
    for (const r of rows)
      if (r.session_id !== null)
        bySession.set(String(r.session_id), [...(bySession.get(String(r.session_id)) ?? []), r]);
    const sessions = [...bySession.entries()].filter(([, rs]) => rs.length >= 3).slice(0, 4);
    assert.equal(sessions.length, 4);
    const shift = (iso: string | number | null, ms: number): string =>
      new Date(new Date(String(iso)).getTime() + ms).toISOString();
    const first = (rs: Record<string, string | number | null>[]): string =>
      rs.map((r) => String(r.timestamp)).sort()[0]!;
    const last = (rs: Record<string, string | number | null>[]): string =>
      rs
        .map((r) => String(r.timestamp))
        .sort()
        .at(-1)!;
    const event = (id: string, session: string | null, timestamp: string, extra = {}): string =>
      JSON.stringify({
        event_id: id,
        user_id: "u-late",
        ...(session ? { session_id: session } : {}),
        event_type: "page_view",
        timestamp,
        ...extra,
      });
    const [[s1, r1], [s2, r2], [s3, r3], [s4, r4]] = sessions as [
      string,
      Record<string, string | number | null>[],
    ][];
    const lines = [
      event("late-1", s1, shift(first(r1), -60_000)), // before every event of s1: shifts its sequence
      event("late-2", s2, shift(last(r2), 60_000), { price: "9.50" }), // extends s2 after its last event
      event("late-3", s3, shift(first(r3), 1), { quantity: 2 }), // between s3's first and second events
      // A day before s4 began, a purchase from another device: s4's sessions row moves to an earlier
      // partition, with a new first event (visitor from its anonymous_id) and more revenue.
      event("late-8", s4, shift(first(r4), -86_400_000), {
        event_type: "purchase",
        price: "12.50",
        quantity: 2,
        properties: { anonymous_id: "anon-late", plan: "pro" },
      }),
      event("late-4", "s-new-old-day", "2026-11-20T08:00:00.000Z"), // a late day: a new partition
      event("late-5", "s-new-old-day", "2026-11-20T08:00:00.000Z"),
      event("late-6", null, "2026-11-21T09:30:00+02:00"),
      event(String(rows[0]!.event_id), "s-dup", "2026-11-25T10:00:00Z"), // an id written by run 1
      event(String(rows[1]!.event_id), "s-dup", "2026-11-10T10:00:00Z"), // the same, re-sent for another day
      event("late-4", "s-dup", "2026-11-25T10:00:00Z"), // a duplicate within this run
      '{"event_id": "broken", ',
      "42",
    ];
    const arrival = new Date("2026-11-27T05:00:00Z");
    const plain = rawObjectKey({ stream: "clickstream-pipeline-stream", arrival, uuid: randomUUID() });
    await writeRaw(pair, plain, `${lines.join("\n")}\n`);
    const zipped = rawObjectKey({
      stream: "clickstream-pipeline-stream",
      arrival: new Date(arrival.getTime() + 1000),
      uuid: randomUUID(),
      gzip: true,
    });
    await writeRaw(
      pair,
      zipped,
      gzipSync(`[${event("late-7", s2, shift(last(r2), 120_000))},${event("late-1", s1, first(r1))}]`),
    );

    const reports = await runBoth(t, pair, "2026-11-27T06:00:00Z");
    assert.ok(reports);
    const [local, report] = reports;
    assert.equal(report.rejectedByReason.duplicate, 4);
    assert.equal(report.records.written, 8);
    // rowsRewritten: the rows of run 1 whose event_sequence changed, counted from the tables themselves.
    const before = new Map(rows.map((r) => [r.event_id, r.event_sequence]));
    const changed = (await tableRows(pair.spark))
      .map((r) => JSON.parse(r) as Record<string, string | number | null>)
      .filter((r) => before.has(r.event_id) && before.get(r.event_id) !== r.event_sequence).length;
    assert.equal(
      changed,
      r1.length + r3.length - 1 + r4.length,
      "s1 and s4 shift entirely, s3 all but its first event",
    );
    assert.equal(
      report.rowsRewritten,
      changed,
      "spark: rowsRewritten = existing rows whose sequence changed",
    );
    assert.equal(local.rowsRewritten, changed, "local: the same meaning");

    // The sessions rows (identical in both engines, checked above): s4 moved to the day before, merged.
    const sessionRows = (await tableRows(pair.spark, [], "sessions")).map(
      (r) => JSON.parse(r) as Record<string, string | number | boolean | null>,
    );
    const ids = sessionRows.map((r) => r.session_id);
    assert.equal(new Set(ids).size, ids.length, "one row per session");
    const moved = sessionRows.find((r) => r.session_id === s4)!;
    const lateStart = shift(first(r4), -86_400_000);
    assert.deepEqual(
      [moved.first_event_id, moved.visitor_id, moved.events, moved.converted],
      ["late-8", "anon-late", r4.length + 1, true],
    );
    assert.equal(`${moved.year}-${moved.month}-${moved.day}`, lateStart.slice(0, 10), "its new start's day");
    assert.equal(new Date(`${String(moved.start_time).replace(" ", "T")}Z`).toISOString(), lateStart);
    assert.equal(sessionRows.find((r) => r.session_id === s2)!.last_event_id, "late-7", "s2 extended");
    assert.equal(sessionRows.find((r) => r.session_id === "s-new-old-day")!.events, 2);
  });

  it("run 3: nothing new changes nothing (the ledger holds)", async (t) => {
    if (!spark(t) || firstRows.length === 0) return;
    const files = await visibleFiles(pair.spark, "transformed", ".parquet");
    const mtimes = await Promise.all(files.map(async (f) => (await stat(f)).mtimeMs));
    const sessionFiles = await visibleFiles(pair.spark, "sessions", ".parquet");
    assert.ok(sessionFiles.length > 0);
    const sessionMtimes = await Promise.all(sessionFiles.map(async (f) => (await stat(f)).mtimeMs));
    const reports = await runBoth(t, pair, "2026-11-27T12:00:00Z");
    assert.ok(reports);
    assert.equal(reports[1].status, "no_new_data");
    assert.deepEqual(await visibleFiles(pair.spark, "transformed", ".parquet"), files);
    assert.deepEqual(await Promise.all(files.map(async (f) => (await stat(f)).mtimeMs)), mtimes);
    assert.deepEqual(await visibleFiles(pair.spark, "sessions", ".parquet"), sessionFiles);
    assert.deepEqual(
      await Promise.all(sessionFiles.map(async (f) => (await stat(f)).mtimeMs)),
      sessionMtimes,
    );
  });

  it("--full-refresh equals the incremental result (all columns but processed_timestamp)", async (t) => {
    if (!spark(t) || firstRows.length === 0) return;
    const incremental = await tableRows(pair.spark, ["processed_timestamp"]);
    const incrementalSessions = await tableRows(pair.spark, ["processed_timestamp"], "sessions");
    const reports = await runBoth(t, pair, "2026-11-27T18:00:00Z", true);
    assert.ok(reports);
    assert.deepEqual(await tableRows(pair.spark, ["processed_timestamp"]), incremental);
    assert.deepEqual(
      await tableRows(pair.spark, ["processed_timestamp"], "sessions"),
      incrementalSessions,
      "sessions: merged run by run = built from every event at once",
    );
  });
});
