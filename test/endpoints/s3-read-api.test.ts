import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, describe, test } from "node:test";
import {
  GetBucketLocationCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { GetQueryExecutionCommand, StartQueryExecutionCommand } from "@aws-sdk/client-athena";
import type { ObjectInfo } from "../../src/storage/storage.js";
import {
  credentials,
  names,
  region,
  startEndpointsFixture,
  type EndpointsFixture,
} from "./endpoints-fixture.js";

const transformedBucket = "clickstream-pipeline-transformed-000000000000-us-east-1";
let f: EndpointsFixture;
let s3: S3Client;
let parquet: ObjectInfo[];
before(async () => {
  f = await startEndpointsFixture();
  s3 = new S3Client({ endpoint: f.serve.url, region, credentials, forcePathStyle: true });
  parquet = [];
  for await (const o of f.storage.list("transformed", "transformed/")) parquet.push(o);
});
after(async () => {
  s3.destroy();
  await f.stop();
});

async function rejects(promise: Promise<unknown>, name: string, status: number): Promise<void> {
  await assert.rejects(promise, (error: Error & { $metadata?: { httpStatusCode?: number } }) => {
    assert.equal(error.name, name, error.message);
    assert.equal(error.$metadata?.httpStatusCode, status);
    return true;
  });
}

describe("S3's read side through @aws-sdk/client-s3 (path-style)", () => {
  test("buckets: the local stack's names, HeadBucket, GetBucketLocation; others NoSuchBucket", async () => {
    const { Buckets } = await s3.send(new ListBucketsCommand({}));
    assert.deepEqual(
      Buckets!.map((b) => b.Name).sort(),
      [
        names.resultsBucket,
        "clickstream-pipeline-errors-000000000000-us-east-1",
        "clickstream-pipeline-raw-000000000000-us-east-1",
        transformedBucket,
      ].sort(),
    );
    await s3.send(new HeadBucketCommand({ Bucket: transformedBucket }));
    const location = await s3.send(new GetBucketLocationCommand({ Bucket: transformedBucket }));
    assert.equal(location.LocationConstraint ?? "", "");
    await rejects(s3.send(new ListObjectsV2Command({ Bucket: "someone-elses" })), "NoSuchBucket", 404);
  });

  test("ListObjectsV2: every object as storage lists it, folders at the delimiter, pages by MaxKeys", async () => {
    const all = await s3.send(new ListObjectsV2Command({ Bucket: transformedBucket }));
    assert.deepEqual(
      all.Contents!.map((o) => [o.Key, o.Size]),
      parquet.map((o) => [o.key, o.size]),
    );
    const folders = await s3.send(
      new ListObjectsV2Command({
        Bucket: transformedBucket,
        Prefix: "transformed/year=2026/month=11/",
        Delimiter: "/",
      }),
    );
    assert.deepEqual(
      folders.CommonPrefixes!.map((p) => p.Prefix),
      ["day=03/", "day=04/", "day=05/"].map((d) => `transformed/year=2026/month=11/${d}`),
    );
    assert.equal(folders.Contents, undefined);
    const keys: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: transformedBucket, MaxKeys: 1, ContinuationToken: token }),
      );
      pages++;
      keys.push(...page.Contents!.map((o) => o.Key!));
      token = page.NextContinuationToken;
    } while (token);
    assert.deepEqual(
      keys,
      parquet.map((o) => o.key),
    );
    assert.equal(pages, parquet.length);
    const after = await s3.send(
      new ListObjectsV2Command({ Bucket: transformedBucket, StartAfter: parquet[0]!.key }),
    );
    assert.equal(after.Contents!.length, parquet.length - 1);
  });

  test("ListObjects (version 1, as boto3's bucket.objects.filter calls it): Marker pages, NextMarker with a delimiter", async () => {
    const all = await s3.send(new ListObjectsCommand({ Bucket: transformedBucket, Prefix: "transformed/" }));
    assert.deepEqual(
      all.Contents!.map((o) => [o.Key, o.Size]),
      parquet.map((o) => [o.key, o.size]),
    );
    assert.equal(all.IsTruncated, false);
    // Without a delimiter S3 sends no NextMarker: the client continues after the last key it got.
    const keys: string[] = [];
    let marker: string | undefined;
    for (;;) {
      const page = await s3.send(
        new ListObjectsCommand({ Bucket: transformedBucket, MaxKeys: 1, Marker: marker }),
      );
      assert.equal(page.NextMarker, undefined);
      keys.push(...page.Contents!.map((o) => o.Key!));
      if (!page.IsTruncated) break;
      marker = page.Contents!.at(-1)!.Key;
    }
    assert.deepEqual(
      keys,
      parquet.map((o) => o.key),
    );
    // With one, NextMarker names the last entry, a folded prefix included, and the next page skips it whole.
    const prefix = "transformed/year=2026/month=11/";
    const first = await s3.send(
      new ListObjectsCommand({ Bucket: transformedBucket, Prefix: prefix, Delimiter: "/", MaxKeys: 1 }),
    );
    assert.deepEqual(
      first.CommonPrefixes!.map((p) => p.Prefix),
      [`${prefix}day=03/`],
    );
    assert.equal(first.NextMarker, `${prefix}day=03/`);
    const second = await s3.send(
      new ListObjectsCommand({
        Bucket: transformedBucket,
        Prefix: prefix,
        Delimiter: "/",
        Marker: first.NextMarker,
      }),
    );
    assert.deepEqual(
      second.CommonPrefixes!.map((p) => p.Prefix),
      [`${prefix}day=04/`, `${prefix}day=05/`],
    );
    assert.equal(second.IsTruncated, false);
    await rejects(s3.send(new ListObjectsCommand({ Bucket: "someone-elses" })), "NoSuchBucket", 404);
    // Another sub-resource of the bucket is not a listing: S3's NotImplemented, naming it.
    const versions = await fetch(`${f.serve.url}/${transformedBucket}?versions`);
    assert.equal(versions.status, 501);
    assert.match(await versions.text(), /<Code>NotImplemented<\/Code><Message>GET bucket with \?versions/);
  });

  test("HeadObject, GetObject whole and by Range, If-None-Match; NoSuchKey; writes elsewhere than raw/ AccessDenied", async () => {
    const key = parquet[0]!.key;
    const bytes = await f.storage.readBytes("transformed", key);
    const head = await s3.send(new HeadObjectCommand({ Bucket: transformedBucket, Key: key }));
    assert.equal(head.ContentLength, bytes.length);
    const whole = await s3.send(new GetObjectCommand({ Bucket: transformedBucket, Key: key }));
    assert.deepEqual(Buffer.from(await whole.Body!.transformToByteArray()), bytes);
    const magic = await s3.send(
      new GetObjectCommand({ Bucket: transformedBucket, Key: key, Range: "bytes=0-3" }),
    );
    assert.equal(magic.ContentRange, `bytes 0-3/${bytes.length}`);
    assert.equal(await magic.Body!.transformToString(), "PAR1");
    const tail = await s3.send(
      new GetObjectCommand({ Bucket: transformedBucket, Key: key, Range: "bytes=-4" }),
    );
    assert.equal(await tail.Body!.transformToString(), "PAR1");
    // S3 answers 304 with no body, so the SDK names the error by nothing but its status.
    await assert.rejects(
      s3.send(new GetObjectCommand({ Bucket: transformedBucket, Key: key, IfNoneMatch: head.ETag })),
      (error: Error & { $metadata?: { httpStatusCode?: number } }) => error.$metadata?.httpStatusCode === 304,
    );
    await rejects(
      s3.send(new GetObjectCommand({ Bucket: transformedBucket, Key: key, Range: `bytes=${bytes.length}-` })),
      "InvalidRange",
      416,
    );
    await rejects(
      s3.send(new GetObjectCommand({ Bucket: transformedBucket, Key: "transformed/nope.parquet" })),
      "NoSuchKey",
      404,
    );
    await rejects(
      s3.send(new HeadObjectCommand({ Bucket: transformedBucket, Key: "transformed/nope.parquet" })),
      "NotFound",
      404,
    );
    await rejects(
      s3.send(new PutObjectCommand({ Bucket: transformedBucket, Key: "transformed/x.parquet", Body: "x" })),
      "AccessDenied",
      403,
    );
    assert.equal(await f.storage.stat("transformed", "transformed/x.parquet"), undefined, "nothing written");
  });

  test("virtual-hosted style: the bucket in the Host (<bucket>.localhost), the key as the path", async () => {
    const url = new URL(f.serve.url);
    // Unsigned, as no access keys are configured; the scope still says which service a request is for.
    const authorization = `AWS4-HMAC-SHA256 Credential=local/20261207/${region}/s3/aws4_request, SignedHeaders=host, Signature=00`;
    const get = (path: string, host: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const headers = { host, authorization };
        const req = request({ hostname: url.hostname, port: url.port, path, headers }, (res) => {
          let body = "";
          res.on("data", (chunk: Buffer) => (body += chunk.toString()));
          res.on("end", () => resolve({ status: res.statusCode!, body }));
        });
        req.on("error", reject).end();
      });
    const host = `${transformedBucket}.localhost:${url.port}`;
    const listed = await get("/?list-type=2&prefix=transformed/", host);
    assert.equal(listed.status, 200);
    const keys = [...listed.body.matchAll(/<Key>([^<]+)<\/Key>/g)].map((m) => m[1]);
    assert.deepEqual(keys.sort(), parquet.map((o) => o.key).sort());
    const object = await get(`/${parquet[0]!.key}`, host);
    assert.equal(object.status, 200);
    assert.equal(Number(object.body.length > 0), 1);
    const other = await get("/", `another-bucket.localhost:${url.port}`);
    assert.equal(other.status, 404);
    assert.match(other.body, /<Code>NoSuchBucket<\/Code>/);
  });

  test("an Athena result is readable through S3 at its OutputLocation", async () => {
    const { QueryExecutionId: id } = await f.athena.send(
      new StartQueryExecutionCommand({
        QueryString: "SELECT count(*) AS n FROM transformed",
        WorkGroup: names.workgroup,
      }),
    );
    let e;
    do e = (await f.athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id }))).QueryExecution!;
    while (!["SUCCEEDED", "FAILED"].includes(e.Status!.State!));
    const location = /^s3:\/\/([^/]+)\/(.+)$/.exec(e.ResultConfiguration!.OutputLocation!)!;
    const csv = await s3.send(new GetObjectCommand({ Bucket: location[1], Key: location[2] }));
    assert.equal(await csv.Body!.transformToString(), `"n"\n"${f.events.length}"\n`);
  });
});
