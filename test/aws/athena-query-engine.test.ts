// test tier: fast (in-process, no child processes)
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AthenaClient } from "@aws-sdk/client-athena";
import { formatAthenaSummary, runAthenaQuery, typedValue } from "../../src/aws/athena-query-engine.js";
import { clientOnRecordingServer, type Responder } from "../support/aws-recording-server.js";

const athena = (respond: Responder) => clientOnRecordingServer((config) => new AthenaClient(config), respond);

const columnInfo = [
  { CatalogName: "hive", Name: "event_date", Type: "date", Nullable: "UNKNOWN", CaseSensitive: false },
  { CatalogName: "hive", Name: "events", Type: "bigint", Nullable: "UNKNOWN", CaseSensitive: false },
  { CatalogName: "hive", Name: "revenue", Type: "double", Nullable: "UNKNOWN", CaseSensitive: false },
  { CatalogName: "hive", Name: "device_type", Type: "varchar", Nullable: "UNKNOWN", CaseSensitive: true },
  { CatalogName: "hive", Name: "converted", Type: "boolean", Nullable: "UNKNOWN", CaseSensitive: false },
  { CatalogName: "hive", Name: "hour", Type: "integer", Nullable: "UNKNOWN", CaseSensitive: false },
];
const cells = (...values: (string | undefined)[]) => ({
  Data: values.map((v) => (v === undefined ? {} : { VarCharValue: v })),
});

function execution(state: string, extra: Record<string, unknown> = {}) {
  return {
    QueryExecution: {
      QueryExecutionId: "q-1",
      Query: "SELECT …",
      StatementType: "DML",
      ResultConfiguration: { OutputLocation: "s3://results/athena-results/q-1.csv" },
      Status: { State: state, SubmissionDateTime: 1795600800.123 },
      Statistics: { EngineExecutionTimeInMillis: 1530, DataScannedInBytes: 10_485_760 },
      WorkGroup: "cs-workgroup",
      ...extra,
    },
  };
}

