import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { parseConfig } from "../../src/config/load-config.js";
import { listArrivalNotices } from "../../src/storage/arrival-notice.js";
import { LocalStorage } from "../../src/storage/local-storage.js";
import type { BucketRole } from "../../src/storage/storage.js";
import { runTransform } from "../../src/transform/run-transform.js";
import { awsCliV2, awsCliV2Path, pythonClients, requireTool, venvPython } from "../support/optional-suite.js";
import { event, ndjson } from "../support/sample-events.js";
import { isolatedAwsCliEnv, serveProcess, type ServeProcess } from "../support/serve-process.js";
import { tempDir } from "../support/temp-dir.js";
import { credentials, names, region } from "./endpoints-fixture.js";

const exec = promisify(execFile);
const rawBucket = "clickstream-pipeline-raw-000000000000-us-east-1";
const transformedBucket = "clickstream-pipeline-transformed-000000000000-us-east-1";
const MiB = 1024 * 1024;

let serve: ServeProcess;
let storage: LocalStorage;
let s3: S3Client;
before(async () => {
  serve = await serveProcess("clickstream-s3-write-");
  storage = new LocalStorage(serve.warehouse);
  s3 = new S3Client({ endpoint: serve.url, region, credentials, forcePathStyle: true });
});
after(async () => {
  s3.destroy();
  await serve.stop();
});

async function rejects(promise: Promise<unknown>, name: string, status: number): Promise<void> {
  await assert.rejects(promise, (error: Error & { $metadata?: { httpStatusCode?: number } }) => {
    assert.equal(error.name, name, error.message);
    assert.equal(error.$metadata?.httpStatusCode, status);
    return true;
  });
}

/** Every key of a bucket's folder, including `_state/` ones and nothing hidden. */
async function keys(role: BucketRole, prefix?: string): Promise<string[]> {
  const out: string[] = [];
  for await (const o of storage.list(role, prefix)) out.push(o.key);
  return out;
}

/** `n` valid events of one day as NDJSON, `prefix` making their ids distinct. */
function events(day: string, n: number, prefix: string): string {
  return ndjson(
    Array.from({ length: n }, (_, i) =>
      event(`${prefix}-${i}`, `${prefix}-s${i % 50}`, `${day}T10:${String(i % 60).padStart(2, "0")}:00.000Z`),
    ),
  );
}

const transform = () =>
  runTransform({
    storage,
    config: parseConfig({}).transform,
    workDir: serve.warehouse,
    now: new Date("2026-11-25T12:00:00Z"),
  });

