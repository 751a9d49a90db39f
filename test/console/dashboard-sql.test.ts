import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { before, test } from "node:test";
import { promisify } from "node:util";
import { AthenaClient } from "@aws-sdk/client-athena";
import { runAthenaQuery } from "../../src/aws/athena-query-engine.js";
import { parseConfig } from "../../src/config/load-config.js";
import { dashboardSqlFile } from "../../src/console/dashboard-queries.js";
import { openQueryEngine } from "../../src/query/query-engine.js";
import { parseQueryFile } from "../../src/query/query-file.js";
import { LocalStorage } from "../../src/storage/local-storage.js";
import { clientOnRecordingServer } from "../support/aws-recording-server.js";
import { bin, consoleWarehouse, expectedFigures, sameFigure } from "./console-fixture.js";

const run = promisify(execFile);
let warehouse: string;

before(async () => {
  warehouse = await consoleWarehouse();
});

test("every dashboard statement takes the same six bound parameters and reads only the partitions in range", async () => {
  const statements = parseQueryFile(await readFile(dashboardSqlFile, "utf8"));
  assert.deepEqual(
    statements.map((s) => s.title),
    [
      "overview",
      "timeseries hourly",
      "timeseries daily",
      "top pages",
      "sources",
      "devices",
      "event types",
      "product categories",
      "funnel",
    ],
  );
  const engine = await openQueryEngine({
    storage: new LocalStorage(warehouse),
    config: parseConfig({ warehouse: { dir: warehouse } }),
  });
  try {
    for (const statement of statements) {
      const params = ["2026-11-05", "2026-11-06", "", "", "", ""];
      const profile = await engine.profile(statement.sql, { params });
      assert.deepEqual(
        [...new Set(profile.filesRead.map((k) => /day=(\d+)/.exec(k)![1]))].sort(),
        ["05", "06"],
        `${statement.title} reads only the two days of its range`,
      );
      await assert.rejects(engine.run(statement.sql, { params: params.slice(0, 2) }), /6 \? placeholder/);
    }
  } finally {
    engine.close();
  }
});

test("`clickstream query --param` runs a dashboard statement unchanged", async () => {
  const { stdout } = await run(process.execPath, [
    bin,
    "query",
    "--warehouse",
    warehouse,
    "--file",
    "queries/dashboard.sql",
    "--name",
    "overview",
    "--format",
    "json",
    ...["2026-11-04", "2026-11-09", "", "desktop", "", ""].flatMap((p) => ["--param", p]),
  ]);
  const [row] = JSON.parse(stdout) as Record<string, number>[];
  const expected = await expectedFigures(warehouse, "2026-11-04", "2026-11-09", { device: "desktop" });
  for (const [key, value] of Object.entries(expected)) {
    assert.ok(sameFigure(row![key] ?? null, value), `${key}: ${row![key]} vs ${value}`);
  }
});

test("on Athena the values travel as ExecutionParameters, the statement text unchanged", async () => {
  const sql = parseQueryFile(await readFile(dashboardSqlFile, "utf8"))[0]!.sql;
  let started: Record<string, unknown> | undefined;
  const { server, client } = await clientOnRecordingServer(
    (config) => new AthenaClient(config),
    (call) => {
      if (call.operation === "StartQueryExecution") {
        started = call.body;
        return { body: { QueryExecutionId: "q-1" } };
      }
      if (call.operation === "GetQueryExecution") {
        return {
          body: {
            QueryExecution: {
              QueryExecutionId: "q-1",
              Status: { State: "SUCCEEDED" },
              Statistics: { DataScannedInBytes: 1 },
            },
          },
        };
      }
      return {
        body: {
          ResultSet: {
            Rows: [{ Data: [{ VarCharValue: "visitors" }] }, { Data: [{ VarCharValue: "7" }] }],
            ResultSetMetadata: { ColumnInfo: [{ Name: "visitors", Type: "bigint" }] },
          },
        },
      };
    },
  );
  try {
    const result = await runAthenaQuery({
      client,
      sql,
      workgroup: "wg",
      executionParameters: ["'2026-11-04'", "'2026-11-09'", "''", "''", "''", "''"],
      display: null,
      pollIntervalMs: 1,
    });
    assert.deepEqual(result.rows, [[7]]);
    assert.equal(started?.QueryString, sql);
    assert.deepEqual(started?.ExecutionParameters, ["'2026-11-04'", "'2026-11-09'", "''", "''", "''", "''"]);
  } finally {
    await server.close();
  }
});
