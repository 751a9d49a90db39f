import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import {
  AthenaClient,
  CreateWorkGroupCommand,
  GetQueryExecutionCommand,
  ListQueryExecutionsCommand,
} from "@aws-sdk/client-athena";
import {
  CreateCrawlerCommand,
  CreateDatabaseCommand,
  CreateJobCommand,
  GetCrawlerCommand,
  GetJobRunCommand,
  GetJobRunsCommand,
  GlueClient,
} from "@aws-sdk/client-glue";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { glueRunReportKey, runGlueJob, type GlueRunReport } from "../../src/aws/glue-job-engine.js";
import { S3Storage } from "../../src/storage/s3-storage.js";
import { startMotoServer, type MotoServer } from "../support/moto-server.js";
import { pythonSide, requireTool } from "../support/optional-suite.js";
import { tempDir } from "../support/temp-dir.js";

/**
 * `transform --engine glue`, `crawl --engine glue` and `query --engine athena` against moto, an AWS
 * emulator nobody here wrote. moto runs no Glue script and no Athena query, so the tests assert what moto
 * recorded of the calls (the job run's arguments, the crawl) and read back Athena results preloaded through
 * moto's own results API. The recording-server tests (glue-*.test.ts, athena-query-engine.test.ts) keep
 * checking the exact requests and the failure paths.
 */

const exec = promisify(execFile);
const cli = fileURLToPath(new URL("../../../bin/clickstream", import.meta.url));
const project = "clickstream-pipeline";
const job = `${project}-transform-job`;
const crawler = `${project}-crawler`;
const workgroup = `${project}-workgroup`;

let moto: MotoServer | undefined;
let work: string;
let outputsFile: string;
let stateBucket: string;
let glue: GlueClient;
let athena: AthenaClient;
let s3: S3Client;

async function clickstream(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return exec(process.execPath, [cli, ...args, "--terraform-outputs", outputsFile], {
    cwd: work,
    env: moto!.env(),
    // A poll that never ends must fail the test, not hang the suite.
    timeout: 60_000,
  });
}

