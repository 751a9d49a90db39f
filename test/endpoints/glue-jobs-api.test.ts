import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import {
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  AthenaClient,
} from "@aws-sdk/client-athena";
import {
  GetCrawlerCommand,
  GetJobRunCommand,
  GetTablesCommand,
  GlueClient,
  StartCrawlerCommand,
  StartJobRunCommand,
  StopCrawlerCommand,
} from "@aws-sdk/client-glue";
import { LocalStorage } from "../../src/storage/local-storage.js";
import { RunLock, runLockPath } from "../../src/table/run-lock.js";
import { pythonClients, requireTool, venvPython } from "../support/optional-suite.js";
import { event, ndjson } from "../support/sample-events.js";
import { isolatedAwsCliEnv, serveProcess, type ServeProcess } from "../support/serve-process.js";
import { tempDir } from "../support/temp-dir.js";
import { credentials, names, region } from "./endpoints-fixture.js";

const run = promisify(execFile);
const script = fileURLToPath(new URL("../../../test/endpoints/glue_lifecycle.py", import.meta.url));
const job = "clickstream-pipeline-transform-job";
const crawler = "clickstream-pipeline-crawler";
const rawBucket = "clickstream-pipeline-raw-000000000000-us-east-1";

function events(day: string, n: number, prefix: string): string {
  return ndjson(
    Array.from({ length: n }, (_, i) =>
      event(`${prefix}-${i}`, `${prefix}-s${i % 7}`, `${day}T09:${String(i % 60).padStart(2, "0")}:00.000Z`),
    ),
  );
}

interface Lifecycle {
  job: string;
  jobs: string[];
  concurrent: string | null;
  runStates: string[];
  run: { state: string; executionTime: number; completed: boolean };
  stop: { submitted: string[]; errors: string[]; states: string[]; stopId: string };
  runs: [string, string][];
  runId: string;
  missingRun: string | null;
  missingJob: string | null;
  crawlerRunning: string | null;
  crawlStates: string[];
  lastCrawl: string;
  crawlerNames: string[];
  metrics: [string, number][];
}

/** True when `seen` lists states in the order of `order` (any may be skipped by a poll, none repeated). */
function inOrder(seen: string[], order: string[]): boolean {
  let at = -1;
  for (const s of seen) {
    const i = order.indexOf(s);
    if (i <= at) return false;
    at = i;
  }
  return true;
}

let serve: ServeProcess;
let storage: LocalStorage;
let glue: GlueClient;
let athena: AthenaClient;
before(async () => {
  serve = await serveProcess("clickstream-glue-jobs-");
  storage = new LocalStorage(serve.warehouse);
  const client = { endpoint: serve.url, region, credentials };
  glue = new GlueClient(client);
  athena = new AthenaClient(client);
});
after(async () => {
  glue.destroy();
  athena.destroy();
  await serve.stop();
});

async function count(sql: string): Promise<string | undefined> {
  const { QueryExecutionId } = await athena.send(
    new StartQueryExecutionCommand({ QueryString: sql, QueryExecutionContext: { Database: names.database } }),
  );
  let state: string | undefined;
  do
    state = (await athena.send(new GetQueryExecutionCommand({ QueryExecutionId }))).QueryExecution!.Status!
      .State;
  while (state === "QUEUED" || state === "RUNNING");
  assert.equal(state, "SUCCEEDED");
  const results = await athena.send(new GetQueryResultsCommand({ QueryExecutionId }));
  return results.ResultSet!.Rows![1]!.Data![0]!.VarCharValue;
}

