import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, it } from "node:test";
import { startRecordingServer, type Responder } from "../support/aws-recording-server.js";
import { tempDir } from "../support/temp-dir.js";

const exec = promisify(execFile);
const cli = fileURLToPath(new URL("../../../bin/clickstream", import.meta.url));
const out = (value: string) => ({ sensitive: false, type: "string", value });
const outputs = {
  region: out("eu-west-1"),
  raw_bucket_name: out("cs-raw"),
  transformed_bucket_name: out("cs-transformed"),
  errors_bucket_name: out("cs-errors"),
  state_bucket_name: out("cs-errors"),
  scripts_bucket_name: out("cs-scripts"),
  athena_results_bucket_name: out("cs-athena-results"),
  athena_workgroup_name: out("cs-workgroup"),
  firehose_stream_name: out("cs-stream"),
  glue_job_name: out("cs-transform"),
  crawler_name: out("cs-crawler"),
  database_name: out("clickstream_db"),
};

/** Runs the real CLI with the AWS SDK pointed at a recording server (AWS_ENDPOINT_URL, as users would). */
async function runCli(args: string[], respond: Responder) {
  const server = await startRecordingServer(respond);
  const dir = await tempDir();
  const outputsFile = join(dir, "terraform-outputs.json");
  await writeFile(outputsFile, JSON.stringify(outputs));
  const result = await exec(process.execPath, [cli, ...args, "--terraform-outputs", outputsFile], {
    env: {
      ...process.env,
      AWS_ENDPOINT_URL: server.endpoint,
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
    },
  });
  return { ...result, calls: server.calls };
}

describe("the AWS engines behind the CLI's --engine flags", () => {
  it("query --engine athena runs the statement in the deployment's workgroup and prints the local formats", async () => {
    const { stdout, stderr, calls } = await runCli(
      [
        "query",
        "--engine",
        "athena",
        "--format",
        "json",
        "SELECT event_type, count(*) AS n FROM transformed GROUP BY 1",
      ],
      (call) => {
        switch (call.operation) {
          case "StartQueryExecution":
            return { body: { QueryExecutionId: "q-7" } };
          case "GetQueryExecution":
            return {
              body: {
                QueryExecution: {
                  QueryExecutionId: "q-7",
                  Status: { State: "SUCCEEDED" },
                  Statistics: { DataScannedInBytes: 2048, EngineExecutionTimeInMillis: 120 },
                },
              },
            };
          case "GetQueryResults":
            return {
              body: {
                ResultSet: {
                  ResultSetMetadata: {
                    ColumnInfo: [
                      { Name: "event_type", Type: "varchar" },
                      { Name: "n", Type: "bigint" },
                    ],
                  },
                  Rows: [
                    { Data: [{ VarCharValue: "event_type" }, { VarCharValue: "n" }] },
                    { Data: [{ VarCharValue: "page_view" }, { VarCharValue: "42" }] },
                  ],
                },
              },
            };
          default:
            return { status: 400, body: { __type: "InvalidRequestException", message: call.operation } };
        }
      },
    );
    const start = calls.find((c) => c.operation === "StartQueryExecution");
    assert.equal(start?.body.WorkGroup, "cs-workgroup");
    assert.deepEqual(start?.body.QueryExecutionContext, { Database: "clickstream_db" });
    assert.match(String(start?.body.QueryString), /FROM transformed GROUP BY 1/);
    assert.deepEqual(JSON.parse(stdout), [{ event_type: "page_view", n: 42 }]);
    assert.match(stderr, /data scanned/);
  });

  it("crawl --engine glue starts the deployment's crawler and reports its outcome", async () => {
    let polls = 0;
    const { stdout, calls } = await runCli(["crawl", "--engine", "glue", "--json"], (call) => {
      switch (call.operation) {
        case "StartCrawler":
          return { body: {} };
        case "GetCrawler":
          polls++;
          return {
            body: {
              // Before the start: idle from an older crawl; then running; then ready with the new crawl.
              Crawler: {
                Name: "cs-crawler",
                State: polls === 2 ? "RUNNING" : "READY",
                LastCrawl:
                  polls >= 3
                    ? { Status: "SUCCEEDED", StartTime: 1795600900 }
                    : { Status: "SUCCEEDED", StartTime: 1795500000 },
              },
            },
          };
        case "GetCrawlerMetrics":
          return {
            body: {
              CrawlerMetricsList: [
                {
                  CrawlerName: "cs-crawler",
                  TablesCreated: 1,
                  TablesUpdated: 0,
                  TablesDeleted: 0,
                  LastRuntimeSeconds: 42,
                },
              ],
            },
          };
        default:
          return { status: 400, body: { __type: "InvalidInputException", message: call.operation } };
      }
    });
    assert.equal(calls.find((c) => c.operation === "StartCrawler")?.body.Name, "cs-crawler");
    const result = JSON.parse(stdout) as { crawlerName: string; status: string };
    assert.equal(result.crawlerName, "cs-crawler");
    assert.equal(result.status, "SUCCEEDED");
  });
});
