// test tier: fast (in-process, no child processes)
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { after, before, describe, test } from "node:test";
import {
  DescribeDeliveryStreamCommand,
  FirehoseClient,
  ListDeliveryStreamsCommand,
  PutRecordBatchCommand,
  PutRecordCommand,
} from "@aws-sdk/client-firehose";
import { SignatureV4 } from "@smithy/signature-v4";
import type { ClickstreamError } from "../../src/errors/clickstream-error.js";
import {
  firehoseClient,
  readRaw,
  startFixture,
  stopFixture,
  type CollectorFixture,
} from "./collector-fixture.js";

const stream = "clickstream-pipeline-stream";
const enc = (s: string): Uint8Array => Buffer.from(s, "utf8");
const RAW_KEY =
  /^raw\/year=(\d{4})\/month=(\d{2})\/day=(\d{2})\/clickstream-pipeline-stream-1-(\d{4})-(\d{2})-(\d{2})-\d{2}-\d{2}-\d{2}-[0-9a-f-]{36}$/;

async function rejects(
  promise: Promise<unknown>,
  name: string,
  status: number,
  message?: RegExp,
): Promise<void> {
  await assert.rejects(promise, (error: Error & { $metadata?: { httpStatusCode?: number } }) => {
    assert.equal(error.name, name, error.message);
    assert.equal(error.$metadata?.httpStatusCode, status);
    if (message) assert.match(error.message, message);
    return true;
  });
}