describe("Glue job and crawler over the local pipeline", () => {
  test("boto3: job run STARTING → RUNNING → SUCCEEDED, one at a time, BatchStopJobRun → STOPPED; crawler READY → RUNNING → STOPPING → READY", async (t) => {
    if (!requireTool(t, pythonClients)) return;
    await storage.writeAtomic(
      "raw",
      "raw/year=2026/month=11/day=20/first.json",
      events("2026-11-20", 30, "a"),
    );
    const env = {
      ...isolatedAwsCliEnv(process.env.PATH ?? "", await tempDir("clickstream-glue-home-")),
      AWS_ENDPOINT_URL: serve.url,
      AWS_DEFAULT_REGION: region,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    };
    const args = {
      job,
      crawler,
      rawBucket,
      lateKey: "raw/year=2026/month=11/day=21/late.json",
      lateBody: events("2026-11-21", 20, "b"),
    };
    const { stdout } = await run(venvPython, [script, JSON.stringify(args)], { env, timeout: 180_000 });
    const r = JSON.parse(stdout) as Lifecycle;

    assert.equal(r.job, job);
    assert.deepEqual(r.jobs, [job]);
    assert.equal(r.concurrent, "ConcurrentRunsExceededException");
    assert.ok(inOrder(r.runStates, ["STARTING", "RUNNING", "SUCCEEDED"]), r.runStates.join(" → "));
    assert.equal(r.runStates.at(-1), "SUCCEEDED");
    assert.deepEqual(r.run, { ...r.run, state: "SUCCEEDED", completed: true });
    assert.ok(Number.isInteger(r.run.executionTime));

    assert.deepEqual(r.stop.submitted, [r.stop.stopId]);
    assert.deepEqual(r.stop.errors, ["EntityNotFoundException"]);
    assert.ok(
      inOrder(r.stop.states, ["STARTING", "RUNNING", "STOPPING", "STOPPED"]),
      r.stop.states.join(" → "),
    );
    assert.equal(r.stop.states.at(-1), "STOPPED");
    assert.deepEqual(r.runs, [
      [r.stop.stopId, "STOPPED"],
      [r.runId, "SUCCEEDED"],
    ]);
    assert.equal(r.missingRun, "EntityNotFoundException");
    assert.equal(r.missingJob, "EntityNotFoundException");

    assert.equal(r.crawlerRunning, "CrawlerRunningException");
    assert.ok(inOrder(r.crawlStates, ["RUNNING", "STOPPING", "READY"]), r.crawlStates.join(" → "));
    assert.equal(r.lastCrawl, "SUCCEEDED");
    assert.deepEqual(r.crawlerNames, [crawler]);
    // The crawl created two tables: transformed and sessions.
    assert.deepEqual(r.metrics, [[crawler, 2]]);

    // The stopped run published nothing: only the first run's 30 events are in the table.
    assert.equal(await count("SELECT count(*) FROM transformed"), "30");
  });

  test("a run that fails (the warehouse's run lock is held) ends FAILED with the transform's error", async () => {
    const lock = await RunLock.acquire(runLockPath(serve.warehouse), "test-holder", 0);
    try {
      const { JobRunId } = await glue.send(new StartJobRunCommand({ JobName: job }));
      let runState: string | undefined;
      let jobRun;
      do {
        jobRun = (await glue.send(new GetJobRunCommand({ JobName: job, RunId: JobRunId }))).JobRun!;
        runState = jobRun.JobRunState;
      } while (runState === "STARTING" || runState === "RUNNING");
      assert.equal(runState, "FAILED");
      assert.match(jobRun.ErrorMessage!, /^CS_ERR_TRANSFORM_LOCKED: /);
      assert.ok(jobRun.CompletedOn instanceof Date);
    } finally {
      await lock.release();
    }
  });

  test("StopCrawler: a crawl still reading footers ends CANCELLED with the catalog untouched; not running and stopping are Glue's errors", async () => {
    const crawlerNow = async () => (await glue.send(new GetCrawlerCommand({ Name: crawler }))).Crawler!;
    const settled = async () => {
      let c = await crawlerNow();
      while (c.State !== "READY") c = await crawlerNow();
      return c;
    };
    await settled();
    assert.deepEqual(
      (await crawlerNow()).Targets!.S3Targets!.map((target) => target.Path),
      [
        `s3://clickstream-pipeline-transformed-000000000000-us-east-1/transformed/`,
        `s3://clickstream-pipeline-transformed-000000000000-us-east-1/sessions/`,
      ],
      "one target per table folder, as infra/'s crawler",
    );
    await assert.rejects(glue.send(new StopCrawlerCommand({ Name: crawler })), {
      name: "CrawlerNotRunningException",
    });
    const tables = async () =>
      JSON.stringify(
        (await glue.send(new GetTablesCommand({ DatabaseName: names.database }))).TableList ?? [],
      );
    const before = await tables();
    // A new day's events, so a crawl that ran to the end would add a partition.
    await storage.writeAtomic(
      "raw",
      "raw/year=2026/month=11/day=27/stop.json",
      events("2026-11-27", 5, "stop"),
    );
    const { JobRunId } = await glue.send(new StartJobRunCommand({ JobName: job }));
    let runState: string | undefined;
    do
      runState = (await glue.send(new GetJobRunCommand({ JobName: job, RunId: JobRunId }))).JobRun!
        .JobRunState;
    while (runState === "STARTING" || runState === "RUNNING");
    assert.equal(runState, "SUCCEEDED");

    await glue.send(new StartCrawlerCommand({ Name: crawler }));
    await glue.send(new StopCrawlerCommand({ Name: crawler }));
    assert.equal((await crawlerNow()).State, "STOPPING");
    await assert.rejects(glue.send(new StopCrawlerCommand({ Name: crawler })), {
      name: "CrawlerStoppingException",
    });
    const stopped = await settled();
    assert.equal(stopped.LastCrawl!.Status, "CANCELLED");
    assert.equal(await tables(), before, "a cancelled crawl writes nothing to the catalog");

    await glue.send(new StartCrawlerCommand({ Name: crawler }));
    assert.equal((await settled()).LastCrawl!.Status, "SUCCEEDED");
    assert.notEqual(await tables(), before, "the next crawl catalogues the new day");
  });
});