describe("athena query engine", () => {
  it("starts the query in the workgroup, polls, pages through the results and types the values", async () => {
    const states = ["QUEUED", "RUNNING", "SUCCEEDED"];
    let polls = 0;
    const { server, client } = await athena((call) => {
      switch (call.operation) {
        case "StartQueryExecution":
          return { body: { QueryExecutionId: "q-1" } };
        case "GetQueryExecution":
          return { body: execution(states[Math.min(polls++, 2)]!) };
        default: {
          const token = call.body.NextToken;
          if (token === undefined)
            return {
              body: {
                ResultSet: {
                  Rows: [
                    cells("event_date", "events", "revenue", "device_type", "converted", "hour"),
                    cells("2026-11-24", "120", "1999.5", "mobile", "true", "7"),
                  ],
                  ResultSetMetadata: { ColumnInfo: columnInfo },
                },
                NextToken: "page-2",
                UpdateCount: 0,
              },
            };
          return {
            body: {
              ResultSet: {
                Rows: [
                  cells("2026-11-25", "9007199254740993", undefined, undefined, "false", "23"),
                  cells("2026-11-26", "0", "NaN", "", "false", undefined),
                ],
                ResultSetMetadata: { ColumnInfo: columnInfo },
              },
              UpdateCount: 0,
            },
          };
        }
      }
    });
    const result = await runAthenaQuery({
      client,
      sql: "SELECT event_date, count(*) AS events FROM transformed GROUP BY 1",
      workgroup: "cs-workgroup",
      database: "clickstream_db",
      pageSize: 2,
      pollIntervalMs: 1,
      display: null,
    });
    assert.deepEqual(
      server.calls.map((c) => c.target),
      [
        "AmazonAthena.StartQueryExecution",
        "AmazonAthena.GetQueryExecution",
        "AmazonAthena.GetQueryExecution",
        "AmazonAthena.GetQueryExecution",
        "AmazonAthena.GetQueryResults",
        "AmazonAthena.GetQueryResults",
      ],
    );
    const start = server.calls[0]!.body;
    assert.equal(start.QueryString, "SELECT event_date, count(*) AS events FROM transformed GROUP BY 1");
    assert.equal(start.WorkGroup, "cs-workgroup");
    assert.deepEqual(start.QueryExecutionContext, { Database: "clickstream_db" });
    assert.deepEqual(server.calls[1]!.body, { QueryExecutionId: "q-1" });
    assert.deepEqual(server.calls[4]!.body, { QueryExecutionId: "q-1", MaxResults: 2 });
    assert.deepEqual(server.calls[5]!.body, { QueryExecutionId: "q-1", MaxResults: 2, NextToken: "page-2" });

    assert.deepEqual(result.columns, [
      { name: "event_date", type: "date" },
      { name: "events", type: "bigint" },
      { name: "revenue", type: "double" },
      { name: "device_type", type: "varchar" },
      { name: "converted", type: "boolean" },
      { name: "hour", type: "integer" },
    ]);
    assert.deepEqual(result.rows, [
      ["2026-11-24", 120, 1999.5, "mobile", true, 7],
      ["2026-11-25", "9007199254740993", null, null, false, 23],
      ["2026-11-26", 0, Number.NaN, "", false, null],
    ]);
    assert.equal(result.dataScannedBytes, 10_485_760);
    assert.equal(result.outputLocation, "s3://results/athena-results/q-1.csv");
    assert.equal(formatAthenaSummary(result), "3 row(s); data scanned: 10.00 MB in 1.53s (query q-1)\n");
  });

  it("fails with CS_ERR_AWS_QUERY_FAILED and Athena's reason (bytes-scanned cutoff)", async () => {
    const { server, client } = await athena((call) =>
      call.operation === "StartQueryExecution"
        ? { body: { QueryExecutionId: "q-1" } }
        : {
            body: execution("CANCELLED", {
              Status: {
                State: "CANCELLED",
                StateChangeReason: "Query exhausted the data scanned limit of 10737418240 bytes",
                AthenaError: {
                  ErrorCategory: 2,
                  ErrorType: 1100,
                  Retryable: false,
                  ErrorMessage: "Bytes scanned limit was exceeded",
                },
              },
            }),
          },
    );
    await assert.rejects(
      runAthenaQuery({
        client,
        sql: "SELECT * FROM transformed",
        workgroup: "w",
        pollIntervalMs: 1,
        display: null,
      }),
      { code: "CS_ERR_AWS_QUERY_FAILED", message: /query q-1 CANCELLED: Bytes scanned limit was exceeded/ },
    );
    assert.equal(server.calls.filter((c) => c.operation === "GetQueryResults").length, 0);
  });

  it("a bad request is CS_ERR_AWS_REQUEST with AWS's message", async () => {
    const { client } = await athena(() => ({
      status: 400,
      body: {
        __type: "InvalidRequestException",
        Message: "WorkGroup nope is not found.",
        AthenaErrorCode: "INVALID_INPUT",
      },
    }));
    await assert.rejects(
      runAthenaQuery({ client, sql: "SELECT 1", workgroup: "nope", pollIntervalMs: 1, display: null }),
      {
        code: "CS_ERR_AWS_REQUEST",
        message:
          /StartQueryExecution in workgroup nope \(InvalidRequestException\): WorkGroup nope is not found/,
      },
    );
  });

  it("types cells from Athena's type names", () => {
    assert.equal(typedValue("bigint", "42"), 42);
    assert.equal(typedValue("tinyint", "-3"), -3);
    assert.equal(typedValue("real", "1.5"), 1.5);
    assert.equal(typedValue("double", "-Infinity"), Number.NEGATIVE_INFINITY);
    assert.equal(typedValue("decimal(10,2)", "12.30"), "12.30");
    assert.equal(typedValue("timestamp", "2026-11-25 10:00:00.000"), "2026-11-25 10:00:00.000");
    assert.equal(typedValue("varchar", undefined), null);
  });
});
