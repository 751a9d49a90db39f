import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, it } from "node:test";
import { tempDir } from "../support/temp-dir.js";
import { readErrors, readTransformed } from "../support/warehouse-reader.js";

const exec = promisify(execFile);
const cli = fileURLToPath(new URL("../../../bin/clickstream", import.meta.url));

describe("clickstream demo (npm start)", () => {
  it("runs collector → raw → transform → crawl → queries end to end and every count adds up", async () => {
    const warehouse = join(await tempDir(), "demo-warehouse");
    const { stdout, stderr } = await exec(process.execPath, [
      cli,
      "demo",
      "--warehouse",
      warehouse,
      "--events",
      "3000",
    ]);
    assert.equal(stderr, "", "no warnings or errors on stderr");
    const read = /transform: read (\d+) = written (\d+) \+ rejected (\d+)/.exec(stdout);
    assert.ok(read, stdout);
    const [readCount, written, rejected] = read.slice(1).map(Number) as [number, number, number];
    assert.equal(readCount, written + rejected);
    // 33 sample events + 3000 generated, less the one record over 1,000 KiB the collector refuses.
    assert.equal(readCount, 33 + 3000 - 1);
    assert.equal((await readTransformed(warehouse)).length, written);
    assert.equal((await readErrors(warehouse)).length, rejected);
    for (const title of ["Event type distribution", "Daily active users", "Purchase funnel"]) {
      assert.match(stdout, new RegExp(`-- Query \\d+: ${title}`));
    }
    assert.match(stdout, /\| 2026-11-24 \|/);

    // A second run starts again from a clean demo warehouse (same counts, no duplicates).
    const again = await exec(process.execPath, [cli, "demo", "--warehouse", warehouse, "--events", "3000"]);
    assert.match(
      again.stdout,
      new RegExp(`transform: read ${readCount} = written ${written} \\+ rejected ${rejected}`),
    );
  });

  it("refuses to wipe a folder a demo did not create", async () => {
    const warehouse = await tempDir();
    await writeFile(join(warehouse, "precious.txt"), "keep me");
    await refusesToWipe(warehouse, /did not create/);
  });

  // A demo warehouse (its record lists the one raw object it delivered) that the real commands, which
  // default to the same ./warehouse, have used since.
  async function demoWarehouse(): Promise<string> {
    const warehouse = await tempDir();
    const demoObject =
      "raw/year=2026/month=11/day=24/clickstream-pipeline-stream-1-2026-11-24-10-00-00-aaaa.json";
    await mkdir(dirname(join(warehouse, demoObject)), { recursive: true });
    await writeFile(join(warehouse, demoObject), '{"event_id":"demo"}\n');
    await mkdir(join(warehouse, "_state"), { recursive: true });
    await writeFile(
      join(warehouse, "_state", "demo.json"),
      JSON.stringify({ createdAt: "2026-11-24T10:00:00Z", rawObjects: [{ key: demoObject, size: 20 }] }),
    );
    return warehouse;
  }

  /** The demo exits 1 with the code and a reason, and every file of the folder is still there. */
  async function refusesToWipe(warehouse: string, reason: RegExp): Promise<void> {
    const before = await filesUnder(warehouse);
    await assert.rejects(
      exec(process.execPath, [cli, "demo", "--warehouse", warehouse, "--events", "10"]),
      (error: { code: number; stderr: string }) => {
        assert.equal(error.code, 1);
        assert.match(error.stderr, /error CS_ERR_DEMO_WAREHOUSE_IN_USE: /);
        assert.match(error.stderr, reason);
        assert.match(error.stderr, /nothing was deleted/);
        assert.match(error.stderr, /fix: Run the demo on a folder of its own/);
        return true;
      },
    );
    assert.deepEqual(await filesUnder(warehouse), before);
  }

  it("refuses a demo warehouse holding a collector's write-ahead log (acknowledged, undelivered events)", async () => {
    const warehouse = await demoWarehouse();
    const segment = join(warehouse, "_state/collector/wal/clickstream-pipeline-stream");
    await mkdir(segment, { recursive: true });
    await writeFile(join(segment, "0000000000000003-0b5e6a1c-2f4d-4c1e-9b7a-1d2e3f4a5b6c.wal"), "frames");
    await refusesToWipe(warehouse, /1 write-ahead log segment/);
  });

  it("refuses a demo warehouse a collector or a transform is using (live lock)", async () => {
    const collector = await demoWarehouse();
    await mkdir(join(collector, "_state/collector/wal"), { recursive: true });
    await writeFile(join(collector, "_state/collector/wal/collector.lock"), String(process.pid));
    await refusesToWipe(collector, new RegExp(`running collector \\(pid ${process.pid}\\)`));

    const transform = await demoWarehouse();
    await mkdir(join(transform, "_state/transform"), { recursive: true });
    await writeFile(
      join(transform, "_state/transform/lock"),
      JSON.stringify({ pid: process.pid, host: hostname(), runId: "r1", since: "2026-11-24T10:00:00Z" }),
    );
    await refusesToWipe(transform, /running transform/);
  });

  it("refuses a demo warehouse holding raw objects the demo did not write, or one rewritten since", async () => {
    const added = await demoWarehouse();
    const served =
      "raw/year=2026/month=11/day=25/clickstream-pipeline-stream-1-2026-11-25-09-00-00-bbbb.json";
    await mkdir(dirname(join(added, served)), { recursive: true });
    await writeFile(join(added, served), '{"event_id":"real"}\n');
    await refusesToWipe(added, new RegExp(`1 raw object\\(s\\) the demo did not write \\(${served}\\)`));

    const rewritten = await demoWarehouse();
    const [object] = (await filesUnder(join(rewritten, "raw"))) as [string];
    await writeFile(object, '{"event_id":"real, longer"}\n');
    await refusesToWipe(rewritten, /did not write/);
  });

  it("refuses a demo warehouse holding saved query results", async () => {
    const warehouse = await demoWarehouse();
    await mkdir(join(warehouse, "athena-results"), { recursive: true });
    await writeFile(join(warehouse, "athena-results/q.csv"), "n\r\n1\r\n");
    await refusesToWipe(warehouse, /saved query result/);
  });
});

async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}
