import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { request } from "node:http";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, it } from "node:test";
import { tempDir } from "../support/temp-dir.js";
import { readTransformed } from "../support/warehouse-reader.js";

const cli = fileURLToPath(new URL("../../../bin/clickstream", import.meta.url));

interface Status {
  running: boolean;
  nextRunAt: string | null;
  runs: {
    trigger: string;
    startedAt: string;
    durationMs: number;
    status: string;
    transform?: { records: { written: number } };
  }[];
}

/** Starts `clickstream pipeline` and waits for the line naming its collector and admin URLs. */
async function startPipeline(
  warehouse: string,
  every: string,
): Promise<{ child: ChildProcess; collector: string; admin: string; console: string; log: () => string }> {
  const config = join(warehouse, "pipeline-config.json");
  // A one-second Firehose buffer, so accepted events reach raw/ quickly.
  await writeFile(
    config,
    JSON.stringify({
      collector: {
        streams: [
          { name: "clickstream-pipeline-stream", bufferingHints: { sizeInMBs: 1, intervalInSeconds: 1 } },
        ],
      },
    }),
  );
  const child = spawn(
    process.execPath,
    [
      cli,
      "pipeline",
      "--warehouse",
      warehouse,
      "--config",
      config,
      "--every",
      every,
      "--port",
      "0",
      "--admin-port",
      "0",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    const m = /collector on (http:\/\/[^,]+), .*admin on (http:\/\/[^ ]+) .*console on (http:\/\/\S+)/.exec(
      stderr,
    );
    if (m) return { child, collector: m[1]!, admin: m[2]!, console: m[3]!, log: () => stderr };
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error(`pipeline did not start:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function status(admin: string): Promise<Status> {
  return (await (await fetch(`${admin}/status`)).json()) as Status;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(await probe())}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
});

const event = (i: number) => ({
  event_id: `p-${i}`,
  user_id: "u1",
  session_id: "s1",
  event_type: "page_view",
  timestamp: new Date(Date.UTC(2026, 10, 24, 10, 0, i)).toISOString(),
});

describe("clickstream pipeline", () => {
  it("collects, runs transform → crawl on schedule and on demand, one run at a time, exports metrics, stops cleanly", async () => {
    const warehouse = await tempDir();
    const pipeline = await startPipeline(warehouse, "2s");
    children.push(pipeline.child);
    const { collector, admin, child } = pipeline;

    const post = await fetch(`${collector}/v1/events`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify([event(1), event(2), event(3)]),
    });
    assert.equal(post.status, 200);

    // The schedule picks the events up (the buffer delivers within a second, the chain runs every 2 s).
    const written = await until("a run that wrote the events", async () => {
      const s = await status(admin);
      return s.runs.find((r) => (r.transform?.records.written ?? 0) > 0);
    });
    assert.equal(written.transform!.records.written, 3);
    assert.equal((await readTransformed(warehouse)).length, 3);
    // The crawler ran after it: the catalog knows the partition.
    const { stdout } = await runCli([
      "query",
      "--warehouse",
      warehouse,
      "--format",
      "csv",
      "SELECT count(*) AS n FROM transformed",
    ]);
    assert.match(stdout, /^n\r?\n3\r?\n?$/);

    // On demand: the admin endpoint and SIGHUP; triggers during a run coalesce, runs never overlap.
    const runNow = { method: "POST", headers: { "x-clickstream-admin": "1" } };
    for (let i = 0; i < 5; i++) assert.equal((await fetch(`${admin}/run`, runNow)).status, 202);
    child.kill("SIGHUP");
    await until("the on-demand runs", async () => {
      const s = await status(admin);
      return s.runs.some((r) => r.trigger.includes("admin")) &&
        s.runs.some((r) => r.trigger.includes("SIGHUP"))
        ? s
        : undefined;
    });
    const runs = (await status(admin)).runs;
    const onDemand = runs.filter((r) => /admin|SIGHUP/.test(r.trigger));
    // Six triggers: one run starts at once, the others wait and are served by one more run.
    assert.ok(onDemand.length <= 2, `triggers coalesced: ${onDemand.map((r) => r.trigger).join(", ")}`);
    for (let i = 1; i < runs.length; i++) {
      const previousEnd = Date.parse(runs[i - 1]!.startedAt) + runs[i - 1]!.durationMs;
      assert.ok(Date.parse(runs[i]!.startedAt) >= previousEnd, "runs never overlap");
    }
    // Not on the public port, and not by another Host name.
    assert.equal((await fetch(`${collector}/run`, runNow)).status, 404);
    // fetch cannot set Host; node:http can, as a rebinding page's browser would send it.
    const rebound = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${admin}/status`, { headers: { host: "evil.example" } }, (res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on("error", reject);
      req.end();
    });
    assert.equal(rebound.status, 403);
    assert.equal((JSON.parse(rebound.body) as { code: string }).code, "CS_ERR_PIPELINE_ADMIN_HOST");

    // The console is served too, and its overview answers over the same warehouse.
    const overview = (await (
      await fetch(`${pipeline.console}/api/overview?from=2026-11-24&to=2026-11-24`)
    ).json()) as { pageviews: number };
    assert.equal(overview.pageviews, 3);

    const metrics = await (await fetch(`${collector}/metrics`)).text();
    assert.match(metrics, /clickstream_pipeline_runs_total\{status="succeeded"\} [1-9]/);
    assert.match(metrics, /clickstream_pipeline_records_total\{outcome="written"\} 3/);
    assert.match(metrics, /clickstream_pipeline_last_success_timestamp_seconds \d/);
    assert.match(metrics, /clickstream_pipeline_rejected_records_total\{reason="malformed_json"\} 0/);

    // SIGTERM: events acknowledged just before it are flushed to raw/, and the process exits 0.
    await fetch(`${collector}/v1/events`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify([event(4)]),
    });
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    child.kill("SIGTERM");
    assert.equal(await exited, 0);
    // The event is in raw/; a scheduled run that started while the collector flushed may have taken it
    // already (the chain stops after the collector), else this run does: the table holds it exactly once.
    const { stdout: raw } = await runCli(["transform", "--warehouse", warehouse, "--json"]);
    assert.ok([0, 1].includes((JSON.parse(raw) as { records: { written: number } }).records.written));
    const ids = (await readTransformed(warehouse)).map((r) => r.event_id).sort();
    assert.deepEqual(ids, ["p-1", "p-2", "p-3", "p-4"]);
    assert.match(pipeline.log(), /run \(schedule\) .*: 1 object, read 3 = written 3 \+ rejected 0/);
  });

  it("refuses a bad --every with a catalogued error, not a stack trace", async () => {
    const result = await runCli(["pipeline", "--every", "soon"]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /CS_ERR_INVALID_ARGUMENT/);
    assert.doesNotMatch(result.stderr, /at .*\.js:\d+/);
  });
});

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
