// test tier: fast (in-process, no child processes)
import assert from "node:assert/strict";
import { appendFile, copyFile, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { PutRecordBatchCommand, PutRecordCommand } from "@aws-sdk/client-firehose";
import type { CollectorConfig } from "../../src/config/config-schema.js";
import { isClickstreamError } from "../../src/errors/clickstream-error.js";
import { post, readRaw, startFixture, stopFixture } from "./collector-fixture.js";

const name = "clickstream-pipeline-stream";
const streamWith = (
  bufferingHints: { sizeInMBs: number; intervalInSeconds: number },
  compressionFormat: "UNCOMPRESSED" | "GZIP" = "UNCOMPRESSED",
): Partial<CollectorConfig> => ({ streams: [{ name, version: 1, bufferingHints, compressionFormat }] });
const batch = (from: number, count: number, pad = 0) =>
  new PutRecordBatchCommand({
    DeliveryStreamName: name,
    Records: Array.from({ length: count }, (_, i) => ({
      Data: Buffer.from(JSON.stringify({ id: from + i, pad: "p".repeat(pad) })),
    })),
  });
const ids = (lines: string[]): number[] => lines.map((l) => (JSON.parse(l) as { id: number }).id);

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function walFiles(walDir: string): Promise<string[]> {
  return (await readdir(join(walDir, name)))
    .filter((f) => f.endsWith(".wal"))
    .map((f) => join(walDir, name, f));
}

test("the size hint seals an object once 1 MiB is buffered, the interval hint delivers without a flush", async () => {
  const f = await startFixture(streamWith({ sizeInMBs: 1, intervalInSeconds: 900 }));
  try {
    // 3 batches of 500 × ~1 KiB ≈ 1.5 MiB: one object sealed by size, the rest still buffered.
    for (let b = 0; b < 3; b++) await f.client.send(batch(b * 500, 500, 1000));
    const first = await waitFor(async () => {
      const objects = await readRaw(f.storage);
      return objects.length >= 1 ? objects : undefined;
    });
    assert.equal(first.length, 1);
    assert.ok(
      first[0]!.lines.length >= 1000 && first[0]!.lines.length < 1500,
      String(first[0]!.lines.length),
    );
    await f.collector.flush();
    const all = await readRaw(f.storage);
    assert.equal(all.length, 2);
    assert.deepEqual(
      ids(all.flatMap((o) => o.lines)).sort((a, b) => a - b),
      Array.from({ length: 1500 }, (_, i) => i),
    );
  } finally {
    await stopFixture(f);
  }

  const g = await startFixture(streamWith({ sizeInMBs: 5, intervalInSeconds: 0 }));
  try {
    await g.client.send(batch(0, 3));
    const objects = await waitFor(async () => {
      const o = await readRaw(g.storage);
      return o.length > 0 ? o : undefined;
    }, 3000);
    assert.deepEqual(ids(objects[0]!.lines), [0, 1, 2]);
  } finally {
    await stopFixture(g);
  }
});

test("GZIP streams write .gz objects that decompress to the records", async () => {
  const f = await startFixture(streamWith({ sizeInMBs: 5, intervalInSeconds: 60 }, "GZIP"));
  try {
    await f.client.send(batch(0, 10));
    await f.collector.flush();
    const objects = await readRaw(f.storage);
    assert.equal(objects.length, 1);
    assert.match(objects[0]!.key, /-[0-9a-f-]{36}\.gz$/);
    assert.deepEqual(ids(objects[0]!.lines), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const head = await f.storage.readBytes("raw", objects[0]!.key);
    assert.deepEqual([head[0], head[1]], [0x1f, 0x8b]);
  } finally {
    await stopFixture(f);
  }
});

test("a crash between writing the object and removing the WAL segment redelivers to the same key, not twice", async () => {
  const f = await startFixture(streamWith({ sizeInMBs: 5, intervalInSeconds: 900 }));
  await f.client.send(batch(0, 20));
  // Keep a copy of the acknowledged segment, then deliver it (object written, segment removed).
  const [segment] = await walFiles(f.walDir);
  await copyFile(segment!, segment + ".copy");
  await stopFixture(f);
  const delivered = await readRaw(f.storage);
  assert.equal(delivered.length, 1);
  assert.deepEqual(await walFiles(f.walDir), []);
  // Put the segment back, as if the process died before removing it, plus a torn half-written frame.
  await copyFile(segment + ".copy", segment!);
  await appendFile(segment!, Buffer.from([0xff, 0xff, 0, 0, 1, 2, 3]));
  const again = await startFixture(streamWith({ sizeInMBs: 5, intervalInSeconds: 900 }), f);
  try {
    await again.collector.flush();
    const objects = await readRaw(again.storage);
    assert.equal(objects.length, 1);
    assert.equal(objects[0]!.key, delivered[0]!.key);
    assert.deepEqual(
      ids(objects[0]!.lines),
      Array.from({ length: 20 }, (_, i) => i),
    );
    assert.deepEqual(await walFiles(f.walDir), []);
  } finally {
    await stopFixture(again);
  }
});

test("records acknowledged before an unclean stop are delivered on restart; a second collector on the same WAL is refused", async () => {
  const f = await startFixture(streamWith({ sizeInMBs: 5, intervalInSeconds: 900 }));
  await f.client.send(batch(0, 5));
  await post(`${f.collector.url}/v1/events`, '[{"id":5},{"id":6}]');
  await assert.rejects(startFixture({}, f), (error: unknown) => {
    assert.ok(isClickstreamError(error));
    assert.equal(error.code, "CS_ERR_COLLECTOR_WAL_LOCKED");
    assert.match(error.message, /in use by another collector/);
    return true;
  });
  // Simulate the state a killed process leaves: segment in the WAL, nothing delivered.
  const segments = await walFiles(f.walDir);
  assert.equal(segments.length, 1);
  for (const s of segments) await copyFile(s, s + ".keep");
  await stopFixture(f);
  for (const o of await readRaw(f.storage)) await f.storage.delete("raw", o.key);
  for (const s of segments) await copyFile(s + ".keep", s);

  const again = await startFixture(streamWith({ sizeInMBs: 5, intervalInSeconds: 900 }), f);
  try {
    await again.collector.flush();
    const objects = await readRaw(again.storage);
    assert.equal(objects.length, 1);
    assert.deepEqual(ids(objects[0]!.lines), [0, 1, 2, 3, 4, 5, 6]);
    // New records go to a new segment and a new object.
    await again.client.send(batch(7, 1));
    await again.collector.flush();
    assert.equal((await readRaw(again.storage)).length, 2);
  } finally {
    await stopFixture(again);
  }
});

test("a full buffer answers ServiceUnavailableException (per record in a batch, 503 for calls) and recovers after delivery", async () => {
  const f = await startFixture({
    maxBufferBytes: 1024 * 1024,
    ...streamWith({ sizeInMBs: 128, intervalInSeconds: 900 }),
  });
  try {
    const big = (id: number) => ({ Data: Buffer.from(JSON.stringify({ id, pad: "b".repeat(400_000) })) });
    const response = await f.client.send(
      new PutRecordBatchCommand({ DeliveryStreamName: name, Records: [big(0), big(1), big(2)] }),
    );
    assert.equal(response.FailedPutCount, 1);
    assert.equal(typeof response.RequestResponses![0]!.RecordId, "string");
    assert.equal(typeof response.RequestResponses![1]!.RecordId, "string");
    assert.equal(response.RequestResponses![2]!.ErrorCode, "ServiceUnavailableException");
    await assert.rejects(
      f.client.send(new PutRecordCommand({ DeliveryStreamName: name, Record: big(3) })),
      (error: Error & { $metadata: { httpStatusCode: number } }) => {
        assert.equal(error.name, "ServiceUnavailableException");
        assert.equal(error.$metadata.httpStatusCode, 503);
        return true;
      },
    );
    const json = await post(
      `${f.collector.url}/v1/events`,
      JSON.stringify({ id: 4, pad: "j".repeat(300_000) }),
    );
    assert.equal(json.status, 503);
    assert.equal(json.json.error, "CS_ERR_COLLECTOR_UNAVAILABLE");
    await f.collector.flush();
    await f.client.send(new PutRecordCommand({ DeliveryStreamName: name, Record: big(3) }));
    await f.collector.flush();
    // Two objects (two flushes), possibly within the same second: their key order is the uuid's.
    assert.deepEqual(
      ids((await readRaw(f.storage)).flatMap((o) => o.lines)).sort((a, b) => a - b),
      [0, 1, 3],
    );
  } finally {
    await stopFixture(f);
  }
});

test("low free disk space answers 503 on both APIs and stores nothing", async () => {
  const f = await startFixture({ minFreeDiskBytes: Number.MAX_SAFE_INTEGER });
  try {
    await assert.rejects(
      f.client.send(new PutRecordCommand({ DeliveryStreamName: name, Record: { Data: Buffer.from("{}") } })),
      (error: Error & { $metadata: { httpStatusCode: number } }) => {
        assert.equal(error.name, "ServiceUnavailableException");
        assert.match(error.message, /disk full/);
        assert.equal(error.$metadata.httpStatusCode, 503);
        return true;
      },
    );
    const json = await post(`${f.collector.url}/v1/events`, '{"id":1}');
    assert.equal(json.status, 503);
    await f.collector.flush();
    assert.deepEqual(await readRaw(f.storage), []);
  } finally {
    await stopFixture(f);
  }
});

test("storage failures are retried until the object lands; on shutdown the records stay in the WAL", async () => {
  const f = await startFixture(streamWith({ sizeInMBs: 5, intervalInSeconds: 900 }));
  // A file where the raw/ folder should be: every object write fails for real (ENOTDIR / EEXIST).
  const blocker = join(f.warehouse, "raw");
  await writeFile(blocker, "not a folder");
  await f.client.send(batch(0, 3));
  const flushed = f.collector.flush();
  const failures = async () => {
    const text = await (await fetch(`${f.collector.url}/metrics`)).text();
    const line = text.split("\n").find((l) => l.startsWith("clickstream_collector_delivery_failures_total{"));
    return line ? Number(line.split(" ")[1]) : 0;
  };
  await waitFor(async () => ((await failures()) >= 2 ? true : undefined));
  await rm(blocker);
  await flushed;
  assert.deepEqual(ids((await readRaw(f.storage)).flatMap((o) => o.lines)), [0, 1, 2]);
  for (const o of await readRaw(f.storage)) await f.storage.delete("raw", o.key);

  // Storage still down at shutdown: close gives up after a few attempts, the segment stays for next time.
  await f.client.send(batch(3, 2));
  await rm(join(f.warehouse, "raw"), { recursive: true, force: true });
  await writeFile(blocker, "not a folder");
  await stopFixture(f);
  assert.equal((await walFiles(f.walDir)).length, 1);
  await rm(blocker);
  const again = await startFixture(streamWith({ sizeInMBs: 5, intervalInSeconds: 900 }), f);
  try {
    await again.collector.flush();
    assert.deepEqual(ids((await readRaw(again.storage)).flatMap((o) => o.lines)), [3, 4]);
  } finally {
    await stopFixture(again);
  }
});