describe("Firehose API through @aws-sdk/client-firehose", () => {
  let f: CollectorFixture;
  before(async () => {
    f = await startFixture({
      streams: [
        {
          name: stream,
          version: 1,
          bufferingHints: { sizeInMBs: 64, intervalInSeconds: 900 },
          compressionFormat: "UNCOMPRESSED",
        },
        {
          name: "second-stream",
          version: 3,
          bufferingHints: { sizeInMBs: 1, intervalInSeconds: 0 },
          compressionFormat: "GZIP",
        },
      ],
    });
  });
  after(() => stopFixture(f));

  test("PutRecord answers a RecordId and the record lands as one line, dated by arrival", async () => {
    const before = new Date();
    const a = await f.client.send(
      new PutRecordCommand({ DeliveryStreamName: stream, Record: { Data: enc('{"n":1}') } }),
    );
    assert.equal(typeof a.RecordId, "string");
    assert.ok(a.RecordId!.length > 20);
    assert.equal(a.Encrypted, false);
    // Already ends with a newline: not doubled. Raw newlines inside a record are stored as sent.
    await f.client.send(
      new PutRecordCommand({ DeliveryStreamName: stream, Record: { Data: enc('{"n":2}\n') } }),
    );
    await f.client.send(
      new PutRecordCommand({ DeliveryStreamName: stream, Record: { Data: enc('{"n":\n3}') } }),
    );
    await f.collector.flush();
    const objects = await readRaw(f.storage);
    assert.equal(objects.length, 1);
    const [object] = objects;
    const match = RAW_KEY.exec(object!.key);
    assert.ok(match, object!.key);
    const day = `${before.getUTCFullYear()}-${String(before.getUTCMonth() + 1).padStart(2, "0")}-${String(before.getUTCDate()).padStart(2, "0")}`;
    assert.equal(`${match[1]}-${match[2]}-${match[3]}`, day);
    assert.equal(`${match[4]}-${match[5]}-${match[6]}`, day);
    assert.deepEqual(object!.lines, ['{"n":1}', '{"n":2}', '{"n":', "3}"]);
    for (const o of objects) await f.storage.delete("raw", o.key);
  });

  test("PutRecordBatch answers every record in request order, failing only the oversize one", async () => {
    const big = "x".repeat(1_024_001);
    const records = ['{"i":0}', '{"i":1}', big, '{"i":3}', '{"i":4}'].map((s) => ({ Data: enc(s) }));
    const response = await f.client.send(
      new PutRecordBatchCommand({ DeliveryStreamName: stream, Records: records }),
    );
    assert.equal(response.FailedPutCount, 1);
    assert.equal(response.Encrypted, false);
    const entries = response.RequestResponses!;
    assert.equal(entries.length, 5);
    assert.equal(entries[2]!.ErrorCode, "InvalidArgumentException");
    assert.match(entries[2]!.ErrorMessage!, /records\.3\.member\.data.*less than or equal to 1024000/);
    assert.equal(entries[2]!.RecordId, undefined);
    const ids = [0, 1, 3, 4].map((i) => entries[i]!.RecordId);
    for (const id of ids) assert.equal(typeof id, "string");
    assert.equal(new Set(ids).size, 4);
    // A record of exactly 1,024,000 bytes is within the limit.
    const edge = await f.client.send(
      new PutRecordBatchCommand({
        DeliveryStreamName: stream,
        Records: [{ Data: enc("y".repeat(1_024_000)) }],
      }),
    );
    assert.equal(edge.FailedPutCount, 0);
    await f.collector.flush();
    const objects = await readRaw(f.storage);
    assert.equal(objects.length, 1);
    assert.deepEqual(objects[0]!.lines, ['{"i":0}', '{"i":1}', '{"i":3}', '{"i":4}', "y".repeat(1_024_000)]);
    for (const o of objects) await f.storage.delete("raw", o.key);
  });

  test("call-level limits and errors have AWS's names and statuses", async () => {
    const one = { Data: enc("{}") };
    await rejects(
      f.client.send(
        new PutRecordBatchCommand({
          DeliveryStreamName: stream,
          Records: Array.from({ length: 501 }, () => one),
        }),
      ),
      "InvalidArgumentException",
      400,
      /between 1 and 500/,
    );
    await rejects(
      f.client.send(new PutRecordBatchCommand({ DeliveryStreamName: stream, Records: [] })),
      "InvalidArgumentException",
      400,
    );
    const nineHundredK = { Data: enc("z".repeat(900_000)) };
    await rejects(
      f.client.send(
        new PutRecordBatchCommand({
          DeliveryStreamName: stream,
          Records: Array.from({ length: 5 }, () => nineHundredK),
        }),
      ),
      "InvalidArgumentException",
      400,
      /4194304 bytes/,
    );
    await rejects(
      f.client.send(
        new PutRecordCommand({ DeliveryStreamName: stream, Record: { Data: enc("q".repeat(1_024_001)) } }),
      ),
      "InvalidArgumentException",
      400,
      /less than or equal to 1024000/,
    );
    await rejects(
      f.client.send(new PutRecordCommand({ DeliveryStreamName: "no-such-stream", Record: one })),
      "ResourceNotFoundException",
      400,
      /no-such-stream/,
    );
    await rejects(
      f.client.send(new PutRecordCommand({ DeliveryStreamName: "bad name!", Record: one })),
      "InvalidArgumentException",
      400,
      /deliveryStreamName/,
    );
    await rejects(
      f.client.send(new PutRecordCommand({ DeliveryStreamName: "x".repeat(65), Record: one })),
      "InvalidArgumentException",
      400,
    );
    // Nothing of the refused calls was stored.
    await f.collector.flush();
    assert.deepEqual(await readRaw(f.storage), []);
  });

  test("wire-level garbage gets AWS-shaped errors and the server keeps serving", async () => {
    const call = async (target: string | undefined, body: string, type = "application/x-amz-json-1.1") => {
      const headers: Record<string, string> = { "content-type": type };
      if (target) headers["x-amz-target"] = target;
      const response = await fetch(f.collector.url + "/", { method: "POST", headers, body });
      assert.equal(response.headers.get("content-type"), "application/x-amz-json-1.1");
      return {
        status: response.status,
        body: (await response.json()) as { __type: string; message: string },
      };
    };
    const badJson = await call("Firehose_20150804.PutRecord", '{"DeliveryStreamName": "x", ');
    assert.deepEqual([badJson.status, badJson.body.__type], [400, "SerializationException"]);
    assert.match(badJson.body.message, /not valid JSON/);
    const badBase64 = await call(
      "Firehose_20150804.PutRecordBatch",
      JSON.stringify({
        DeliveryStreamName: stream,
        Records: [{ Data: "eyJhIjoxfQ==" }, { Data: "not base64!!" }],
      }),
    );
    assert.deepEqual([badBase64.status, badBase64.body.__type], [400, "SerializationException"]);
    assert.match(badBase64.body.message, /Records\[1\]\.Data is not valid base64/);
    const noData = await call(
      "Firehose_20150804.PutRecord",
      JSON.stringify({ DeliveryStreamName: stream, Record: {} }),
    );
    assert.deepEqual([noData.status, noData.body.__type], [400, "InvalidArgumentException"]);
    const unknownOp = await call("Firehose_20150804.DeleteDeliveryStream", "{}");
    assert.deepEqual([unknownOp.status, unknownOp.body.__type], [400, "UnknownOperationException"]);
    const otherService = await call("Kinesis_20131202.PutRecord", "{}");
    assert.equal(otherService.body.__type, "UnknownOperationException");
    const noTarget = await call(undefined, "{}");
    assert.deepEqual([noTarget.status, noTarget.body.__type], [400, "UnknownOperationException"]);
    const wrongType = await call("Firehose_20150804.ListDeliveryStreams", "{}", "text/xml");
    assert.equal(wrongType.status, 415);
    const list = await call("Firehose_20150804.ListDeliveryStreams", "{}");
    assert.equal(list.status, 200);
  });

  test("DescribeDeliveryStream and ListDeliveryStreams describe the configured streams", async () => {
    const described = await f.client.send(
      new DescribeDeliveryStreamCommand({ DeliveryStreamName: "second-stream" }),
    );
    const d = described.DeliveryStreamDescription!;
    assert.equal(d.DeliveryStreamName, "second-stream");
    assert.equal(d.DeliveryStreamStatus, "ACTIVE");
    assert.equal(d.DeliveryStreamType, "DirectPut");
    assert.equal(d.VersionId, "3");
    assert.equal(d.DeliveryStreamARN, "arn:aws:firehose:us-east-1:000000000000:deliverystream/second-stream");
    assert.ok(d.CreateTimestamp instanceof Date);
    const s3 = d.Destinations![0]!.ExtendedS3DestinationDescription!;
    assert.deepEqual(s3.BufferingHints, { SizeInMBs: 1, IntervalInSeconds: 0 });
    assert.equal(s3.CompressionFormat, "GZIP");
    assert.match(s3.Prefix!, /^raw\/year=!\{timestamp:yyyy\}/);
    await rejects(
      f.client.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: "missing" })),
      "ResourceNotFoundException",
      400,
    );
    const all = await f.client.send(new ListDeliveryStreamsCommand({}));
    assert.deepEqual(all.DeliveryStreamNames, [stream, "second-stream"]);
    assert.equal(all.HasMoreDeliveryStreams, false);
    const page = await f.client.send(new ListDeliveryStreamsCommand({ Limit: 1 }));
    assert.deepEqual([page.DeliveryStreamNames, page.HasMoreDeliveryStreams], [[stream], true]);
    const next = await f.client.send(
      new ListDeliveryStreamsCommand({ Limit: 1, ExclusiveStartDeliveryStreamName: stream }),
    );
    assert.deepEqual([next.DeliveryStreamNames, next.HasMoreDeliveryStreams], [["second-stream"], false]);
    const kinesisSourced = await f.client.send(
      new ListDeliveryStreamsCommand({ DeliveryStreamType: "KinesisStreamAsSource" }),
    );
    assert.deepEqual(kinesisSourced.DeliveryStreamNames, []);
  });
});

