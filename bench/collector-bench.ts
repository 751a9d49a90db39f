import { spawn, type ChildProcess } from "node:child_process";
import { readFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import type { BenchSection } from "./bench-section.js";

const stream = "clickstream-pipeline-stream";
const bin = new URL("../../bin/clickstream", import.meta.url).pathname;
const bareServer = new URL("./bare-http-server.js", import.meta.url).pathname;
const withoutEndpoints = new URL("./collector-without-endpoints.js", import.meta.url).pathname;

interface Server {
  readonly child: ChildProcess;
  readonly url: string;
}

async function spawnServer(args: string[]): Promise<Server> {
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    // The bench servers print {"url": …} on stdout; `serve --log-format json` logs it on stderr.
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      const match = /"url":"(http:\/\/[^"]+)"/.exec(out);
      if (match) resolve(match[1]!);
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.on("exit", (code) => reject(new Error(`server exited (${code}) before listening: ${out}`)));
  });
  child.stdout!.resume(); // keep draining its log lines
  child.stderr!.resume();
  return { child, url };
}

async function stop(server: Server): Promise<void> {
  if (server.child.exitCode !== null) return;
  const exited = new Promise((resolve) => server.child.once("exit", resolve));
  server.child.kill("SIGTERM");
  await exited;
}

