// test tier: fast (in-process, no child processes)
import assert from "node:assert/strict";
import { mkdir, readdir, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { PutRecordBatchCommand, PutRecordCommand } from "@aws-sdk/client-firehose";
import { CollectorRequestError } from "../../src/collector/collector-request-error.js";
import { staleTempAgeMs } from "../../src/collector/stale-temp-files.js";
import { limits } from "../../src/contract/data-contract.js";
import { ClickstreamError } from "../../src/errors/clickstream-error.js";
import { tempDir } from "../support/temp-dir.js";
import { post, readRaw, startFixture, stopFixture, type CollectorFixture } from "./collector-fixture.js";

const stream = "clickstream-pipeline-stream";
/** An event nested `depth` objects deep, as text (JSON.stringify itself cannot build 5,000 levels). */
const nested = (depth: number): string => `${'{"a":'.repeat(depth - 1)}{"leaf":true}${"}".repeat(depth - 1)}`;

describe("hostile input on the collector", () => {
  let f: CollectorFixture;
  let events: string;
  before(async () => {
    f = await startFixture();
    events = `${f.collector.url}/v1/events`;
  });
  after(() => stopFixture(f));

  test("an event nested 5,000 levels deep is rejected on its own; the rest of the request is stored", async () => {
    const deep = nested(5000);
    const ndjson = await post(events, `{"event_id":"a"}\n${deep}\n{"event_id":"b"}\n`, {
      "content-type": "application/x-ndjson",
    });
    assert.equal(ndjson.status, 200);
    assert.equal(ndjson.json.accepted, 2);
    assert.deepEqual(
      (ndjson.json.rejected as { index: number; error: string }[]).map((r) => [r.index, r.error]),
      [[1, "nesting_too_deep"]],
    );
    // In an array too, and in arrays nested in arrays.
    const array = await post(events, `[{"event_id":"c"},${"[".repeat(5000)}${"]".repeat(5000)}]`);
    assert.equal(array.status, 200);
    assert.equal(array.json.accepted, 1);
    // The limit is the contract's, exactly: its depth passes, one more does not.
    const atLimit = await post(events, nested(limits.maxNestingDepth));
    assert.deepEqual(atLimit.json, { accepted: 1, rejected: [] });
    const overLimit = await post(events, nested(limits.maxNestingDepth + 1));
    assert.equal((overLimit.json.rejected as { error: string }[])[0]!.error, "nesting_too_deep");
    await f.collector.flush();
    const lines = (await readRaw(f.storage)).flatMap((o) => o.lines);
    assert.ok(lines.includes('{"event_id":"a"}') && lines.includes('{"event_id":"b"}'));
    assert.ok(lines.includes('{"event_id":"c"}'));
    assert.ok(!lines.some((l) => l.length > 5000));
  });

  test("invalid UTF-8 is never replaced silently: an NDJSON line is rejected, a JSON document refused", async () => {
    const good = Buffer.from('{"event_id":"utf8-ok","name":"caf\u00e9 \ufffd"}\n');
    const bad = Buffer.concat([
      Buffer.from('{"event_id":"utf8-bad","name":"caf'),
      Buffer.from([0xe9]),
      Buffer.from('"}\n'),
    ]);
    const ndjson = await post(
      events,
      Buffer.concat([good, bad, Buffer.from('{"event_id":"utf8-after"}\n')]),
      {
        "content-type": "application/x-ndjson",
      },
    );
    assert.equal(ndjson.status, 200);
    assert.equal(ndjson.json.accepted, 2);
    const rejected = ndjson.json.rejected as { index: number; error: string; message: string }[];
    assert.deepEqual(
      rejected.map((r) => [r.index, r.error]),
      [[1, "invalid_utf8"]],
    );
    assert.match(rejected[0]!.message, /line 2 is not valid UTF-8/);
    const array = await post(
      events,
      Buffer.concat([Buffer.from("["), bad.subarray(0, -1), Buffer.from("]")]),
    );
    assert.equal(array.status, 400);
    assert.equal(array.json.error, "CS_ERR_COLLECTOR_BAD_REQUEST");
    // The offending byte is named: after "[" and the 34 bytes of {"event_id":"utf8-bad","name":"caf.
    assert.match(String(array.json.message), /not valid UTF-8 \(byte 35\)/);
    await f.collector.flush();
    const lines = (await readRaw(f.storage)).flatMap((o) => o.lines);
    // The genuine U+FFFD of the good line is kept; nothing of the bad line or the refused body is stored.
    assert.ok(lines.includes('{"event_id":"utf8-ok","name":"caf\u00e9 \ufffd"}'));
    assert.ok(lines.includes('{"event_id":"utf8-after"}'));
    assert.ok(!lines.some((l) => l.includes("utf8-bad")));
  });

  test("Data in base64url, or with characters outside the alphabet, is a SerializationException as on AWS", async () => {
    const call = async (target: string, body: unknown) => {
      const response = await fetch(f.collector.url, {
        method: "POST",
        headers: {
          "content-type": "application/x-amz-json-1.1",
          "x-amz-target": `Firehose_20150804.${target}`,
        },
        body: JSON.stringify(body),
      });
      return {
        status: response.status,
        body: (await response.json()) as { __type: string; message: string },
      };
    };
    // {"a":"??>"} in base64url is eyJhIjoiPz8-In0= ('-' where base64 has '+'); Node's decoder would take it.
    const data = Buffer.from('{"a":"??>"}').toString("base64url");
    assert.match(data, /[-_]/);
    for (const bad of [data.padEnd(Math.ceil(data.length / 4) * 4, "="), "e30=\n", "e3 0", "e30"]) {
      const one = await call("PutRecord", { DeliveryStreamName: stream, Record: { Data: bad } });
      assert.deepEqual([one.status, one.body.__type], [400, "SerializationException"], JSON.stringify(bad));
    }
    const batch = await call("PutRecordBatch", {
      DeliveryStreamName: stream,
      Records: [{ Data: Buffer.from("{}").toString("base64") }, { Data: "e30_" }],
    });
    assert.deepEqual([batch.status, batch.body.__type], [400, "SerializationException"]);
    // The SDK sends standard base64: accepted.
    const ok = await f.client.send(
      new PutRecordBatchCommand({
        DeliveryStreamName: stream,
        Records: [{ Data: Buffer.from('{"a":"??>"}') }],
      }),
    );
    assert.equal(ok.FailedPutCount, 0);
    await f.client.send(
      new PutRecordCommand({ DeliveryStreamName: stream, Record: { Data: Buffer.from("{}") } }),
    );
  });
});

describe("temp files a killed collector left in raw/", () => {
  test("are removed at start once old enough; young ones and other files stay", async () => {
    const warehouse = await tempDir("clickstream-collector-");
    const day = join(warehouse, "raw/year=2026/month=11/day=24");
    await mkdir(day, { recursive: true });
    await mkdir(join(warehouse, "transformed"), { recursive: true });
    const old = new Date(Date.now() - staleTempAgeMs - 60_000);
    const files = {
      stale: join(day, ".tmp-3f0c2a4e-8b1d-4e6f-9a7c-5d2e1b0f4a3c"),
      young: join(day, ".tmp-7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"),
      object: join(
        day,
        "clickstream-pipeline-stream-1-2026-11-24-10-00-00-0b5e6a1c-2f4d-4c1e-9b7a-1d2e3f4a5b6c",
      ),
      otherWriter: join(warehouse, "transformed/.tmp-3f0c2a4e-8b1d-4e6f-9a7c-5d2e1b0f4a3d"),
      notATemp: join(day, ".tmp-notes.txt"),
    };
    for (const path of Object.values(files)) await writeFile(path, '{"event_id":"x"}\n');
    for (const path of [files.stale, files.otherWriter, files.notATemp]) await utimes(path, old, old);

    const f = await startFixture({}, { warehouse });
    try {
      assert.deepEqual((await readdir(day)).sort(), [
        ".tmp-7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        ".tmp-notes.txt",
        "clickstream-pipeline-stream-1-2026-11-24-10-00-00-0b5e6a1c-2f4d-4c1e-9b7a-1d2e3f4a5b6c",
      ]);
      assert.deepEqual(await readdir(join(warehouse, "transformed")), [
        ".tmp-3f0c2a4e-8b1d-4e6f-9a7c-5d2e1b0f4a3d",
      ]);
    } finally {
      await stopFixture(f);
    }
  });
});

test("CollectorRequestError is a ClickstreamError and keeps its HTTP mapping", () => {
  const error = new CollectorRequestError(
    "CS_ERR_COLLECTOR_NOT_FOUND",
    "Firehose x under account 0 not found.",
  );
  assert.ok(error instanceof ClickstreamError);
  assert.equal(error.code, "CS_ERR_COLLECTOR_NOT_FOUND");
  assert.equal(error.status, error.statusCode);
  assert.equal(error.firehoseType, "ResourceNotFoundException");
  assert.equal(error.firehoseStatus, 400);
  assert.equal(error.detail, "Firehose x under account 0 not found.");
  assert.match(error.message, /: Firehose x under account 0 not found\.$/);
  assert.ok(error.fix.length > 0);
});