describe("Firehose API with access keys configured (SigV4 verified)", () => {
  let f: CollectorFixture;
  const key = { accessKeyId: "AKIDCOLLECTORTEST", secretAccessKey: "s3cr3t-key-for-tests" };
  before(async () => {
    f = await startFixture({ accessKeys: [key] });
  });
  after(() => stopFixture(f));

  test("a correctly signed SDK request is accepted", async () => {
    const client = firehoseClient(f.collector.url, key);
    const response = await client.send(
      new PutRecordCommand({ DeliveryStreamName: stream, Record: { Data: enc("{}") } }),
    );
    assert.equal(typeof response.RecordId, "string");
    client.destroy();
  });

  test("wrong secret, unknown key, unsigned and tampered requests are refused with 403", async () => {
    const wrongSecret = firehoseClient(f.collector.url, {
      accessKeyId: key.accessKeyId,
      secretAccessKey: "nope",
    });
    await rejects(
      wrongSecret.send(new PutRecordCommand({ DeliveryStreamName: stream, Record: { Data: enc("{}") } })),
      "InvalidSignatureException",
      403,
    );
    wrongSecret.destroy();
    const unknown = firehoseClient(f.collector.url, { accessKeyId: "AKIDUNKNOWN", secretAccessKey: "x" });
    await rejects(unknown.send(new ListDeliveryStreamsCommand({})), "UnrecognizedClientException", 403);
    unknown.destroy();

    const body = JSON.stringify({
      DeliveryStreamName: stream,
      Record: { Data: Buffer.from("{}").toString("base64") },
    });
    const unsigned = await fetch(f.collector.url, {
      method: "POST",
      headers: {
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": "Firehose_20150804.PutRecord",
      },
      body,
    });
    assert.equal(unsigned.status, 403);
    assert.equal(
      ((await unsigned.json()) as { __type: string }).__type,
      "MissingAuthenticationTokenException",
    );

    // Sign one body, send another: the payload hash no longer matches.
    const url = new URL(f.collector.url);
    const headers = await signPutRecord(url, body, key, true);
    const genuine = await fetch(f.collector.url, { method: "POST", headers, body });
    assert.equal(genuine.status, 200, await genuine.clone().text());
    const tampered = await fetch(f.collector.url, {
      method: "POST",
      headers,
      body: body.replace("e30", "e31"),
    });
    assert.equal(tampered.status, 403);
    assert.equal(((await tampered.json()) as { __type: string }).__type, "InvalidSignatureException");
    // Without an x-amz-content-sha256 header the body hash is inside the signature itself.
    const bareHeaders = await signPutRecord(url, body, key, false);
    assert.equal(bareHeaders["x-amz-content-sha256"], undefined);
    assert.equal((await fetch(f.collector.url, { method: "POST", headers: bareHeaders, body })).status, 200);
    const tamperedBare = await fetch(f.collector.url, {
      method: "POST",
      headers: bareHeaders,
      body: body.replace("e30", "e31"),
    });
    assert.equal(tamperedBare.status, 403);
  });
});