/** Peak resident set of a process (Linux: VmHWM), in bytes; undefined elsewhere. */
async function peakRssBytes(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
    return kb ? Number(kb) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

interface Load {
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

async function load(
  url: string,
  spec: Load,
  options: { connections: number; durationS: number; overallRate?: number },
): Promise<autocannon.Result> {
  return autocannon({
    url: url + spec.path,
    method: "POST",
    headers: spec.headers,
    body: spec.body,
    connections: options.connections,
    duration: options.durationS,
    ...(options.overallRate ? { overallRate: options.overallRate } : {}),
  });
}

function event(i: number): Record<string, unknown> {
  return {
    event_id: `bench-${i.toString(16).padStart(8, "0")}-5c1e-4b7a-9d2f-0e8c3a61b7d4`,
    user_id: `user_${i % 1000}`,
    session_id: `session_${i % 5000}`,
    event_type: "product_view",
    timestamp: "2026-11-25T14:03:07.123Z",
    page_url: "https://shop.example/products/widget-deluxe?ref=home&utm_source=newsletter",
    referrer: "https://www.example.org/search?q=widget",
    product_id: `prod_${i % 200}`,
    product_name: "Widget Deluxe",
    product_category: "gadgets",
    device_type: "desktop",
    price: 49.99,
    quantity: 1,
    pad: "x".repeat(20),
  };
}

/**
 * Concurrent clients for single events, like many browsers at once. Each acknowledgement waits for an
 * fsync, so the collector's rate grows with concurrency (group commit) while the bare server's does not.
 */
const EVENT_CONNECTIONS = 64;

const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");

/**
 * Collector vs a bare node:http server (read body + JSON.parse) on loopback, same run, same load:
 * PutRecordBatch of 500 × ~500 B records, single-event POST /v1/events, latency at half the saturating
 * rate, and the collector's peak RSS under sustained load. Servers run in child processes.
 */
export async function runCollectorBench(options: { quick: boolean }): Promise<BenchSection> {
  const durationS = options.quick ? 1 : 10;
  const sustainedS = options.quick ? 3 : 60;
  const warehouse = await mkdtemp(join(tmpdir(), "clickstream-bench-"));
  const plainWarehouse = await mkdtemp(join(tmpdir(), "clickstream-bench-plain-"));
  const config = join(warehouse, "collector.json");
  await writeFile(config, JSON.stringify({ collector: { streams: [{ name: stream }] } }));

  const records = Array.from({ length: 500 }, (_, i) => ({
    Data: Buffer.from(JSON.stringify(event(i)) + "\n").toString("base64"),
  }));
  const recordBytes = Buffer.from(JSON.stringify(event(0)) + "\n").length;
  const batchLoad: Load = {
    path: "/",
    headers: {
      "content-type": "application/x-amz-json-1.1",
      "x-amz-target": "Firehose_20150804.PutRecordBatch",
    },
    body: JSON.stringify({ DeliveryStreamName: stream, Records: records }),
  };
  const eventLoad: Load = {
    path: "/v1/events",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(event(1)),
  };

  const bare = await spawnServer([bareServer]);
  const collector = await spawnServer([
    bin,
    "serve",
    "--warehouse",
    warehouse,
    "--config",
    config,
    "--port",
    "0",
    "--log-format",
    "json",
  ]);
  // The same collector with no AWS endpoints in front (the router asks them first about every POST /).
  const plain = await spawnServer([withoutEndpoints, plainWarehouse, config]);
  const rows: BenchSection["rows"] = [];
  const notes: string[] = [
    `machine: ${cpus().length} cores, load average ${loadavg()[0]!.toFixed(1)} at start (other work on the machine shifts both sides)`,
    `records of ${recordBytes} B; ${durationS} s per throughput run, ${sustainedS} s sustained load for RSS; autocannon in the parent process, both servers in child processes, all on loopback`,
  ];
  try {
    if (!options.quick) {
      // Warm up both (JIT, WAL segment creation).
      await load(bare.url, batchLoad, { connections: 4, durationS: 2 });
      await load(collector.url, batchLoad, { connections: 4, durationS: 2 });
      await load(plain.url, batchLoad, { connections: 4, durationS: 2 });
    }

    const bareBatch = await load(bare.url, batchLoad, { connections: 16, durationS });
    const batch = await load(collector.url, batchLoad, { connections: 16, durationS });
    const batchRecordsPerS = (batch["2xx"] * 500) / batch.duration;
    const bareBatchRecordsPerS = (bareBatch["2xx"] * 500) / bareBatch.duration;
    rows.push(
      {
        name: "PutRecordBatch 500 × ~500 B: records/s acknowledged durably",
        value: `${fmt(batchRecordsPerS)} (bare node:http ${fmt(bareBatchRecordsPerS)})`,
        goal: "≥ 150,000",
        met: batchRecordsPerS >= 150_000,
      },
      {
        name: "PutRecordBatch latency p50 / p99 (16 connections)",
        value: `${batch.latency.p50} / ${batch.latency.p99} ms (bare ${bareBatch.latency.p50} / ${bareBatch.latency.p99} ms)`,
      },
    );
    if (batch.non2xx > 0) notes.push(`PutRecordBatch: ${batch.non2xx} non-2xx answers (503 = back-pressure)`);

    const bareEvents = await load(bare.url, eventLoad, { connections: EVENT_CONNECTIONS, durationS });
    const events = await load(collector.url, eventLoad, { connections: EVENT_CONNECTIONS, durationS });
    const eventsPerS = events["2xx"] / events.duration;
    const bareEventsPerS = bareEvents["2xx"] / bareEvents.duration;
    rows.push(
      {
        name: "single-event POST /v1/events: req/s vs bare node:http",
        value: `${fmt(eventsPerS)} vs ${fmt(bareEventsPerS)} (${Math.round((100 * eventsPerS) / Math.max(1, bareEventsPerS))}%)`,
        goal: "≥ 60%",
        met: eventsPerS >= 0.6 * bareEventsPerS,
      },
      {
        name: `single-event latency p50 / p99 at saturation (${EVENT_CONNECTIONS} connections)`,
        value: `${events.latency.p50} / ${events.latency.p99} ms (bare ${bareEvents.latency.p50} / ${bareEvents.latency.p99} ms)`,
      },
    );

    // Before/after the router, back to back: the Firehose path and the tracker's path.
    const plainBatch = await load(plain.url, batchLoad, { connections: 16, durationS });
    const routedBatch = await load(collector.url, batchLoad, { connections: 16, durationS });
    const plainEvents = await load(plain.url, eventLoad, { connections: EVENT_CONNECTIONS, durationS });
    const routedEvents = await load(collector.url, eventLoad, { connections: EVENT_CONNECTIONS, durationS });
    const ratio = (after: autocannon.Result, before: autocannon.Result): number =>
      after["2xx"] / after.duration / Math.max(1e-9, before["2xx"] / before.duration);
    const batchRatio = ratio(routedBatch, plainBatch);
    const eventsRatio = ratio(routedEvents, plainEvents);
    rows.push({
      name: "with the AWS endpoints' router in front vs without (PutRecordBatch / single events)",
      value:
        `${fmt((routedBatch["2xx"] * 500) / routedBatch.duration)} vs ${fmt((plainBatch["2xx"] * 500) / plainBatch.duration)} records/s (${Math.round(100 * batchRatio)}%) / ` +
        `${fmt(routedEvents["2xx"] / routedEvents.duration)} vs ${fmt(plainEvents["2xx"] / plainEvents.duration)} req/s (${Math.round(100 * eventsRatio)}%)`,
      goal: "≥ 95% of without",
      met: batchRatio >= 0.95 && eventsRatio >= 0.95,
    });

    const halfEvents = await load(collector.url, eventLoad, {
      connections: EVENT_CONNECTIONS,
      durationS,
      overallRate: Math.max(1, Math.floor(eventsPerS / 2)),
    });
    const halfBatch = await load(collector.url, batchLoad, {
      connections: 16,
      durationS,
      overallRate: Math.max(1, Math.floor(batch["2xx"] / batch.duration / 2)),
    });
    const worstP99 = Math.max(halfEvents.latency.p99, halfBatch.latency.p99);
    rows.push({
      name: "p99 latency at half the saturating load (events / batches)",
      value: `${halfEvents.latency.p99} / ${halfBatch.latency.p99} ms (p50 ${halfEvents.latency.p50} / ${halfBatch.latency.p50} ms)`,
      goal: "≤ 50 ms",
      met: worstP99 <= 50,
    });

    const sustained = await load(collector.url, batchLoad, { connections: 16, durationS: sustainedS });
    const peak = await peakRssBytes(collector.child.pid!);
    rows.push({
      name: `collector peak RSS (${sustainedS} s of PutRecordBatch at saturation, ${fmt((sustained["2xx"] * 500) / sustained.duration)} records/s)`,
      value: peak === undefined ? "n/a (needs /proc)" : `${Math.round(peak / 1024 / 1024)} MB`,
      goal: "≤ 300 MB",
      ...(peak === undefined ? {} : { met: peak <= 300 * 1024 * 1024 }),
    });
  } finally {
    await stop(bare);
    await stop(collector);
    await stop(plain);
    await rm(warehouse, { recursive: true, force: true });
    await rm(plainWarehouse, { recursive: true, force: true });
  }
  return { title: "Collector (loopback, durable acknowledgement)", rows, notes };
}

// `node dist/bench/collector-bench.js [--quick]` runs this section alone.
if (process.argv[1] && new URL(import.meta.url).pathname === process.argv[1]) {
  const section = await runCollectorBench({ quick: process.argv.includes("--quick") });
  process.stdout.write(`${section.title}\n`);
  for (const row of section.rows)
    process.stdout.write(
      `  ${row.name}: ${row.value}${row.goal ? `  [goal ${row.goal}: ${row.met === undefined ? "?" : row.met ? "met" : "NOT met"}]` : ""}\n`,
    );
  for (const note of section.notes ?? []) process.stdout.write(`  note: ${note}\n`);
}
