import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { CreateDeliveryStreamCommand, FirehoseClient } from "@aws-sdk/client-firehose";
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { startMotoServer, type MotoServer } from "../support/moto-server.js";
import { pythonSide, requireTool } from "../support/optional-suite.js";
import { tempDir } from "../support/temp-dir.js";

/**
 * The data path on AWS's APIs, against moto (an emulator nobody here wrote): `send --firehose` and
 * `generate --send --firehose` PutRecordBatch into a Firehose stream whose destination is the raw bucket,
 * then the local engines run over those buckets with `--storage s3 --endpoint <moto>`. Each test builds
 * on the one before (same server, same buckets).
 */

const exec = promisify(execFile);
const root = fileURLToPath(new URL("../../../", import.meta.url));
const cli = join(root, "bin", "clickstream");
const project = "clickstream-pipeline";
const now = "2026-12-01T00:00:00Z";

let moto: MotoServer | undefined;
let work: string;
let outputsFile: string;
let buckets: Record<"raw" | "transformed" | "errors" | "athenaResults", string>;
let s3: S3Client;
/** Every record sent so far, as sent (one JSON text + "\n" each). */
const sent: string[] = [];

/** The CLI as a child process, its AWS calls going to moto, in a scratch folder. */
async function clickstream(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return exec(process.execPath, [cli, ...args], {
    cwd: work,
    env: moto!.env(),
    maxBuffer: 64 * 1024 * 1024,
    timeout: 120_000,
  });
}

async function body(bucket: string, key: string): Promise<string> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return object.Body!.transformToString("utf8");
}

async function keys(bucket: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    out.push(...(page.Contents ?? []).map((o) => o.Key!));
    token = page.NextContinuationToken;
  } while (token);
  return out;
}

/** The raw bucket's objects, concatenated: moto writes each PutRecordBatch as one object, records as sent. */
async function rawRecords(): Promise<string[]> {
  const records: string[] = [];
  for (const key of await keys(buckets.raw)) {
    assert.ok(key.startsWith("raw/"), `${key} lies under raw/`);
    const text = await body(buckets.raw, key);
    assert.ok(text.endsWith("\n"), `${key} ends with the last record's newline`);
    records.push(
      ...text
        .slice(0, -1)
        .split("\n")
        .map((line) => `${line}\n`),
    );
  }
  return records;
}

