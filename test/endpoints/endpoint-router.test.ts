import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { AthenaClient, ListWorkGroupsCommand } from "@aws-sdk/client-athena";
import { FirehoseClient, ListDeliveryStreamsCommand, PutRecordCommand } from "@aws-sdk/client-firehose";
import { GetDatabasesCommand, GlueClient } from "@aws-sdk/client-glue";
import { ListBucketsCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { startCollector, type RunningCollector } from "../../src/collector/collector-server.js";
import { parseConfig } from "../../src/config/load-config.js";
import { awsEndpoints } from "../../src/endpoints/aws-endpoints.js";
import { LocalStorage } from "../../src/storage/local-storage.js";
import { tempDir } from "../support/temp-dir.js";
import { credentials, region, startEndpointsFixture, type EndpointsFixture } from "./endpoints-fixture.js";

let f: EndpointsFixture;
before(async () => {
  f = await startEndpointsFixture();
});
after(() => f.stop());

/** A fake SigV4 header naming `service` in its scope (the served endpoint has no keys, so only the scope counts). */
const scopedTo = (service: string): string =>
  `AWS4-HMAC-SHA256 Credential=local/20261207/${region}/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=${"0".repeat(64)}`;

async function post(
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; type: string | null; errorType: string | null; text: string }> {
  const response = await fetch(`${f.serve.url}/`, { method: "POST", headers, body });
  return {
    status: response.status,
    type: response.headers.get("content-type"),
    errorType: response.headers.get("x-amzn-errortype"),
    text: await response.text(),
  };
}

const json11 = { "content-type": "application/x-amz-json-1.1" };

describe("the router on the collector's port", () => {
  test("a malformed JSON body answers SerializationException in the JSON shape", async () => {
    const r = await post({ ...json11, "x-amz-target": "AmazonAthena.ListWorkGroups" }, "{not json");
    assert.equal(r.status, 400);
    assert.equal(r.type, "application/x-amz-json-1.1");
    assert.equal(JSON.parse(r.text).__type, "SerializationException");
    const array = await post({ ...json11, "x-amz-target": "AWSGlue.GetDatabases" }, "[]");
    assert.equal(JSON.parse(array.text).__type, "SerializationException");
  });

  test("an operation not served answers UnknownOperationException naming it", async () => {
    const r = await post({ ...json11, "x-amz-target": "AmazonAthena.CreateNamedQuery" }, "{}");
    assert.equal(r.status, 400);
    assert.equal(r.errorType, "UnknownOperationException");
    assert.match(JSON.parse(r.text).Message, /CreateNamedQuery/);
    const glue = await post({ ...json11, "x-amz-target": "AWSGlue.CreateCrawler" }, "{}");
    assert.match(JSON.parse(glue.text).Message, /CreateCrawler/);
  });

  test("a target of another service than the signature's, or no target: UnknownOperationException", async () => {
    const wrong = await post(
      { ...json11, authorization: scopedTo("athena"), "x-amz-target": "AWSGlue.GetTables" },
      "{}",
    );
    assert.equal(wrong.status, 400);
    assert.equal(JSON.parse(wrong.text).__type, "UnknownOperationException");
    assert.match(JSON.parse(wrong.text).Message, /AWSGlue\.GetTables/);
    const none = await post({ ...json11, authorization: scopedTo("glue") }, "{}");
    assert.equal(JSON.parse(none.text).__type, "UnknownOperationException");
    const service = await post(
      { ...json11, authorization: scopedTo("dynamodb"), "x-amz-target": "DynamoDB_20120810.ListTables" },
      "{}",
    );
    assert.equal(JSON.parse(service.text).__type, "UnknownOperationException");
    assert.match(JSON.parse(service.text).Message, /dynamodb/);
  });

  test("STS GetCallerIdentity on the query protocol; an unknown action in STS's XML error shape", async () => {
    const form = { "content-type": "application/x-www-form-urlencoded; charset=utf-8" };
    const r = await post(
      { ...form, authorization: scopedTo("sts") },
      "Action=GetCallerIdentity&Version=2011-06-15",
    );
    assert.equal(r.status, 200);
    assert.match(r.text, /<GetCallerIdentityResult><Arn>arn:aws:iam::000000000000:root<\/Arn>/);
    assert.match(r.text, /<Account>000000000000<\/Account>/);
    const unsigned = await post(form, "Action=GetCallerIdentity&Version=2011-06-15");
    assert.match(unsigned.text, /<Account>000000000000<\/Account>/);
    const unknown = await post(
      { ...form, authorization: scopedTo("sts") },
      "Action=AssumeRole&Version=2011-06-15",
    );
    assert.equal(unknown.status, 400);
    assert.match(unknown.text, /<Code>InvalidAction<\/Code>/);
  });

  test("Firehose still answers on the same port, the router in front", async () => {
    const firehose = new FirehoseClient({ endpoint: f.serve.url, region, credentials });
    try {
      const streams = await firehose.send(new ListDeliveryStreamsCommand({}));
      assert.deepEqual(streams.DeliveryStreamNames, ["clickstream-pipeline-stream"]);
      const put = await firehose.send(
        new PutRecordCommand({
          DeliveryStreamName: "clickstream-pipeline-stream",
          Record: { Data: Buffer.from('{"event_id":"e1"}\n') },
        }),
      );
      assert.ok(put.RecordId);
    } finally {
      firehose.destroy();
    }
    const unknown = await post({ ...json11, "x-amz-target": "Firehose_20150804.DeleteDeliveryStream" }, "{}");
    assert.equal(JSON.parse(unknown.text).__type, "UnknownOperationException");
    // The collector's metrics count each service's requests under its own name, not Firehose's.
    const metrics = await (await fetch(`${f.serve.url}/metrics`)).text();
    assert.match(metrics, /api="athena",status="400"/);
    assert.match(metrics, /api="sts",status="200"/);
    assert.match(metrics, /api="firehose",status="200"/);
  });
});

describe("SigV4 with access keys configured", () => {
  let collector: RunningCollector;
  const keys = { accessKeyId: "AKIDLOCAL", secretAccessKey: "local-secret" };
  before(async () => {
    const warehouse = await tempDir("clickstream-endpoints-sigv4-");
    const storage = new LocalStorage(warehouse);
    const config = parseConfig({ warehouse: { dir: warehouse }, collector: { accessKeys: [keys] } });
    collector = await startCollector({
      storage,
      walDir: `${warehouse}/_state/collector/wal`,
      config: config.collector,
      port: 0,
      logger: false,
      services: awsEndpoints({ storage, config }),
    });
  });
  after(() => collector.close());

  test("the right keys pass for every service; others are refused in the service's shape", async () => {
    const athena = new AthenaClient({ endpoint: collector.url, region, credentials: keys });
    const glue = new GlueClient({
      endpoint: collector.url,
      region,
      credentials: { ...keys, secretAccessKey: "wrong" },
    });
    const stranger = new AthenaClient({ endpoint: collector.url, region, credentials });
    try {
      const groups = await athena.send(new ListWorkGroupsCommand({}));
      assert.equal(groups.WorkGroups!.length, 2);
      await assert.rejects(glue.send(new GetDatabasesCommand({})), { name: "InvalidSignatureException" });
      await assert.rejects(stranger.send(new ListWorkGroupsCommand({})), {
        name: "UnrecognizedClientException",
      });
      const s3 = new S3Client({ endpoint: collector.url, region, credentials: keys, forcePathStyle: true });
      const s3Wrong = new S3Client({
        endpoint: collector.url,
        region,
        credentials: { ...keys, secretAccessKey: "wrong" },
        forcePathStyle: true,
      });
      try {
        const { Buckets } = await s3.send(new ListBucketsCommand({}));
        assert.equal(Buckets!.length, 4);
        const listed = await s3.send(
          new ListObjectsV2Command({ Bucket: Buckets![0]!.Name!, Prefix: "a b+c/" }),
        );
        assert.equal(listed.KeyCount, 0, "a signed path and query with characters S3 encodes");
        await assert.rejects(s3Wrong.send(new ListBucketsCommand({})), { name: "SignatureDoesNotMatch" });
      } finally {
        s3.destroy();
        s3Wrong.destroy();
      }
    } finally {
      athena.destroy();
      glue.destroy();
      stranger.destroy();
    }
  });
});