describe("S3 writes through @aws-sdk/client-s3", () => {
  test("PutObject into raw/: written whole, an arrival notice for its day, checksums verified; the transform reads it", async () => {
    const key = "raw/year=2026/month=11/day=20/upload-1.json";
    const body = events("2026-11-20", 40, "put");
    const put = await s3.send(new PutObjectCommand({ Bucket: rawBucket, Key: key, Body: body }));
    assert.match(put.ETag!, /^"[0-9a-f]{32}"$/);
    assert.equal((await storage.readBytes("raw", key)).toString("utf8"), body);
    const notices = await listArrivalNotices(storage);
    assert.ok(notices.days.has("2026-11-20"), "the day folder is named by an arrival notice");
    const read = await s3.send(new GetObjectCommand({ Bucket: rawBucket, Key: key }));
    assert.equal(read.ETag, put.ETag, "HeadObject/GetObject give the ETag PutObject answered");

    // Every flexible checksum the SDK can send is verified (and so computed as the SDK computes it).
    for (const algorithm of ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"] as const) {
      const k = `raw/year=2026/month=11/day=20/checksum-${algorithm}.json`;
      await s3.send(
        new PutObjectCommand({ Bucket: rawBucket, Key: k, Body: body, ChecksumAlgorithm: algorithm }),
      );
      assert.equal((await storage.readBytes("raw", k)).toString("utf8"), body, algorithm);
      await storage.delete("raw", k);
    }
    await rejects(
      s3.send(
        new PutObjectCommand({
          Bucket: rawBucket,
          Key: "raw/bad.json",
          Body: body,
          ContentMD5: "1B2M2Y8AsgTpgAmY7PhCfg==",
        }),
      ),
      "BadDigest",
      400,
    );
    await rejects(
      s3.send(
        new PutObjectCommand({
          Bucket: rawBucket,
          Key: "raw/bad.json",
          Body: body,
          ChecksumCRC32: "AAAAAA==",
        }),
      ),
      "BadDigest",
      400,
    );
    assert.equal(await storage.stat("raw", "raw/bad.json"), undefined, "a failed upload leaves nothing");

    const report = await transform();
    assert.deepEqual(report.records, { read: 40, written: 40, rejected: 0 });
    // A second upload into the same (now sealed) day folder is found by the next run.
    await s3.send(
      new PutObjectCommand({
        Bucket: rawBucket,
        Key: "raw/year=2026/month=11/day=20/upload-2.json",
        Body: events("2026-11-20", 10, "late"),
      }),
    );
    assert.deepEqual((await transform()).records, { read: 10, written: 10, rejected: 0 });
  });

  test("writes outside raw/ of the raw bucket: AccessDenied (or NoSuchBucket), nothing written", async () => {
    await rejects(
      s3.send(new PutObjectCommand({ Bucket: transformedBucket, Key: "transformed/x.parquet", Body: "x" })),
      "AccessDenied",
      403,
    );
    await rejects(
      s3.send(new PutObjectCommand({ Bucket: rawBucket, Key: "other/x.json", Body: "x" })),
      "AccessDenied",
      403,
    );
    await rejects(
      s3.send(new PutObjectCommand({ Bucket: rawBucket, Key: "raw/.hidden", Body: "x" })),
      "AccessDenied",
      403,
    );
    await rejects(
      s3.send(new PutObjectCommand({ Bucket: names.resultsBucket, Key: "athena-results/x.csv", Body: "x" })),
      "AccessDenied",
      403,
    );
    await rejects(
      s3.send(new PutObjectCommand({ Bucket: "someone-elses", Key: "raw/x", Body: "x" })),
      "NoSuchBucket",
      404,
    );
    await rejects(
      s3.send(new CreateMultipartUploadCommand({ Bucket: transformedBucket, Key: "transformed/x.parquet" })),
      "AccessDenied",
      403,
    );
    await rejects(
      s3.send(
        new DeleteObjectCommand({ Bucket: rawBucket, Key: "raw/year=2026/month=11/day=20/upload-1.json" }),
      ),
      "AccessDenied",
      403,
    );
    assert.ok(await storage.stat("raw", "raw/year=2026/month=11/day=20/upload-1.json"), "not deleted");
    assert.equal(await storage.stat("transformed", "transformed/x.parquet"), undefined);
    assert.equal(await storage.stat("raw", "raw/.hidden"), undefined);
  });

  test("multipart: parts staged out of raw/, the object appears whole at Complete; Abort and failed Completes leave nothing", async () => {
    const key = "raw/year=2026/month=11/day=21/multi.bin";
    const part1 = Buffer.alloc(5 * MiB, "a");
    const part2 = Buffer.from("the last part may be small");
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: rawBucket, Key: key }));
    const e1 = await s3.send(
      new UploadPartCommand({ Bucket: rawBucket, Key: key, UploadId, PartNumber: 1, Body: part1 }),
    );
    const e2 = await s3.send(
      new UploadPartCommand({ Bucket: rawBucket, Key: key, UploadId, PartNumber: 2, Body: part2 }),
    );
    assert.equal(await storage.stat("raw", key), undefined, "nothing in raw/ before Complete");
    await rejects(
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: rawBucket,
          Key: key,
          UploadId,
          MultipartUpload: {
            Parts: [
              { PartNumber: 1, ETag: e2.ETag },
              { PartNumber: 2, ETag: e2.ETag },
            ],
          },
        }),
      ),
      "InvalidPart",
      400,
    );
    await rejects(
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: rawBucket,
          Key: key,
          UploadId,
          MultipartUpload: {
            Parts: [
              { PartNumber: 2, ETag: e2.ETag },
              { PartNumber: 1, ETag: e1.ETag },
            ],
          },
        }),
      ),
      "InvalidPartOrder",
      400,
    );
    assert.equal(await storage.stat("raw", key), undefined, "a failed Complete writes nothing");
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: rawBucket,
        Key: key,
        UploadId,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: e1.ETag },
            { PartNumber: 2, ETag: e2.ETag },
          ],
        },
      }),
    );
    assert.deepEqual(await storage.readBytes("raw", key), Buffer.concat([part1, part2]));
    await storage.delete("raw", key); // not events: kept out of the transforms below
    assert.deepEqual(await keys("state", "_state/s3-uploads/"), [], "the staged parts are gone");
    await rejects(
      s3.send(new UploadPartCommand({ Bucket: rawBucket, Key: key, UploadId, PartNumber: 3, Body: "x" })),
      "NoSuchUpload",
      404,
    );

    // Parts but the last must be 5 MiB at least, as on S3.
    const small = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: rawBucket, Key: "raw/small.bin" }),
    );
    const s1 = await s3.send(
      new UploadPartCommand({
        Bucket: rawBucket,
        Key: "raw/small.bin",
        UploadId: small.UploadId,
        PartNumber: 1,
        Body: "x",
      }),
    );
    const s2 = await s3.send(
      new UploadPartCommand({
        Bucket: rawBucket,
        Key: "raw/small.bin",
        UploadId: small.UploadId,
        PartNumber: 2,
        Body: "y",
      }),
    );
    await rejects(
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: rawBucket,
          Key: "raw/small.bin",
          UploadId: small.UploadId,
          MultipartUpload: {
            Parts: [
              { PartNumber: 1, ETag: s1.ETag },
              { PartNumber: 2, ETag: s2.ETag },
            ],
          },
        }),
      ),
      "EntityTooSmall",
      400,
    );
    await s3.send(
      new AbortMultipartUploadCommand({ Bucket: rawBucket, Key: "raw/small.bin", UploadId: small.UploadId }),
    );
    assert.equal(await storage.stat("raw", "raw/small.bin"), undefined);
    assert.deepEqual(await keys("state", "_state/s3-uploads/"), [], "an aborted upload leaves nothing");
    await rejects(
      s3.send(
        new AbortMultipartUploadCommand({
          Bucket: rawBucket,
          Key: "raw/small.bin",
          UploadId: small.UploadId,
        }),
      ),
      "NoSuchUpload",
      404,
    );
  });

  test("DeleteObject(s) in the Athena results bucket, under athena-results/ only", async () => {
    for (const k of ["a", "b", "c"])
      await storage.writeAtomic("athena-results", `athena-results/${k}.csv`, k);
    await s3.send(new DeleteObjectCommand({ Bucket: names.resultsBucket, Key: "athena-results/a.csv" }));
    await s3.send(
      new DeleteObjectCommand({ Bucket: names.resultsBucket, Key: "athena-results/missing.csv" }),
    );
    const many = await s3.send(
      new DeleteObjectsCommand({
        Bucket: names.resultsBucket,
        Delete: {
          Objects: [
            { Key: "athena-results/b.csv" },
            { Key: "athena-results/c.csv" },
            { Key: "elsewhere.csv" },
          ],
        },
      }),
    );
    assert.deepEqual(
      many.Deleted!.map((d) => d.Key),
      ["athena-results/b.csv", "athena-results/c.csv"],
    );
    assert.deepEqual(
      many.Errors!.map((e) => [e.Key, e.Code]),
      [["elsewhere.csv", "AccessDenied"]],
    );
    assert.deepEqual(await keys("athena-results"), []);
    await rejects(
      s3.send(new DeleteObjectsCommand({ Bucket: rawBucket, Delete: { Objects: [{ Key: "raw/x" }] } })),
      "AccessDenied",
      403,
    );
  });
});

