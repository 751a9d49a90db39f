// test tier: fast (in-process, no child processes)
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { GlueClient } from "@aws-sdk/client-glue";
import {
  formatGlueJobResult,
  glueRunReportKey,
  runGlueJob,
  type GlueRunReport,
} from "../../src/aws/glue-job-engine.js";
import { LocalStorage } from "../../src/storage/local-storage.js";
import { clientOnRecordingServer, type Responder } from "../support/aws-recording-server.js";
import { tempDir } from "../support/temp-dir.js";

const glue = (respond: Responder) =>
  clientOnRecordingServer((config) => new GlueClient(config), respond, "eu-west-1");

const report: GlueRunReport = {
  engine: "glue",
  jobName: "clickstream-pipeline-transform",
  runId: "jr_abc",
  status: "succeeded",
  fullRefresh: false,
  startedAt: "2026-11-25T10:00:00.000Z",
  finishedAt: "2026-11-25T10:03:00.000Z",
  durationMs: 180000,
  processingTime: "2026-11-25T10:00:00.000Z",
  objectsProcessed: 3,
  records: { read: 10, written: 7, rejected: 3 },
  rejectedByReason: { duplicate: 1, malformed_json: 2, not_an_object: 0 },
  unknownFields: { campaign: 4 },
  partitionsWritten: ["year=2026/month=11/day=24", "year=2026/month=11/day=25"],
  rowsRewritten: 2,
  bytesRead: 1234,
  bytesWritten: 0,
  errorObjects: ["errors/glue/year=2026/month=11/day=25/jr_abc/part-00000.txt"],
};

describe("glue job engine", () => {
  it("starts the job, polls GetJobRun to a final state and reads the run report's counts", async () => {
    const states = ["STARTING", "RUNNING", "RUNNING", "SUCCEEDED"];
    let polls = 0;
    const { server, client } = await glue((call) => {
      if (call.operation === "StartJobRun") return { body: { JobRunId: "jr_abc" } };
      const state = states[Math.min(polls++, states.length - 1)];
      return {
        body: {
          JobRun: {
            Id: "jr_abc",
            JobName: "clickstream-pipeline-transform",
            JobRunState: state,
            StartedOn: 1795600800,
            ExecutionTime: 185,
            DPUSeconds: 7200,
          },
        },
      };
    });
    const storage = new LocalStorage(await tempDir());
    await storage.writeAtomic("state", glueRunReportKey("jr_abc"), JSON.stringify(report));
    const updates: string[] = [];
    const result = await runGlueJob({
      client,
      jobName: "clickstream-pipeline-transform",
      arguments: { "--future_tolerance_hours": "48" },
      reportStorage: storage,
      pollIntervalMs: 1,
      display: { update: (state) => updates.push(state), stop: () => updates.push("stop") },
    });

    assert.deepEqual(
      server.calls.map((c) => c.target),
      [
        "AWSGlue.StartJobRun",
        "AWSGlue.GetJobRun",
        "AWSGlue.GetJobRun",
        "AWSGlue.GetJobRun",
        "AWSGlue.GetJobRun",
      ],
    );
    assert.deepEqual(server.calls[0]!.body, {
      JobName: "clickstream-pipeline-transform",
      Arguments: { "--future_tolerance_hours": "48" },
    });
    assert.deepEqual(server.calls[1]!.body, { JobName: "clickstream-pipeline-transform", RunId: "jr_abc" });
    assert.match(
      String(server.calls[0]!.headers.authorization),
      /^AWS4-HMAC-SHA256 .*\/eu-west-1\/glue\/aws4_request/,
    );
    assert.deepEqual(updates, ["STARTING", "RUNNING", "RUNNING", "SUCCEEDED", "stop"]);
    assert.equal(result.state, "SUCCEEDED");
    assert.equal(result.dpuSeconds, 7200);
    assert.deepEqual(result.report, report);

    const text = formatGlueJobResult("clickstream-pipeline-transform", result);
    assert.match(text, /run jr_abc: SUCCEEDED/);
    assert.match(text, /3m 05s, 2\.000 DPU-hours/);
    assert.match(text, /records read {7}10\n {2}records written {4}7\n {2}records rejected {3}3/);
    assert.match(text, /duplicate +1/);
    assert.match(text, /campaign \(4\)/);
    assert.match(text, /partitions written 2/);
    assert.doesNotMatch(text, /not_an_object/, "reasons with no rejects are not listed");
    assert.match(text, /rejects in {9}errors\/glue\/year=2026/);
  });

  it("fails with CS_ERR_AWS_JOB_FAILED and the run's error message when the run fails", async () => {
    const { client } = await glue((call) =>
      call.operation === "StartJobRun"
        ? { body: { JobRunId: "jr_bad" } }
        : {
            body: {
              JobRun: {
                Id: "jr_bad",
                JobRunState: "FAILED",
                ErrorMessage: "AnalysisException: path not found",
              },
            },
          },
    );
    await assert.rejects(runGlueJob({ client, jobName: "j", pollIntervalMs: 1, display: null }), {
      code: "CS_ERR_AWS_JOB_FAILED",
      message: /j run jr_bad ended FAILED: AnalysisException: path not found/,
    });
  });

  it("turns a service error into CS_ERR_AWS_REQUEST naming the call and AWS's error", async () => {
    const { server, client } = await glue(() => ({
      status: 400,
      body: { __type: "ConcurrentRunsExceededException", message: "Concurrent runs exceeded for j" },
    }));
    await assert.rejects(runGlueJob({ client, jobName: "j", pollIntervalMs: 1, display: null }), {
      code: "CS_ERR_AWS_REQUEST",
      message: /StartJobRun j \(ConcurrentRunsExceededException\): Concurrent runs exceeded/,
    });
    assert.equal(server.calls.length, 1);
  });

  it("times out with CS_ERR_AWS_TIMEOUT while the run goes on", async () => {
    const { client } = await glue((call) =>
      call.operation === "StartJobRun"
        ? { body: { JobRunId: "jr_slow" } }
        : { body: { JobRun: { Id: "jr_slow", JobRunState: "RUNNING" } } },
    );
    await assert.rejects(
      runGlueJob({ client, jobName: "j", pollIntervalMs: 5, timeoutMs: 40, display: null }),
      {
        code: "CS_ERR_AWS_TIMEOUT",
      },
    );
  });

  it("reports why counts are missing when the run report is absent", async () => {
    const { client } = await glue((call) =>
      call.operation === "StartJobRun"
        ? { body: { JobRunId: "jr_x" } }
        : { body: { JobRun: { Id: "jr_x", JobRunState: "SUCCEEDED" } } },
    );
    const result = await runGlueJob({
      client,
      jobName: "j",
      pollIntervalMs: 1,
      display: null,
      reportStorage: new LocalStorage(await tempDir()),
    });
    assert.equal(result.report, undefined);
    assert.match(result.reportProblem ?? "", /cannot read _state\/glue\/runs\/jr_x\.json/);
    assert.match(formatGlueJobResult("j", result), /counts unavailable/);
  });
});
