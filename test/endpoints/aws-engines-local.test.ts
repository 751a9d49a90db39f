import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { serveProcess, type ServeProcess } from "../support/serve-process.js";
import { tempDir } from "../support/temp-dir.js";
import { credentials, region } from "./endpoints-fixture.js";

/**
 * The project's own AWS engines (`transform --engine glue`, `crawl --engine glue`, `query --engine athena`)
 * with `--endpoint` at a running `clickstream pipeline --outputs FILE`: the same report counts and the same
 * rows as the local engines give for the same file, so the AWS half's client code is checked against
 * answers (moto runs no job and answers no query).
 */

const exec = promisify(execFile);
const root = fileURLToPath(new URL("../../../", import.meta.url));
const bin = join(root, "bin", "clickstream");
const sample = join(root, "sample-data", "sample_events.json");
const rawKey = "raw/year=2026/month=11/day=24/sample_events.json";

let served: ServeProcess;
let outputs: string;
let localWarehouse: string;

/** The CLI as a child process, with any keys and no AWS endpoint from the caller's environment. */
async function clickstream(args: string[]): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith("AWS_")) delete env[name];
  const { stdout } = await exec(process.execPath, [bin, ...args], {
    env: {
      ...env,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_REGION: region,
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_CONFIG_FILE: "/dev/null",
      AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    },
    maxBuffer: 64 * 1024 * 1024,
    timeout: 120_000,
  });
  return stdout;
}

const aws = (): string[] => ["--endpoint", served.url, "--terraform-outputs", outputs];

interface Report {
  objectsProcessed: number;
  records: { read: number; written: number; rejected: number };
  rejectedByReason: Record<string, number>;
  partitionsWritten: string[];
}
const counts = (r: Report) => ({
  objectsProcessed: r.objectsProcessed,
  records: r.records,
  rejectedByReason: r.rejectedByReason,
  partitionsWritten: r.partitionsWritten,
});

describe("the AWS engines with --endpoint at the local pipeline: the local engines' answers", () => {
  before(async () => {
    const cwd = await tempDir("clickstream-aws-engines-local-");
    outputs = join(cwd, "terraform-outputs.json");
    served = await serveProcess("clickstream-aws-engines-wh-", {
      command: "pipeline",
      args: ["--outputs", outputs, "--every", "1h", "--console-port", "-1", "--admin-port", "-1"],
    });
    // The pipeline's own first run (at start, over an empty raw/) must be over before the upload, or it
    // would transform the file itself and leave the Glue job run nothing to do.
    await served.waitForLog(/run \(start\)/);
    const raw = (JSON.parse(await readFile(outputs, "utf8")) as Record<string, { value: string }>)
      .raw_bucket_name!.value;
    const s3 = new S3Client({ endpoint: served.url, region, credentials, forcePathStyle: true });
    await s3.send(new PutObjectCommand({ Bucket: raw, Key: rawKey, Body: await readFile(sample) }));
    s3.destroy();
    // The same file in a warehouse of its own, for the local engines.
    localWarehouse = await tempDir("clickstream-aws-engines-local-wh-");
    await mkdir(join(localWarehouse, "raw/year=2026/month=11/day=24"), { recursive: true });
    await writeFile(join(localWarehouse, rawKey), await readFile(sample));
  });
  after(async () => {
    await served?.stop();
  });

  it("transform --engine glue: the job run's report, read through S3, counts what the local transform counts", async () => {
    const glue = JSON.parse(await clickstream(["transform", "--engine", "glue", ...aws(), "--json"])) as {
      state: string;
      report?: Report & { engine: string; jobName: string; runId: string };
      reportProblem?: string;
      runId: string;
    };
    assert.equal(glue.state, "SUCCEEDED");
    assert.equal(glue.reportProblem, undefined);
    assert.equal(glue.report?.engine, "glue");
    assert.equal(glue.report?.jobName, "clickstream-pipeline-transform-job");
    assert.equal(glue.report?.runId, glue.runId);
    const local = JSON.parse(
      await clickstream(["transform", "--warehouse", localWarehouse, "--json"]),
    ) as Report;
    assert.deepEqual(counts(glue.report!), counts(local));
    assert.deepEqual(local.records, { read: 33, written: 33, rejected: 0 });
  });

  it("crawl --engine glue: the crawl succeeds; the table is the local crawl's", async () => {
    const glue = JSON.parse(await clickstream(["crawl", "--engine", "glue", ...aws(), "--json"])) as {
      lastCrawl?: { status?: string };
    } & Record<string, unknown>;
    assert.match(JSON.stringify(glue), /SUCCEEDED/);
    await clickstream(["crawl", "--warehouse", localWarehouse, "--json"]);
    const describe = (warehouse: string) =>
      clickstream(["query", "--warehouse", warehouse, "--format", "json", "DESCRIBE transformed"]);
    assert.equal(await describe(served.warehouse), await describe(localWarehouse));
  });

  it("query --engine athena: the same rows as the local engine on the same warehouse", async () => {
    const sql =
      "SELECT event_id, event_type, user_id, session_id, page_url, year, month, day FROM transformed ORDER BY event_id";
    const athena = JSON.parse(
      await clickstream(["query", "--engine", "athena", ...aws(), "--format", "json", sql]),
    ) as Record<string, unknown>[];
    const local = JSON.parse(
      await clickstream(["query", "--warehouse", served.warehouse, "--format", "json", sql]),
    ) as Record<string, unknown>[];
    assert.equal(athena.length, 33);
    assert.deepEqual(athena, local);
    const other = JSON.parse(
      await clickstream(["query", "--warehouse", localWarehouse, "--format", "json", sql]),
    ) as Record<string, unknown>[];
    assert.deepEqual(athena, other);
  });

  it("--endpoint is validated: not a URL is CS_ERR_INVALID_ARGUMENT", async () => {
    await assert.rejects(
      clickstream(["query", "--engine", "athena", "--endpoint", "not a url", "SELECT 1"]),
      (error: { stderr: string }) => /error CS_ERR_INVALID_ARGUMENT: .*--endpoint/.test(error.stderr),
    );
  });
});
