import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { DuckDBInstance } from "@duckdb/node-api";
import { parseConfig } from "../../src/config/load-config.js";
import { LocalStorage } from "../../src/storage/local-storage.js";
import type { BucketRole, Storage } from "../../src/storage/storage.js";
import { runTransform } from "../../src/transform/run-transform.js";
import { useS3rverWarehouse } from "../support/s3rver-server.js";
import { tempDir } from "../support/temp-dir.js";
import { readErrors, readTransformed } from "../support/warehouse-reader.js";

/** The local pipeline's transform, unchanged, with its buckets on an S3-protocol server. */

const s3rver = useS3rverWarehouse("e2e");

const event = (id: string, session: string, time: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    event_id: id,
    user_id: "u1",
    session_id: session,
    event_type: "page_view",
    timestamp: time,
    ...extra,
  });

/** Raw objects as Firehose writes them: NDJSON, concatenated, gzip; with a duplicate, a bad line and a late event. */
const day1 = [
  {
    key: "raw/year=2026/month=11/day=24/clickstream-pipeline-stream-1-2026-11-24-10-00-00-a",
    body: Buffer.from(
      [
        event("e1", "s1", "2026-11-24T10:00:00Z"),
        event("e2", "s1", "2026-11-24T10:05:00Z"),
        "{broken",
        event("e3", "s2", "2026-11-24T11:00:00Z"),
      ].join("\n") + "\n",
    ),
  },
  {
    key: "raw/year=2026/month=11/day=24/clickstream-pipeline-stream-1-2026-11-24-11-00-00-b.gz",
    body: gzipSync(event("e4", "s1", "2026-11-24T10:02:00Z") + event("e1", "s1", "2026-11-24T10:00:00Z")),
  },
];
const day2 = [
  {
    key: "raw/year=2026/month=11/day=25/clickstream-pipeline-stream-1-2026-11-25-09-00-00-c",
    // A late event of session s1 (yesterday), sorting before its first event: the whole session shifts.
    body: Buffer.from(
      [
        event("e0", "s1", "2026-11-24T09:59:00Z"),
        event("e5", "s3", "2026-11-25T08:00:00Z", { price: "abc" }),
      ].join("\n"),
    ),
  },
];

async function put(storage: Storage, objects: { key: string; body: Buffer }[]) {
  for (const o of objects) await storage.writeAtomic("raw", o.key, o.body);
}

/** Copies one role's objects into a local warehouse folder with the same keys (to read them with DuckDB). */
async function mirror(storage: Storage, role: BucketRole, into: string) {
  for await (const o of storage.list(role)) {
    const path = join(into, ...o.key.split("/"));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, await storage.readBytes(role, o.key));
  }
}

/** The sessions table's rows in a warehouse folder (every file under sessions/ is current). */
async function sessionRows(warehouse: string): Promise<unknown[]> {
  const db = await DuckDBInstance.create(":memory:");
  const connection = await db.connect();
  try {
    const reader = await connection.runAndReadAll(
      `SELECT * EXCLUDE (processed_timestamp) FROM read_parquet($glob) ORDER BY session_id`,
      { glob: join(warehouse, "sessions", "**", "*.parquet") },
    );
    return reader.getRowObjectsJson();
  } finally {
    connection.closeSync();
  }
}

const comparable = (rows: Awaited<ReturnType<typeof readTransformed>>) =>
  rows.map(({ processed_timestamp: _p, ...rest }) => rest).sort((a, b) => (a.event_id < b.event_id ? -1 : 1));

describe("the transform with its buckets on S3 (s3rver)", () => {
  it("produces the same rows, rejects and counts as on a local warehouse, run after run", async () => {
    const config = parseConfig({}).transform;
    const now = new Date("2026-11-25T12:00:00Z");
    const s3 = s3rver.storage();
    const local = new LocalStorage(await tempDir());
    const s3Work = await tempDir();

    for (const [batch, objects] of [day1, day2].entries()) {
      await put(s3, objects);
      await put(local, objects);
      const s3Report = await runTransform({ storage: s3, config, workDir: s3Work, now });
      const localReport = await runTransform({ storage: local, config, workDir: local.root, now });
      assert.equal(s3Report.objectsProcessed, objects.length, `batch ${batch}`);
      assert.deepEqual(s3Report.records, localReport.records);
      assert.deepEqual(s3Report.rejectedByReason, localReport.rejectedByReason);
      assert.deepEqual(s3Report.partitionsWritten, localReport.partitionsWritten);
      assert.equal(s3Report.records.read, s3Report.records.written + s3Report.records.rejected);
    }

    const view = await tempDir();
    await mirror(s3, "transformed", view);
    await mirror(s3, "errors", view);
    await mirror(s3, "state", view); // the table snapshot says which files are the table
    const rows = await readTransformed(view);
    assert.deepEqual(comparable(rows), comparable(await readTransformed(local.root)));
    // The sessions table too: S3's listing of the bucket holds sessions/ beside transformed/.
    const s3Sessions = await sessionRows(view);
    assert.ok(s3Sessions.length > 0);
    assert.deepEqual(s3Sessions, await sessionRows(local.root));
    // Session s1 across both runs: e0 (late) first, then e1, e4, e2; e1's twin was a duplicate.
    const s1 = rows
      .filter((r) => r.session_id === "s1")
      .sort((a, b) => Number(a.event_sequence) - Number(b.event_sequence));
    assert.deepEqual(
      s1.map((r) => [r.event_id, r.event_sequence, r.is_session_start]),
      [
        ["e0", 1, true],
        ["e1", 2, false],
        ["e4", 3, false],
        ["e2", 4, false],
      ],
    );
    const reasons = (await readErrors(view)).map((e) => e.reason).sort();
    assert.deepEqual(reasons, ["duplicate", "invalid_field", "malformed_json"]);

    // Nothing new: nothing changes.
    const again = await runTransform({ storage: s3, config, workDir: s3Work, now });
    assert.equal(again.status, "no_new_data");
    assert.equal(again.records.read, 0);
  });
});