describe("the AWS engines against moto: Glue job, Glue crawler, Athena", () => {
  before(async () => {
    if (pythonSide.missing() !== undefined) return;
    moto = await startMotoServer();
    work = await tempDir("clickstream-moto-engines-");
    const client = { endpoint: moto.endpoint, region: moto.region, credentials: moto.credentials };
    glue = new GlueClient(client);
    athena = new AthenaClient(client);
    s3 = new S3Client({ ...client, forcePathStyle: true });
    const name = (role: string) => `${project}-${role}-${moto!.accountId}-${moto!.region}`;
    stateBucket = name("errors");
    for (const role of ["raw", "transformed", "errors", "athena-results", "scripts"])
      await s3.send(new CreateBucketCommand({ Bucket: name(role) }));
    // What infra/glue.tf and infra/athena.tf create, as far as the engines see it.
    await glue.send(new CreateDatabaseCommand({ DatabaseInput: { Name: "clickstream_db" } }));
    await glue.send(
      new CreateJobCommand({
        Name: job,
        Role: `arn:aws:iam::${moto.accountId}:role/${project}-glue-job`,
        GlueVersion: "5.1",
        Command: {
          Name: "glueetl",
          ScriptLocation: `s3://${name("scripts")}/scripts/clickstream_transform.py`,
          PythonVersion: "3",
        },
        DefaultArguments: { "--job-bookmark-option": "job-bookmark-enable", "--state_bucket": stateBucket },
        ExecutionProperty: { MaxConcurrentRuns: 1 },
      }),
    );
    await glue.send(
      new CreateCrawlerCommand({
        Name: crawler,
        Role: `arn:aws:iam::${moto.accountId}:role/${project}-glue-crawler`,
        DatabaseName: "clickstream_db",
        Targets: { S3Targets: [{ Path: `s3://${name("transformed")}/transformed/` }] },
      }),
    );
    await athena.send(
      new CreateWorkGroupCommand({
        Name: workgroup,
        Configuration: {
          EnforceWorkGroupConfiguration: true,
          ResultConfiguration: { OutputLocation: `s3://${name("athena-results")}/athena-results/` },
        },
      }),
    );
    const out = (value: string) => ({ sensitive: false, type: "string", value });
    outputsFile = join(work, "terraform-outputs.json");
    await writeFile(
      outputsFile,
      JSON.stringify({
        region: out(moto.region),
        raw_bucket_name: out(name("raw")),
        transformed_bucket_name: out(name("transformed")),
        errors_bucket_name: out(stateBucket),
        state_bucket_name: out(stateBucket),
        athena_results_bucket_name: out(name("athena-results")),
        athena_workgroup_name: out(workgroup),
        firehose_stream_name: out(`${project}-stream`),
        glue_job_name: out(job),
        crawler_name: out(crawler),
        database_name: out("clickstream_db"),
      }),
    );
  });
  after(async () => {
    glue?.destroy();
    athena?.destroy();
    s3?.destroy();
    await moto?.close();
  });

  it("transform --engine glue: StartJobRun with --now, GetJobRun until SUCCEEDED; moto recorded the run's arguments", async (t) => {
    if (!requireTool(t, pythonSide)) return;
    const { stdout } = await clickstream([
      "transform",
      "--engine",
      "glue",
      "--now",
      "2026-12-01T06:00:00Z",
      "--json",
    ]);
    const result = JSON.parse(stdout) as { runId: string; state: string; reportProblem?: string };
    const runs = (await glue.send(new GetJobRunsCommand({ JobName: job }))).JobRuns ?? [];
    assert.deepEqual(
      runs.map((run) => [run.Id, run.JobRunState]),
      [[result.runId, "SUCCEEDED"]],
    );
    // moto lists the job's default arguments with the run's own (AWS lists only the run's).
    assert.equal(runs[0]!.Arguments?.["--now"], "2026-12-01T06:00:00.000Z");
    assert.equal(result.state, "SUCCEEDED");
    // moto runs no script, so no run report exists: the CLI says so instead of printing zeros.
    const key = glueRunReportKey(result.runId);
    assert.equal(result.reportProblem, `cannot read ${key}: Object not found: s3://${stateBucket}/${key}`);
  });

  it("runGlueJob reads back, exactly, the run report the job writes to the state bucket while it runs", async (t) => {
    if (!requireTool(t, pythonSide)) return;
    // Every fifth GetJobRun(s) moves the run one state on (STARTING → RUNNING → SUCCEEDED), so it is still
    // running when this test finds it and writes its report, as the job's last step does on AWS.
    await moto!.api("/moto-api/state-manager/set-transition", {
      model_name: "glue::job_run",
      transition: { progression: "manual", times: 5 },
    });
    t.after(() => moto!.api("/moto-api/state-manager/unset-transition", { model_name: "glue::job_run" }));
    // The engine reads the report through the Storage interface, as the CLI does (role `state`).
    const storage = new S3Storage({
      client: s3,
      buckets: {
        raw: stateBucket,
        transformed: stateBucket,
        errors: stateBucket,
        "athena-results": stateBucket,
        state: stateBucket,
      },
    });
    const before = new Set(
      ((await glue.send(new GetJobRunsCommand({ JobName: job }))).JobRuns ?? []).map((r) => r.Id),
    );
    const report: GlueRunReport = {
      engine: "glue",
      jobName: job,
      runId: "",
      status: "succeeded",
      startedAt: "2026-12-01T06:00:00.000Z",
      finishedAt: "2026-12-01T06:02:05.000Z",
      durationMs: 125_000,
      processingTime: "2026-12-01T06:00:00.000Z",
      objectsProcessed: 4,
      records: { read: 1000, written: 996, rejected: 4 },
      rejectedByReason: { duplicate: 2, malformed_json: 2 },
      unknownFields: { debug: 1 },
      partitionsWritten: ["year=2026/month=11/day=30", "year=2026/month=12/day=01"],
      rowsRewritten: 0,
      bytesRead: 480_000,
      bytesWritten: 52_000,
      errorObjects: ["errors/glue/year=2026/month=12/day=01/run/part-00000.txt"],
    };
    const running = runGlueJob({
      client: glue,
      jobName: job,
      reportStorage: storage,
      display: null,
      pollIntervalMs: 200,
      timeoutMs: 20_000,
    });
    // The job's side: find the new run, then write its report where the engine will look.
    let runId: string | undefined;
    for (let i = 0; i < 100 && !runId; i++) {
      const runs = (await glue.send(new GetJobRunsCommand({ JobName: job }))).JobRuns ?? [];
      runId = runs.find((r) => !before.has(r.Id))?.Id;
      if (!runId) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(runId, "the run started");
    const state = (await glue.send(new GetJobRunCommand({ JobName: job, RunId: runId }))).JobRun?.JobRunState;
    assert.notEqual(state, "SUCCEEDED", "the run was still going when its report was written");
    const written = { ...report, runId };
    await s3.send(
      new PutObjectCommand({
        Bucket: stateBucket,
        Key: glueRunReportKey(runId),
        Body: JSON.stringify(written),
      }),
    );
    const result = await running;
    assert.equal(result.runId, runId);
    assert.equal(result.state, "SUCCEEDED");
    assert.equal(result.reportProblem, undefined);
    assert.deepEqual(result.report, written);
  });

  it("crawl --engine glue: StartCrawler, then GetCrawler until the crawl is over; moto recorded one crawl", async (t) => {
    if (!requireTool(t, pythonSide)) return;
    // moto ends a crawl only when ListCrawls is called, unless told otherwise: here, after a second.
    await moto!.api("/moto-api/state-manager/set-transition", {
      model_name: "glue::crawl",
      transition: { progression: "time", seconds: 1 },
    });
    t.after(() => moto!.api("/moto-api/state-manager/unset-transition", { model_name: "glue::crawl" }));
    const before = (await glue.send(new GetCrawlerCommand({ Name: crawler }))).Crawler;
    assert.equal(before?.LastCrawl, undefined, "never crawled before");
    const { stdout } = await clickstream(["crawl", "--engine", "glue", "--json"]);
    const result = JSON.parse(stdout) as Record<string, unknown>;
    const after = (await glue.send(new GetCrawlerCommand({ Name: crawler }))).Crawler;
    assert.equal(after?.State, "READY");
    assert.ok(after?.LastCrawl?.StartTime instanceof Date, "a crawl started");
    assert.equal(result.crawlerName, crawler);
    // moto spells the successful crawl COMPLETED (AWS's crawl-history word) and has no GetCrawlerMetrics.
    assert.equal(result.status, "COMPLETED");
    assert.equal(result.joinedRunningCrawl, false);
    assert.match(String(result.tableCountsProblem), /GetCrawlerMetrics/);
  });

  it("query --engine athena: the statement runs in the workgroup and database; preloaded results come back typed and exact", async (t) => {
    if (!requireTool(t, pythonSide)) return;
    const varchar = (name: string) => ({ Name: name, Label: name, Type: "varchar" });
    const column = (name: string, type: string) => ({ Name: name, Label: name, Type: type });
    const cell = (value?: string) => (value === undefined ? {} : { VarCharValue: value });
    await moto!.api("/moto-api/static/athena/query-results", {
      account_id: moto!.accountId,
      region: moto!.region,
      results: [
        {
          column_info: [
            varchar("event_type"),
            column("events", "bigint"),
            column("revenue", "double"),
            column("converted", "boolean"),
            column("big", "bigint"),
            varchar("note"),
          ],
          rows: [
            // Athena repeats the column names as the first row of a SELECT's results.
            { Data: ["event_type", "events", "revenue", "converted", "big", "note"].map((v) => cell(v)) },
            {
              Data: [
                cell("purchase"),
                cell("42"),
                cell("1234.5"),
                cell("true"),
                cell("9007199254740993"),
                cell("a,b"),
              ],
            },
            { Data: [cell("page_view"), cell("7"), cell("0.0"), cell("false"), cell("1"), cell()] },
          ],
        },
      ],
    });
    const sql = "SELECT event_type, count(*) AS events FROM transformed GROUP BY 1 ORDER BY 2 DESC";
    const { stdout, stderr } = await clickstream(["query", "--engine", "athena", "--format", "json", sql]);
    assert.deepEqual(JSON.parse(stdout), [
      {
        event_type: "purchase",
        events: 42,
        revenue: 1234.5,
        converted: true,
        big: "9007199254740993",
        note: "a,b",
      },
      { event_type: "page_view", events: 7, revenue: 0, converted: false, big: 1, note: null },
    ]);
    assert.match(stderr, /^2 row\(s\); data scanned: /m);
    const ids =
      (await athena.send(new ListQueryExecutionsCommand({ WorkGroup: workgroup }))).QueryExecutionIds ?? [];
    assert.equal(ids.length, 1);
    const execution = (await athena.send(new GetQueryExecutionCommand({ QueryExecutionId: ids[0] })))
      .QueryExecution;
    assert.equal(execution?.Query, sql);
    assert.equal(execution?.WorkGroup, workgroup);
    assert.deepEqual(execution?.QueryExecutionContext, { Database: "clickstream_db" });
    assert.match(stderr, new RegExp(`\\(query ${ids[0]}\\)`));
  });
});
