// test tier: slow (kill loops and process races)
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cp } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { before, describe, it } from "node:test";
import { parseConfig } from "../../src/config/load-config.js";
import { LocalStorage } from "../../src/storage/local-storage.js";
import { rawObjectKey } from "../../src/storage/warehouse-layout.js";
import { recover } from "../../src/table/commit-log.js";
import { runTransform } from "../../src/transform/run-transform.js";
import { loadSnapshot } from "../../src/table/table-snapshot.js";
import { daySessions, ndjson } from "../support/sample-events.js";
import { tempDir } from "../support/temp-dir.js";
import { readTransformed, type TransformedRow } from "../support/warehouse-reader.js";

const cli = fileURLToPath(new URL("../../../bin/clickstream", import.meta.url));
const config = parseConfig({}).transform;
const strip = (rows: TransformedRow[]) => rows.map(({ processed_timestamp: _p, ...rest }) => rest);

function compact(
  warehouse: string,
  killAfterMs?: number,
): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, "compact", "--warehouse", warehouse], { stdio: "ignore" });
    const timer =
      killAfterMs === undefined ? undefined : setTimeout(() => child.kill("SIGKILL"), killAfterMs);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

describe("compaction under crashes and readers (child processes)", () => {
  let template = "";
  let expected: ReturnType<typeof strip> = [];

  before(async () => {
    template = await tempDir();
    const storage = new LocalStorage(template);
    // Twelve small runs into two days: many small files to merge.
    for (let run = 0; run < 12; run++) {
      const day = run % 2 === 0 ? "2026-11-23" : "2026-11-24";
      const key = rawObjectKey({
        stream: "t",
        arrival: new Date(`${day}T${String(run + 10).padStart(2, "0")}:00:00Z`),
        uuid: `r${run}`,
      });
      await storage.writeAtomic("raw", key, ndjson(daySessions(day, 3, 3, `${day}-r${run}`)));
      await runTransform({
        storage,
        config: { ...config, compactAfterFiles: 100 },
        workDir: template,
        now: new Date("2026-11-25T12:00:00Z"),
      });
    }
    expected = strip(await readTransformed(template));
    assert.equal(expected.length, 12 * 9);
  });

  it("kill -9 at any moment of a compaction: afterwards the table is exactly as before", async () => {
    for (const killAfterMs of [150, 400, 700, 1000, 1500]) {
      const warehouse = await tempDir();
      await cp(template, warehouse, { recursive: true });
      await compact(warehouse, killAfterMs);
      // Readers see a whole snapshot even before anyone recovers…
      assert.deepEqual(
        strip(await readTransformed(warehouse)),
        expected,
        `before recovery, kill at ${killAfterMs} ms`,
      );
      // …and after recovery (what the next run or compaction does first) too.
      await recover(new LocalStorage(warehouse));
      assert.deepEqual(strip(await readTransformed(warehouse)), expected, `kill at ${killAfterMs} ms`);
      const done = await compact(warehouse);
      assert.equal(done.code, 0);
      assert.deepEqual(strip(await readTransformed(warehouse)), expected);
      const snapshot = await loadSnapshot(new LocalStorage(warehouse));
      for (const files of Object.values(snapshot!.partitions)) assert.equal(files.length, 1);
    }
  });

  it("readers during a compaction never see a missing or doubled row", async () => {
    const warehouse = await tempDir();
    await cp(template, warehouse, { recursive: true });
    const running = compact(warehouse);
    let reads = 0;
    let finished = false;
    void running.then(() => (finished = true));
    while (!finished || reads < 3) {
      assert.deepEqual(strip(await readTransformed(warehouse)), expected, `read ${reads}`);
      reads++;
    }
    assert.equal((await running).code, 0);
  });
});
