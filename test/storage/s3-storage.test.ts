import assert from "node:assert/strict";
import { randomBytes, createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { storageFromOptions } from "../../src/cli/cli-support.js";
import { parseConfig } from "../../src/config/load-config.js";
import { createStorage, DeferredS3Storage } from "../../src/storage/create-storage.js";
import { S3Storage, s3ClientConfig, type BucketNames } from "../../src/storage/s3-storage.js";
import { s3rverCredentials, startS3rver } from "../support/s3rver-server.js";
import { tempDir } from "../support/temp-dir.js";
import { storageContract } from "./storage-contract.js";

let server: Awaited<ReturnType<typeof startS3rver>>;
const clients: S3Client[] = [];
let run = 0;
const bucketNames = Array.from({ length: 4 }, (_, i) => [
  `raw-${i}`,
  `transformed-${i}`,
  `errors-${i}`,
  `athena-${i}`,
]).flat();

before(async () => {
  server = await startS3rver([...bucketNames, "shared"]);
});

after(async () => {
  for (const client of clients) client.destroy();
  await server?.close();
});

function client(): S3Client {
  const c = new S3Client({
    ...s3ClientConfig({ endpoint: server.endpoint }),
    credentials: s3rverCredentials,
  });
  clients.push(c);
  return c;
}

/** Fresh buckets per storage (the state role shares the errors bucket, as in the AWS deployment). */
function freshBuckets(): BucketNames {
  const i = run++ % 4;
  const suffix = `${i}`;
  return {
    raw: `raw-${suffix}`,
    transformed: `transformed-${suffix}`,
    errors: `errors-${suffix}`,
    "athena-results": `athena-${suffix}`,
    state: `errors-${suffix}`,
  };
}

/** Storage over its own key space: a unique bucket-set would need many buckets, so clear them instead. */
async function makeStorage(): Promise<S3Storage> {
  const storage = new S3Storage({ client: client(), buckets: freshBuckets() });
  for (const role of ["raw", "transformed", "errors", "athena-results", "state"] as const) {
    for await (const object of storage.list(role)) await storage.delete(role, object.key);
  }
  return storage;
}

storageContract("s3 (s3rver)", makeStorage);

describe("s3 storage beyond the contract", () => {
  it("uploads a body over the multipart threshold in parts and reads it back intact", async () => {
    const c = client();
    const commands: string[] = [];
    // Records the operations the real SDK sends (no mock: the requests still go to s3rver).
    c.middlewareStack.add(
      (next, context) => (args) => {
        commands.push(String(context.commandName));
        return next(args);
      },
      { step: "initialize" },
    );
    const storage = new S3Storage({
      client: c,
      buckets: freshBuckets(),
      multipartThresholdBytes: 5 * 1024 * 1024,
      partSizeBytes: 5 * 1024 * 1024,
    });
    const body = randomBytes(12 * 1024 * 1024 + 17); // three parts: 5 + 5 + 2 MiB
    const key = "transformed/year=2026/month=11/day=25/big.parquet";
    const info = await storage.writeAtomic("transformed", key, Readable.from([body]));
    assert.equal(info.size, body.length);
    assert.deepEqual(
      commands.filter((name) => name !== "HeadObjectCommand"),
      [
        "CreateMultipartUploadCommand",
        "UploadPartCommand",
        "UploadPartCommand",
        "UploadPartCommand",
        "CompleteMultipartUploadCommand",
      ],
    );
    const back = await storage.readBytes("transformed", key);
    assert.equal(
      createHash("sha256").update(back).digest("hex"),
      createHash("sha256").update(body).digest("hex"),
    );
  });

  it("moves a large local file in with a multipart upload and removes the file", async () => {
    const storage = new S3Storage({
      client: client(),
      buckets: freshBuckets(),
      multipartThresholdBytes: 5 * 1024 * 1024,
    });
    const dir = await tempDir();
    const file = join(dir, "part-0.parquet");
    const body = randomBytes(6 * 1024 * 1024);
    await writeFile(file, body);
    const info = await storage.moveFileIn(
      "transformed",
      "transformed/year=2026/month=11/day=24/p.parquet",
      file,
    );
    assert.equal(info.size, body.length);
    assert.equal(existsSync(file), false);
    const chunks: Buffer[] = [];
    for await (const chunk of await storage.readStream("transformed", info.key)) chunks.push(chunk as Buffer);
    assert.ok(Buffer.concat(chunks).equals(body));
  });

  it("lists more than 1000 keys across pages, in key order", async () => {
    const storage = new S3Storage({ client: client(), buckets: { ...freshBuckets(), raw: "shared" } });
    const keys = Array.from(
      { length: 1001 },
      (_, i) => `raw/year=2026/month=11/day=25/obj-${String(i).padStart(5, "0")}`,
    );
    // Seeded with plain PUTs (no stat after each write) to keep the test quick.
    for (let i = 0; i < keys.length; i += 100) {
      await Promise.all(
        keys
          .slice(i, i + 100)
          .map((key) =>
            storage.client.send(new PutObjectCommand({ Bucket: "shared", Key: key, Body: "{}\n" })),
          ),
      );
    }
    let listCalls = 0;
    storage.client.middlewareStack.add(
      (next, context) => (args) => {
        if (context.commandName === "ListObjectsCommand") listCalls++;
        return next(args);
      },
      { step: "initialize" },
    );
    const listed: string[] = [];
    for await (const object of storage.list("raw", "raw/year=2026/")) listed.push(object.key);
    assert.equal(listCalls, 2, "S3 returns at most 1000 keys per page: two pages");
    assert.equal(listed.length, 1001);
    assert.deepEqual(listed, keys);
  });

  it("renames keys with partition folders, spaces and unicode (copy, then delete)", async () => {
    const storage = await makeStorage();
    const from = "transformed/_staging/run 1/year=2026/month=11/day=25/part é 1.parquet";
    const to = "transformed/year=2026/month=11/day=25/part é 1.parquet";
    await storage.writeAtomic("transformed", from, "PAR1");
    await storage.rename("transformed", from, to);
    assert.equal((await storage.readBytes("transformed", to)).toString(), "PAR1");
    assert.equal(await storage.stat("transformed", from), undefined);
    await assert.rejects(storage.rename("transformed", from, to), { code: "CS_ERR_STORAGE_NOT_FOUND" });
  });

  it("roles sharing a bucket do not see each other's keys", async () => {
    const storage = await makeStorage();
    await storage.writeAtomic("errors", "errors/run=1/part-0.json", "{}\n");
    await storage.writeAtomic("state", "_state/glue-runs/jr_1.json", "{}");
    const errors: string[] = [];
    for await (const o of storage.list("errors")) errors.push(o.key);
    const state: string[] = [];
    for await (const o of storage.list("state")) state.push(o.key);
    assert.deepEqual(errors, ["errors/run=1/part-0.json"]);
    assert.deepEqual(state, ["_state/glue-runs/jr_1.json"]);
    assert.equal(storage.localPath("errors", "errors/run=1/part-0.json"), undefined);
  });

  it("createStorage builds S3 storage from the warehouse config", async () => {
    process.env.AWS_ACCESS_KEY_ID = s3rverCredentials.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = s3rverCredentials.secretAccessKey;
    const config = parseConfig({
      warehouse: {
        storage: "s3",
        endpoint: server.endpoint,
        buckets: {
          raw: "raw-0",
          transformed: "transformed-0",
          errors: "errors-0",
          athenaResults: "athena-0",
          state: "errors-0",
        },
      },
    });
    const storage = createStorage(config);
    assert.equal(storage.kind, "s3");
    assert.ok(storage instanceof DeferredS3Storage, "the SDK loads on first use, not at start-up");
    const key = "athena-results/q/1.csv";
    await storage.writeAtomic("athena-results", key, "a,b\n");
    assert.equal((await storage.readBytes("athena-results", key)).toString(), "a,b\n");
    const inner = await storage.storage();
    assert.ok(inner instanceof S3Storage);
    assert.deepEqual(inner.buckets, {
      raw: "raw-0",
      transformed: "transformed-0",
      errors: "errors-0",
      "athena-results": "athena-0",
      state: "errors-0",
    });
    inner.client.destroy();
  });

  it("--storage s3 --endpoint builds S3 storage with the bucket names of terraform-outputs.json", async () => {
    process.env.AWS_ACCESS_KEY_ID = s3rverCredentials.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = s3rverCredentials.secretAccessKey;
    const dir = await tempDir();
    const outputsFile = join(dir, "terraform-outputs.json");
    const out = (value: string) => ({ sensitive: false, type: "string", value });
    await writeFile(
      outputsFile,
      JSON.stringify({
        region: out("eu-west-1"),
        raw_bucket_name: out("raw-1"),
        transformed_bucket_name: out("transformed-1"),
        errors_bucket_name: out("errors-1"),
        state_bucket_name: out("errors-1"),
        athena_results_bucket_name: out("athena-1"),
        athena_workgroup_name: out("wg"),
        firehose_stream_name: out("stream"),
        glue_job_name: out("job"),
        crawler_name: out("crawler"),
        database_name: out("clickstream_db"),
      }),
    );
    const { config, storage } = await storageFromOptions({
      warehouse: dir,
      storage: "s3",
      endpoint: server.endpoint,
      terraformOutputs: outputsFile,
    });
    assert.equal(config.warehouse.region, "eu-west-1");
    assert.deepEqual(config.warehouse.buckets, {
      raw: "raw-1",
      transformed: "transformed-1",
      errors: "errors-1",
      athenaResults: "athena-1",
      state: "errors-1",
    });
    assert.ok(storage instanceof DeferredS3Storage);
    await storage.writeAtomic("state", "_state/cli/probe.json", "{}");
    assert.equal((await storage.readBytes("state", "_state/cli/probe.json")).toString(), "{}");
    const inner = (await storage.storage()) as S3Storage;
    const endpoint = await inner.client.config.endpoint?.();
    assert.equal(
      endpoint?.port,
      Number(new URL(server.endpoint).port),
      "the --endpoint flag reaches the client",
    );
    assert.equal(inner.buckets.raw, "raw-1");
    inner.client.destroy();
    // Local storage stays the default and needs no outputs file.
    const local = await storageFromOptions({ warehouse: dir, terraformOutputs: join(dir, "missing.json") });
    assert.equal(local.storage.kind, "local");
  });

  it("S3 storage without buckets is a clear config error", () => {
    assert.throws(() => createStorage(parseConfig({ warehouse: { storage: "s3" } })), {
      code: "CS_ERR_INVALID_CONFIG",
      message: /warehouse\.buckets is required/,
    });
  });
});