describe("the pipeline's AWS APIs against moto: Firehose → S3 raw/ → transform, crawl, query on S3", () => {
  before(async () => {
    if (pythonSide.missing() !== undefined) return;
    moto = await startMotoServer();
    work = await tempDir("clickstream-moto-pipeline-");
    const suffix = `${moto.accountId}-${moto.region}`;
    // The deployment's bucket names (infra/main.tf: <project>-<role>-<account>-<region>).
    buckets = {
      raw: `${project}-raw-${suffix}`,
      transformed: `${project}-transformed-${suffix}`,
      errors: `${project}-errors-${suffix}`,
      athenaResults: `${project}-athena-results-${suffix}`,
    };
    const client = { endpoint: moto.endpoint, region: moto.region, credentials: moto.credentials };
    s3 = new S3Client({ ...client, forcePathStyle: true });
    for (const bucket of Object.values(buckets)) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const firehose = new FirehoseClient(client);
    await firehose.send(
      new CreateDeliveryStreamCommand({
        DeliveryStreamName: `${project}-stream`,
        DeliveryStreamType: "DirectPut",
        ExtendedS3DestinationConfiguration: {
          BucketARN: `arn:aws:s3:::${buckets.raw}`,
          RoleARN: `arn:aws:iam::${moto.accountId}:role/${project}-firehose`,
          // infra/kinesis.tf's prefix; moto leaves the !{timestamp:…} expressions as they are.
          Prefix: "raw/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/",
        },
      }),
    );
    firehose.destroy();
    const out = (value: string) => ({ sensitive: false, type: "string", value });
    outputsFile = join(work, "terraform-outputs.json");
    await writeFile(
      outputsFile,
      JSON.stringify({
        region: out(moto.region),
        raw_bucket_name: out(buckets.raw),
        transformed_bucket_name: out(buckets.transformed),
        errors_bucket_name: out(buckets.errors),
        state_bucket_name: out(buckets.errors),
        athena_results_bucket_name: out(buckets.athenaResults),
        athena_workgroup_name: out(`${project}-workgroup`),
        firehose_stream_name: out(`${project}-stream`),
        glue_job_name: out(`${project}-transform-job`),
        crawler_name: out(`${project}-crawler`),
        database_name: out("clickstream_db"),
      }),
    );
  });
  after(async () => {
    s3?.destroy();
    await moto?.close();
  });

  it("send --firehose: PutRecordBatch lands every record in the raw bucket under raw/, exactly as sent", async (t) => {
    if (!requireTool(t, pythonSide)) return;
    const file = join(root, "sample-data", "sample_events.json");
    const events = JSON.parse(await readFile(file, "utf8")) as unknown[];
    const { stdout } = await clickstream(["send", file, "--firehose", "--outputs", outputsFile]);
    assert.match(
      stdout,
      new RegExp(`^sent ${events.length} records to ${project}-stream .*, 0 failed, 1 PutRecordBatch calls`),
    );
    // Each array element is sent compactly with a newline; moto adds no delimiter of its own.
    sent.push(...events.map((event) => `${JSON.stringify(event)}\n`));
    assert.deepEqual(await rawRecords(), sent);
  });

  it("generate --send --firehose: 1,200 generated events in three PutRecordBatch calls, none lost or duplicated", async (t) => {
    if (!requireTool(t, pythonSide)) return;
    const flags = ["--events", "1200", "--seed", "7", "--users", "50"];
    const { stdout } = await clickstream([
      "generate",
      ...flags,
      "--send",
      "--firehose",
      "--outputs",
      outputsFile,
    ]);
    assert.match(stdout, /^sent 1200 records to .*, 0 failed, 3 PutRecordBatch calls/);
    // The same flags write the same events to stdout: that is what must have arrived.
    const expected = (await clickstream(["generate", ...flags, "--output", "-"])).stdout;
    sent.push(
      ...expected
        .slice(0, -1)
        .split("\n")
        .map((line) => `${line}\n`),
    );
    const arrived = await rawRecords();
    assert.equal(arrived.length, sent.length);
    // Batches in flight at once may land in any order; the records themselves must be the same.
    assert.deepEqual([...arrived].sort(), [...sent].sort());
  });

  it("transform --storage s3 --endpoint <moto> reads those objects and writes Parquet and its state to the buckets", async (t) => {
    if (!requireTool(t, pythonSide)) return;
    const { stdout } = await clickstream([
      "transform",
      "--storage",
      "s3",
      "--endpoint",
      moto!.endpoint,
      "--terraform-outputs",
      outputsFile,
      "--warehouse",
      join(work, "scratch"),
      "--now",
      now,
      "--json",
    ]);
    const report = JSON.parse(stdout) as {
      objectsProcessed: number;
      records: { read: number; written: number; rejected: number };
      partitionsWritten: string[];
    };
    assert.equal(report.objectsProcessed, (await keys(buckets.raw)).length);
    assert.deepEqual(report.records, { read: sent.length, written: sent.length, rejected: 0 });
    assert.deepEqual(report.partitionsWritten, ["year=2026/month=11/day=24"]);
    const parquet = await keys(buckets.transformed, "transformed/year=2026/month=11/day=24/");
    assert.ok(parquet.length > 0 && parquet.every((k) => k.endsWith(".parquet")), parquet.join(", "));
    assert.ok(
      (await keys(buckets.errors, "_state/transform/")).length > 0,
      "the bookmarks live in the state bucket",
    );
  });

  it("crawl and query --storage s3 see exactly the events sent, field by field", async (t) => {
    if (!requireTool(t, pythonSide)) return;
    const storage = ["--storage", "s3", "--endpoint", moto!.endpoint, "--terraform-outputs", outputsFile];
    const scratch = ["--warehouse", join(work, "scratch")];
    const crawl = JSON.parse((await clickstream(["crawl", ...storage, ...scratch, "--json"])).stdout) as {
      tables: { name: string; action: string; rows: number; partitionsAdded: string[] }[];
    };
    assert.deepEqual(
      crawl.tables.map((table) => [table.name, table.action, table.rows, table.partitionsAdded]),
      [
        [
          "sessions",
          "created",
          new Set(sent.map((e) => (JSON.parse(e) as { session_id?: string }).session_id).filter(Boolean))
            .size,
          ["year=2026/month=11/day=24"],
        ],
        ["transformed", "created", sent.length, ["year=2026/month=11/day=24"]],
      ],
    );
    const { stdout } = await clickstream([
      "query",
      ...storage,
      ...scratch,
      "--format",
      "json",
      "SELECT event_id, user_id, session_id, event_type, page_url FROM transformed ORDER BY event_id",
    ]);
    const rows = JSON.parse(stdout) as Record<string, unknown>[];
    const expected = sent
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .map((e) => ({
        event_id: e.event_id,
        user_id: e.user_id,
        session_id: e.session_id,
        event_type: e.event_type,
        page_url: e.page_url ?? null,
      }))
      // ORDER BY compares bytes; so does `<` on these ASCII ids.
      .sort((a, b) => (String(a.event_id) < String(b.event_id) ? -1 : 1));
    assert.equal(rows.length, sent.length);
    assert.deepEqual(rows, expected);
  });
});
