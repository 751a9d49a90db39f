import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, it } from "node:test";
import { tempDir } from "../support/temp-dir.js";
import { readErrors, readTransformed } from "../support/warehouse-reader.js";

const exec = promisify(execFile);
const cli = fileURLToPath(new URL("../../../bin/clickstream", import.meta.url));
const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

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

    // The pinned "now" is said, and each printed query's reproduce line, run by hand, prints the same rows.
    assert.match(stdout, /"now" pinned to 2026-11-24T23:59:00Z/);
    const blocks = [
      ...stdout.matchAll(/-- Query (\d+): .*\n-- reproduce: npx (clickstream query .*)\n([\s\S]*?)\n\n/g),
    ];
    assert.deepEqual(
      blocks.map((b) => b[1]),
      ["1", "2", "5"],
      stdout,
    );
    for (const [, , command, printed] of blocks) {
      const args = command!.split(" ").slice(2); // after "clickstream query"; the warehouse has no spaces
      const byHand = await exec(process.execPath, [cli, "query", ...args], { cwd: repoRoot });
      assert.equal(byHand.stdout.trimEnd(), printed!.trimEnd(), command);
    }
    const unpinned = await exec(
      process.execPath,
      [
        cli,
        "query",
        "--warehouse",
        warehouse,
        "--file",
        "queries/athena_queries.sql",
        "--name",
        "1",
        "--format",
        "json",
      ],
      { cwd: repoRoot },
    );
    assert.equal(
      JSON.parse(unpinned.stdout).length,
      0,
      "without --now, today has no rows (why the pin is said)",
    );

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
    await refusesToWipe(
      warehouse,
      /1 file\(s\) but no readable demo record \(_state\/demo\.json\) naming them: precious\.txt/,
    );
  });

  it("a rerun deletes only what its record names; anything else in the folder is refused and listed", async () => {
    const warehouse = join(await tempDir(), "demo-warehouse");
    await exec(process.execPath, [cli, "demo", "--warehouse", warehouse, "--events", "10"]);
    // The record names every file the run left (the pipeline's outputs from the demo's data too).
    const recorded = (await readRecord(warehouse)).files.map((f) => f.path).sort();
    assert.deepEqual(
      recorded,
      (await relativeFiles(warehouse)).filter((p) => p !== "_state/demo.json"),
    );
    assert.ok(
      recorded.some((p) => p.startsWith("raw/")) && recorded.some((p) => p.startsWith("transformed/")),
    );

    // What the issue saw deleted: a user's notes, the console's query history, a Parquet file of the user's.
    const added = [
      "NOTES.md",
      "_state/console/query-history.json",
      "transformed/year=2026/month=11/day=24/mine.parquet",
    ];
    for (const path of added) {
      await mkdir(dirname(join(warehouse, path)), { recursive: true });
      await writeFile(join(warehouse, path), "the user's");
    }
    const refusal = await refusesToWipe(
      warehouse,
      /3 file\(s\) the demo did not write \(or changed since\): /,
    );
    for (const path of added) assert.ok(refusal.includes(path), `${path} listed: ${refusal}`);

    // Once they are gone, the rerun deletes the demo's files (and folders that leaves empty) and starts afresh.
    for (const path of added) await rm(join(warehouse, path));
    await mkdir(join(warehouse, "mine"));
    await exec(process.execPath, [cli, "demo", "--warehouse", warehouse, "--events", "10"]);
    const again = (await readRecord(warehouse)).files.map((f) => f.path).sort();
    assert.deepEqual(
      again,
      (await relativeFiles(warehouse)).filter((p) => p !== "_state/demo.json"),
    );
    assert.ok(existsSync(join(warehouse, "mine")), "an empty folder of the user's stays");
  });

  it("refuses a demo warehouse holding a file the demo wrote and someone rewrote since", async () => {
    const warehouse = await demoWarehouse();
    await new Promise((r) => setTimeout(r, 20));
    await writeFile(join(warehouse, demoObject), '{"event_id":"real"}\n'); // same size, new content
    await refusesToWipe(
      warehouse,
      new RegExp(`1 file\\(s\\) the demo did not write \\(or changed since\\): ${demoObject}`),
    );
  });

  it("lists a bounded number of the files it would otherwise have deleted", async () => {
    const warehouse = await demoWarehouse();
    await mkdir(join(warehouse, "notes"));
    for (let i = 0; i < 25; i++)
      await writeFile(join(warehouse, "notes", `n${String(i).padStart(2, "0")}.md`), "x");
    await refusesToWipe(
      warehouse,
      /25 file\(s\) the demo did not write \(or changed since\): notes\/n00\.md, .*notes\/n09\.md and 15 more/,
    );
  });

  // A demo warehouse (its record lists the one raw object it delivered) that the real commands, which
  // default to the same ./warehouse, have used since.
  const demoObject =
    "raw/year=2026/month=11/day=24/clickstream-pipeline-stream-1-2026-11-24-10-00-00-aaaa.json";
  async function demoWarehouse(): Promise<string> {
    const warehouse = await tempDir();
    await mkdir(dirname(join(warehouse, demoObject)), { recursive: true });
    await writeFile(join(warehouse, demoObject), '{"event_id":"demo"}\n');
    const { size, mtimeMs } = await stat(join(warehouse, demoObject));
    await mkdir(join(warehouse, "_state"), { recursive: true });
    await writeFile(
      join(warehouse, "_state", "demo.json"),
      JSON.stringify({
        version: 2,
        createdAt: "2026-11-24T10:00:00Z",
        files: [{ path: demoObject, size, mtimeMs }],
      }),
    );
    return warehouse;
  }

  /** The demo exits 1 with the code and a reason, and every file of the folder is still there. */
  async function refusesToWipe(warehouse: string, reason: RegExp): Promise<string> {
    const before = await filesUnder(warehouse);
    let stderr = "";
    await assert.rejects(
      exec(process.execPath, [cli, "demo", "--warehouse", warehouse, "--events", "10"]),
      (error: { code: number; stderr: string }) => {
        assert.equal(error.code, 1);
        stderr = error.stderr;
        assert.match(error.stderr, /error CS_ERR_DEMO_WAREHOUSE_IN_USE: /);
        assert.match(error.stderr, reason);
        assert.match(error.stderr, /nothing was deleted/);
        assert.match(error.stderr, /fix: Run the demo on a folder of its own/);
        return true;
      },
    );
    assert.deepEqual(await filesUnder(warehouse), before);
    return stderr;
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
    await refusesToWipe(
      added,
      new RegExp(`1 file\\(s\\) the demo did not write \\(or changed since\\): ${served}`),
    );

    const rewritten = await demoWarehouse();
    const [object] = (await filesUnder(join(rewritten, "raw"))) as [string];
    await writeFile(object, '{"event_id":"real, longer"}\n');
    await refusesToWipe(rewritten, /did not write/);
  });

  it("refuses a demo warehouse holding saved query results", async () => {
    const warehouse = await demoWarehouse();
    await mkdir(join(warehouse, "athena-results"), { recursive: true });
    await writeFile(join(warehouse, "athena-results/q.csv"), "n\r\n1\r\n");
    await refusesToWipe(warehouse, /did not write \(or changed since\): athena-results\/q\.csv/);
  });
});

async function readRecord(warehouse: string): Promise<{ files: { path: string }[] }> {
  return JSON.parse(await readFile(join(warehouse, "_state", "demo.json"), "utf8")) as {
    files: { path: string }[];
  };
}

/** Every file under the folder, relative and `/`-separated, sorted. */
async function relativeFiles(root: string): Promise<string[]> {
  return (await filesUnder(root)).map((p) => relative(root, p).split(sep).join("/")).sort();
}

async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}
