import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { test } from "node:test";
import { readEventFile, sendRecords } from "../../src/aws/firehose-sender.js";
import { tempDir } from "../support/temp-dir.js";
import { readRaw, startFixture, stopFixture } from "./collector-fixture.js";

const stream = "clickstream-pipeline-stream";
const bin = new URL("../../../bin/clickstream", import.meta.url).pathname;

async function* generate(count: number, pad: number): AsyncGenerator<string> {
  for (let i = 0; i < count; i++) yield JSON.stringify({ id: i, pad: "s".repeat(pad) }) + "\n";
}

test("sendRecords resends only throttled records until all are in, and counts oversize ones as failed", async () => {
  // A 1 MiB buffer delivered at once (interval 0) throttles a 3 MB send into many partial failures.
  const f = await startFixture({
    maxBufferBytes: 1024 * 1024,
    streams: [
      {
        name: stream,
        version: 1,
        bufferingHints: { sizeInMBs: 1, intervalInSeconds: 0 },
        compressionFormat: "UNCOMPRESSED",
      },
    ],
  });
  try {
    async function* records(): AsyncGenerator<string> {
      yield* generate(3000, 1000);
      yield "x".repeat(1_024_001); // over the record limit: never sent
    }
    const progress: number[] = [];
    const counts = await sendRecords(f.client, stream, records(), {
      baseDelayMs: 20,
      maxAttempts: 50,
      concurrency: 4,
      onProgress: (c) => progress.push(c.sent + c.failed),
    });
    assert.equal(counts.sent, 3000);
    assert.equal(counts.failed, 1);
    assert.deepEqual(counts.failures, { RecordTooLarge: 1 });
    // 3 MB in batches of ≤ 500 records / 4 MiB is 6 calls without throttling; retries add more.
    assert.ok(counts.calls > 6, `expected retries, got ${counts.calls} calls`);
    assert.ok(progress.length >= 6);
    await f.collector.flush();
    const ids = (await readRaw(f.storage)).flatMap((o) =>
      o.lines.map((l) => (JSON.parse(l) as { id: number }).id),
    );
    assert.equal(ids.length, 3000, "each record stored exactly once: only failed records were resent");
    assert.equal(new Set(ids).size, 3000);
  } finally {
    await stopFixture(f);
  }
});

test("sendRecords gives up on an unknown stream and counts every record as failed", async () => {
  const f = await startFixture();
  try {
    const counts = await sendRecords(f.client, "no-such-stream", generate(10, 10), { baseDelayMs: 1 });
    assert.deepEqual([counts.sent, counts.failed, counts.calls], [0, 10, 1]);
    assert.deepEqual(counts.failures, { ResourceNotFoundException: 10 });
  } finally {
    await stopFixture(f);
  }
});

test("readEventFile reads JSON arrays, NDJSON and gzip, one line per event", async () => {
  const dir = await tempDir();
  const array = join(dir, "a.json");
  await writeFile(array, JSON.stringify([{ a: 1 }, { b: [1, 2] }], null, 2));
  const ndjson = join(dir, "b.ndjson");
  await writeFile(ndjson, '{"c":1}\n\n  {"d":2}  \r\n');
  const gz = join(dir, "c.data");
  await writeFile(gz, gzipSync('{"e":1}\n{"f":2}'));
  const read = async (path: string) => {
    const out: string[] = [];
    for await (const r of readEventFile(path)) out.push(r);
    return out;
  };
  assert.deepEqual(await read(array), ['{"a":1}\n', '{"b":[1,2]}\n']);
  assert.deepEqual(await read(ndjson), ['{"c":1}\n', '{"d":2}\n']);
  assert.deepEqual(await read(gz), ['{"e":1}\n', '{"f":2}\n']);
});

test("readEventFile sends a JSON array's elements as written: 64-bit ids, repeated keys and 1.50 kept", async () => {
  const events = [
    '{"event_id":9007199254740993,"n":1.50}',
    '{"event_id":"k","event_type":"page_view","event_type":"purchase"}',
  ];
  const path = join(await tempDir(), "events.json");
  await writeFile(path, `[\n  ${events.join(",\n  ")}\n]\n`);
  const out: string[] = [];
  for await (const r of readEventFile(path)) out.push(r);
  assert.deepEqual(
    out,
    events.map((e) => e + "\n"),
  );
});

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

test("clickstream send delivers files through the SDK and reports the counts", async () => {
  const f = await startFixture();
  try {
    const dir = await tempDir();
    const file = join(dir, "events.json.gz");
    await writeFile(file, gzipSync(JSON.stringify(Array.from({ length: 1200 }, (_, id) => ({ id })))));
    const ok = await run(["send", file, "--endpoint", f.collector.url]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(
      ok.stdout,
      /sent 1200 records to clickstream-pipeline-stream .*0 failed, 3 PutRecordBatch calls/,
    );
    await f.collector.flush();
    assert.equal((await readRaw(f.storage)).flatMap((o) => o.lines).length, 1200);

    const missingStream = await run(["send", file, "--endpoint", f.collector.url, "--stream", "nope"]);
    assert.equal(missingStream.code, 1);
    assert.match(
      missingStream.stderr,
      /error CS_ERR_SEND_FAILED: .*1200 of 1200 records failed \(ResourceNotFoundException: 1200\)/,
    );

    const noOutputs = await run(["send", file, "--firehose", "--outputs", join(dir, "missing.json")]);
    assert.equal(noOutputs.code, 1);
    assert.match(noOutputs.stderr, /error CS_ERR_SEND_NO_OUTPUTS/);
  } finally {
    await stopFixture(f);
  }
});
