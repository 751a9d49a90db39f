// test tier: fast (in-process, no child processes)
import assert from "node:assert/strict";
import { connect } from "node:net";
import { gzipSync } from "node:zlib";
import { after, before, describe, test } from "node:test";
import { PutRecordBatchCommand } from "@aws-sdk/client-firehose";
import { post, readRaw, startFixture, stopFixture, type CollectorFixture } from "./collector-fixture.js";

describe("POST /v1/events", () => {
  let f: CollectorFixture;
  let events: string;
  before(async () => {
    f = await startFixture({ maxBodyBytes: 64 * 1024, requestTimeoutMs: 600 });
    events = `${f.collector.url}/v1/events`;
  });
  after(() => stopFixture(f));

  test("accepts an object, an array, NDJSON, gzip and text/plain; each event is one compact line", async () => {
    const one = await post(events, '{ "event_id": "a",\n  "n": 1 }');
    assert.deepEqual(one, { ...one, status: 200, json: { accepted: 1, rejected: [] } });
    const array = await post(events, JSON.stringify([{ event_id: "b" }, 42, { event_id: "c" }, null]));
    assert.equal(array.status, 200);
    assert.equal(array.json.accepted, 2);
    assert.deepEqual(
      (array.json.rejected as { index: number; error: string }[]).map((r) => [r.index, r.error]),
      [
        [1, "not_an_object"],
        [3, "not_an_object"],
      ],
    );
    const ndjson = await post(events, '{"event_id":"d"}\n\n{"event_id":\n{"event_id":"e"}\r\n', {
      "content-type": "application/x-ndjson",
    });
    assert.equal(ndjson.status, 200);
    assert.equal(ndjson.json.accepted, 2);
    const [bad] = ndjson.json.rejected as { index: number; error: string; message: string }[];
    assert.equal(bad!.index, 1);
    assert.equal(bad!.error, "malformed_json");
    assert.match(bad!.message, /^line 3 /);
    const gz = await post(events, gzipSync(JSON.stringify([{ event_id: "f" }, { event_id: "g" }])), {
      "content-type": "application/json",
      "content-encoding": "gzip",
    });
    assert.deepEqual(gz.json, { accepted: 2, rejected: [] });
    const beacon = await post(events, '{"event_id":"h"}', { "content-type": "text/plain;charset=UTF-8" });
    assert.deepEqual(beacon.json, { accepted: 1, rejected: [] });

    await f.collector.flush();
    const lines = (await readRaw(f.storage)).flatMap((o) => o.lines);
    assert.deepEqual(lines, [
      '{"event_id":"a","n":1}',
      '{"event_id":"b"}',
      '{"event_id":"c"}',
      '{"event_id":"d"}',
      '{"event_id":"e"}',
      '{"event_id":"f"}',
      '{"event_id":"g"}',
      '{"event_id":"h"}',
    ]);
    for (const o of await readRaw(f.storage)) await f.storage.delete("raw", o.key);
  });

  test("bad bodies get 400 naming the problem, 413 when too large, 415 for other types", async () => {
    const notJson = await post(events, '{"event_id": "x", ');
    assert.equal(notJson.status, 400);
    assert.equal(notJson.json.error, "CS_ERR_COLLECTOR_BAD_REQUEST");
    assert.match(String(notJson.json.message), /not valid JSON/);
    const scalar = await post(events, "42");
    assert.equal(scalar.status, 400);
    assert.match(String(scalar.json.message), /expected a JSON object, an array of objects or NDJSON/);
    const empty = await post(events, "   ");
    assert.equal(empty.status, 400);
    assert.match(String(empty.json.message), /empty/);
    const badArray = await post(events, "[1, 2");
    assert.match(String(badArray.json.message), /not a valid JSON array/);
    const badGzip = await post(events, Buffer.from("definitely not gzip"), {
      "content-type": "application/json",
      "content-encoding": "gzip",
    });
    assert.equal(badGzip.status, 400);
    assert.match(String(badGzip.json.message), /not valid gzip/);
    const truncatedGzip = gzipSync(JSON.stringify({ event_id: "x", pad: "p".repeat(1000) }));
    const cut = await post(events, truncatedGzip.subarray(0, truncatedGzip.length - 10), {
      "content-type": "application/json",
      "content-encoding": "gzip",
    });
    assert.equal(cut.status, 400);

    const tooLarge = await post(events, JSON.stringify({ pad: "x".repeat(70 * 1024) }));
    assert.equal(tooLarge.status, 413);
    assert.equal(tooLarge.json.error, "CS_ERR_COLLECTOR_BODY_TOO_LARGE");
    // A small gzip body that inflates beyond the limit (a zip bomb) is refused too.
    const bomb = await post(events, gzipSync(JSON.stringify({ pad: "x".repeat(1024 * 1024) })), {
      "content-type": "application/json",
      "content-encoding": "gzip",
    });
    assert.equal(bomb.status, 413);

    const form = await post(events, "a=1", { "content-type": "application/x-www-form-urlencoded" });
    assert.equal(form.status, 415);
    assert.equal(form.json.error, "CS_ERR_COLLECTOR_UNSUPPORTED_MEDIA_TYPE");
    const brotli = await post(events, "{}", { "content-type": "application/json", "content-encoding": "br" });
    assert.equal(brotli.status, 415);
    const notFound = await post(`${f.collector.url}/v2/nothing`, "{}");
    assert.equal(notFound.status, 404);
    assert.equal(notFound.json.error, "CS_ERR_COLLECTOR_NOT_FOUND");

    await f.collector.flush();
    assert.deepEqual(await readRaw(f.storage), []);
  });

  test("huge headers, slow clients and truncated bodies are cut off while others are served", async () => {
    const huge = await fetch(events, {
      method: "POST",
      headers: { "content-type": "application/json", "x-padding": "h".repeat(20 * 1024) },
      body: "{}",
    });
    assert.equal(huge.status, 431);

    // A client that sends half a request and stalls gets 408 and a closed connection.
    const slow = connect(f.collector.port, "127.0.0.1");
    const slowResult = new Promise<string>((resolve) => {
      let data = "";
      slow.on("data", (chunk) => (data += chunk.toString()));
      slow.on("close", () => resolve(data));
      slow.on("error", () => resolve(data));
    });
    slow.write(
      "POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
    );
    // A truncated body: the client promises 100 bytes, sends 5 and hangs up.
    const truncated = connect(f.collector.port, "127.0.0.1");
    truncated.end(
      'POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":',
    );
    // Meanwhile a normal client is served at once.
    const normal = await post(events, '{"event_id":"during-slow"}');
    assert.equal(normal.status, 200);
    const started = Date.now();
    const answer = await slowResult;
    assert.match(answer, /^HTTP\/1\.1 408/);
    assert.ok(Date.now() - started < 5000);
    assert.equal((await post(events, '{"event_id":"after-slow"}')).status, 200);
    await f.collector.flush();
    const lines = (await readRaw(f.storage)).flatMap((o) => o.lines);
    assert.deepEqual(lines, ['{"event_id":"during-slow"}', '{"event_id":"after-slow"}']);
  });

  test("/healthz answers and /metrics counts received, rejected, delivered and buffered records", async () => {
    const health = await fetch(`${f.collector.url}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { status: string }).status, "ok");
    const put = await f.client.send(
      new PutRecordBatchCommand({
        DeliveryStreamName: "clickstream-pipeline-stream",
        Records: [{ Data: Buffer.from('{"m":1}') }, { Data: Buffer.from('{"m":2}') }],
      }),
    );
    assert.equal(put.FailedPutCount, 0);
    const text = await (await fetch(`${f.collector.url}/metrics`)).text();
    const metric = (line: string): number => {
      const found = text.split("\n").find((l) => l.startsWith(line + " "));
      assert.ok(found, `metric ${line} missing`);
      return Number(found.slice(line.length + 1));
    };
    const stream = 'stream="clickstream-pipeline-stream"';
    // Events accepted so far in this file: 8 + 2 (first and third tests).
    assert.equal(metric(`clickstream_collector_records_received_total{${stream},api="events"}`), 10);
    assert.equal(metric(`clickstream_collector_records_received_total{${stream},api="firehose"}`), 2);
    assert.equal(
      metric('clickstream_collector_records_rejected_total{api="events",reason="not_an_object"}'),
      2,
    );
    assert.equal(
      metric('clickstream_collector_records_rejected_total{api="events",reason="malformed_json"}'),
      1,
    );
    assert.equal(metric(`clickstream_collector_buffer_records{${stream}}`), 2);
    assert.ok(metric(`clickstream_collector_buffer_oldest_age_seconds{${stream}}`) >= 0);
    assert.equal(metric(`clickstream_collector_objects_delivered_total{${stream}}`), 2);
    assert.equal(metric(`clickstream_collector_records_delivered_total{${stream}}`), 10);
    assert.equal(metric(`clickstream_collector_flush_duration_seconds_count{${stream}}`), 2);
    assert.ok(metric('clickstream_collector_http_requests_total{api="events",status="200"}') >= 7);
    assert.ok(metric('clickstream_collector_http_requests_total{api="events",status="413"}') >= 2);
    assert.ok(text.includes("clickstream_collector_bytes_received_total"));
    assert.ok(text.includes("clickstream_collector_wal_fsync_duration_seconds_bucket"));
    assert.ok(text.includes("clickstream_collector_process_resident_memory_bytes"));
  });
});

describe("POST /v1/events with write keys and a CORS allow-list", () => {
  let f: CollectorFixture;
  let events: string;
  const writeKey = "wk_test_0123456789";
  before(async () => {
    f = await startFixture({
      writeKeys: [writeKey],
      // Write keys without access keys would leave the Firehose API open: the collector refuses that.
      accessKeys: [{ accessKeyId: "AKIDEVENTS", secretAccessKey: "events-secret" }],
      corsAllowedOrigins: ["https://shop.example"],
    });
    events = `${f.collector.url}/v1/events`;
  });
  after(() => stopFixture(f));

  test("a write key is required, by header or query parameter", async () => {
    const missing = await post(events, "{}");
    assert.equal(missing.status, 401);
    assert.equal(missing.json.error, "CS_ERR_COLLECTOR_UNAUTHORIZED");
    const wrong = await post(events, "{}", {
      "content-type": "application/json",
      "x-clickstream-write-key": "wk_wrong_000000",
    });
    assert.equal(wrong.status, 401);
    const byHeader = await post(events, '{"k":"header"}', {
      "content-type": "application/json",
      "x-clickstream-write-key": writeKey,
    });
    assert.equal(byHeader.status, 200);
    const byQuery = await post(`${events}?writeKey=${writeKey}`, '{"k":"query"}', {
      "content-type": "text/plain",
    });
    assert.equal(byQuery.status, 200);
    await f.collector.flush();
    assert.deepEqual(
      (await readRaw(f.storage)).flatMap((o) => o.lines),
      ['{"k":"header"}', '{"k":"query"}'],
    );
  });

  test("preflight and requests from allowed origins get CORS headers; others are refused", async () => {
    const preflight = await fetch(events, {
      method: "OPTIONS",
      headers: {
        origin: "https://shop.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type, x-clickstream-write-key",
      },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get("access-control-allow-origin"), "https://shop.example");
    assert.match(preflight.headers.get("access-control-allow-methods")!, /POST/);
    assert.match(preflight.headers.get("access-control-allow-headers")!, /x-clickstream-write-key/);
    const evilPreflight = await fetch(events, {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    assert.equal(evilPreflight.status, 403);
    assert.equal(evilPreflight.headers.get("access-control-allow-origin"), null);

    const allowed = await post(`${events}?writeKey=${writeKey}`, '{"k":"cors"}', {
      "content-type": "text/plain",
      origin: "https://shop.example",
    });
    assert.equal(allowed.status, 200);
    assert.equal(allowed.headers.get("access-control-allow-origin"), "https://shop.example");
    const evil = await post(`${events}?writeKey=${writeKey}`, '{"k":"evil"}', {
      "content-type": "text/plain",
      origin: "https://evil.example",
    });
    assert.equal(evil.status, 403);
    assert.equal(evil.json.error, "CS_ERR_COLLECTOR_FORBIDDEN");
    await f.collector.flush();
    const lines = (await readRaw(f.storage)).flatMap((o) => o.lines);
    assert.ok(lines.includes('{"k":"cors"}'));
    assert.ok(!lines.includes('{"k":"evil"}'));
  });
});
