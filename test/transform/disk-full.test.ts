import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdir, rm, statfs, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { parseConfig } from "../../src/config/load-config.js";
import { isClickstreamError } from "../../src/errors/clickstream-error.js";
import { LocalStorage } from "../../src/storage/local-storage.js";
import { rawObjectKey } from "../../src/storage/warehouse-layout.js";
import { runTransform } from "../../src/transform/run-transform.js";
import { requireTool, tmpfsMount } from "../support/optional-suite.js";
import { event, ndjson } from "../support/sample-events.js";
import { tempDir } from "../support/temp-dir.js";
import { readTransformed } from "../support/warehouse-reader.js";

test("a full disk fails the run with CS_ERR_TRANSFORM_DISK_FULL naming the step; freed, the rerun is exact (#19.14)", async (t) => {
  if (!requireTool(t, tmpfsMount)) return;
  const warehouse = join(await tempDir("clickstream-full-"), "warehouse");
  await mkdir(warehouse);
  assert.equal(spawnSync("mount", ["-t", "tmpfs", "-o", "size=24m", "tmpfs", warehouse]).status, 0);
  t.after(() => void spawnSync("umount", ["-l", warehouse]));
  const storage = new LocalStorage(warehouse);
  const now = new Date("2026-11-25T12:00:00Z");
  const events = Array.from({ length: 20_000 }, (_, i) =>
    event(`e${i}`, `s${i % 500}`, `2026-11-25T10:${String(i % 60).padStart(2, "0")}:00.000Z`),
  );
  await storage.writeAtomic("raw", rawObjectKey({ stream: "t", arrival: now, uuid: "full" }), ndjson(events));
  // Leave less room than the run's Parquet, indexes and state need.
  const filler = join(warehouse, "filler");
  const { bavail, bsize } = await statfs(warehouse);
  await writeFile(filler, Buffer.alloc(Math.max(0, Number(bavail) * Number(bsize) - 64 * 1024)));
  const config = parseConfig({}).transform;
  const failure = await runTransform({ storage, config, workDir: warehouse, now }).then(
    () => undefined,
    (error: unknown) => error,
  );
  assert.ok(isClickstreamError(failure), `expected a coded error, got ${String(failure)}`);
  assert.equal(failure.code, "CS_ERR_TRANSFORM_DISK_FULL", failure.message);
  t.diagnostic(failure.message.slice(0, 300));
  assert.match(
    failure.message,
    /step "(frame|judge|per-record path|dedupe|sequence|write|index|commit|start)"/,
  );
  assert.deepEqual(await readTransformed(warehouse), [], "nothing was published");

  await rm(filler);
  const rerun = await runTransform({ storage, config, workDir: warehouse, now });
  assert.equal(rerun.records.written, 20_000);
  assert.equal((await readTransformed(warehouse)).length, 20_000);
});