describe("aws s3 cp of a file above the multipart threshold (8 MiB)", () => {
  const cp = async (
    aws: string,
    awsDir: string,
    extraEnv: NodeJS.ProcessEnv,
    name: string,
  ): Promise<void> => {
    const cwd = await tempDir("clickstream-s3-cp-");
    const body = events("2026-11-22", 52_000, name);
    assert.ok(Buffer.byteLength(body) > 8 * MiB, `${Buffer.byteLength(body)} bytes: above the threshold`);
    await writeFile(join(cwd, "events.json"), body);
    const key = `raw/year=2026/month=11/day=22/${name}.json`;
    await exec(
      "bash",
      ["-euo", "pipefail", "-c", `${aws} s3 cp events.json "s3://${rawBucket}/${key}" --only-show-errors`],
      {
        cwd,
        timeout: 120_000,
        env: {
          ...isolatedAwsCliEnv(`${awsDir}:${process.env.PATH}`, cwd),
          AWS_DEFAULT_REGION: region,
          AWS_ACCESS_KEY_ID: credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
          ...extraEnv,
        },
      },
    );
    assert.equal((await storage.readBytes("raw", key)).toString("utf8"), body);
    assert.deepEqual(await keys("state", "_state/s3-uploads/"), [], "no upload left staged");
    assert.deepEqual((await transform()).records, { read: 52_000, written: 52_000, rejected: 0 });
  };

  test("AWS CLI v1 (PyPI's awscli, in .venv) with AWS_ENDPOINT_URL", async (t) => {
    if (!requireTool(t, pythonClients)) return;
    await cp("aws", dirname(venvPython), { AWS_ENDPOINT_URL: serve.url }, "cli-v1");
  });

  test("AWS CLI v2 (Debian's awscli) with --endpoint-url", async (t) => {
    if (!requireTool(t, awsCliV2)) return;
    await cp(`aws --endpoint-url ${serve.url}`, dirname(awsCliV2Path), {}, "cli-v2");
  });
});