describe("Firehose API: the credential scope and the write-key gate", () => {
  let f: CollectorFixture;
  const key = { accessKeyId: "AKIDSCOPETEST", secretAccessKey: "scope-secret-for-tests" };
  const writeKey = "wk_test_scope_0001";
  const body = JSON.stringify({
    DeliveryStreamName: stream,
    Record: { Data: Buffer.from("{}").toString("base64") },
  });
  before(async () => {
    f = await startFixture({ accessKeys: [key], writeKeys: [writeKey], region: "eu-central-1" });
  });
  after(() => stopFixture(f));

  async function refused(headers: Record<string, string>, message: RegExp): Promise<void> {
    const response = await fetch(f.collector.url, { method: "POST", headers, body });
    assert.equal(response.status, 403);
    const answer = (await response.json()) as { __type: string; message: string };
    assert.equal(answer.__type, "InvalidSignatureException");
    assert.match(answer.message, message);
  }

  test("a signature for another region, another service, another day or too old is refused", async () => {
    const url = new URL(f.collector.url);
    const ok = await signPutRecord(url, body, key, true, { region: "eu-central-1" });
    assert.equal((await fetch(f.collector.url, { method: "POST", headers: ok, body })).status, 200);
    await refused(
      await signPutRecord(url, body, key, true, { region: "us-east-1" }),
      /valid region, not 'us-east-1'/,
    );
    await refused(
      await signPutRecord(url, body, key, true, { region: "eu-central-1", service: "s3" }),
      /correct service: 'firehose'/,
    );
    const otherDay = { ...ok, authorization: ok.authorization!.replace(/\/(\d{8})\//, "/19990101/") };
    await refused(otherDay, /Date in Credential scope does not match/);
    const old = new Date(Date.now() - 20 * 60 * 1000);
    await refused(
      await signPutRecord(url, body, key, true, { region: "eu-central-1", signingDate: old }),
      /Signature expired/,
    );
    // The AWS SDK configured for another region gets the same answer.
    const client = new FirehoseClient({
      endpoint: f.collector.url,
      region: "us-west-2",
      credentials: key,
      maxAttempts: 1,
    });
    await rejects(
      client.send(new PutRecordCommand({ DeliveryStreamName: stream, Record: { Data: enc("{}") } })),
      "InvalidSignatureException",
      403,
    );
    client.destroy();
  });

  test("with write keys on /v1/events, an unsigned Firehose call is refused too", async () => {
    const unsigned = await fetch(f.collector.url, {
      method: "POST",
      headers: {
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": "Firehose_20150804.PutRecord",
      },
      body,
    });
    assert.equal(unsigned.status, 403);
    assert.equal(
      ((await unsigned.json()) as { __type: string }).__type,
      "MissingAuthenticationTokenException",
    );
    const events = `${f.collector.url}/v1/events`;
    assert.equal((await fetch(events, { method: "POST", body: "{}" })).status, 401);
    const keyed = await fetch(`${events}?writeKey=${writeKey}`, { method: "POST", body: '{"ok":1}' });
    assert.equal(keyed.status, 200);
  });

  test("write keys without access keys: the collector refuses to start, saying why", async () => {
    await assert.rejects(startFixture({ writeKeys: [writeKey] }), (error: ClickstreamError) => {
      assert.equal(error.code, "CS_ERR_INVALID_CONFIG");
      assert.match(error.message, /collector\.accessKeys: writeKeys gate POST \/v1\/events/);
      return true;
    });
  });
});

/** SigV4 headers for a PutRecord to `url`; without `applyChecksum` the body hash is only inside the signature. */
async function signPutRecord(
  url: URL,
  body: string,
  credentials: ConstructorParameters<typeof SignatureV4>[0]["credentials"],
  applyChecksum: boolean,
  scope: { region?: string; service?: string; signingDate?: Date } = {},
): Promise<Record<string, string>> {
  const signer = new SignatureV4({
    credentials,
    region: scope.region ?? "us-east-1",
    service: scope.service ?? "firehose",
    sha256: Sha256,
    applyChecksum,
  });
  const signed = await signer.sign(
    {
      method: "POST",
      protocol: "http:",
      hostname: url.hostname,
      port: Number(url.port),
      path: "/",
      query: {},
      headers: {
        host: url.host,
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": "Firehose_20150804.PutRecord",
      },
      body,
    },
    scope.signingDate ? { signingDate: scope.signingDate } : {},
  );
  return signed.headers as Record<string, string>;
}

class Sha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    const key =
      typeof secret === "string" || secret === undefined ? secret : Buffer.from(secret as Uint8Array);
    this.hash = key === undefined ? createHash("sha256") : createHmac("sha256", key);
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(typeof data === "string" ? data : Buffer.from(data as Uint8Array));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(this.hash.digest());
  }
}
