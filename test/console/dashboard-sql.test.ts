import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { before, test } from "node:test";
import { promisify } from "node:util";
import { AthenaClient } from "@aws-sdk/client-athena";
import { runAthenaQuery } from "../../src/aws/athena-query-engine.js";
import { parseConfig } from "../../src/config/load-config.js";
import { dashboardSqlFile, filteredDashboardSqlFile } from "../../src/console/dashboard-queries.js";
import { filteredDashboardFile, filteredStatement } from "../../src/console/filtered-dashboard-sql.js";
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

test("both dashboard files have the same statements, bound parameters, and read only the partitions in range", async () => {
  const plain = parseQueryFile(await readFile(dashboardSqlFile, "utf8"));
  const filtered = parseQueryFile(await readFile(filteredDashboardSqlFile, "utf8"));
  const names = [
    "overview",
    "timeseries hourly",
    "timeseries daily",
    "top pages",
    "sources",
    "devices",
    "event types",
    "product categories",
    "funnel",
  ];
  assert.deepEqual(
    plain.map((s) => s.title),
    names,
  );
  assert.deepEqual(
    filtered.map((s) => s.title),
    names,
  );
  // Same figures: only the preamble (which events) differs, the rest of each statement is identical.
  const body = (sql: string) =>
    sql.slice(sql.search(/\n(per_session|first_events|session_steps) AS|\nSELECT (?!\*)/));
  for (const [i, statement] of plain.entries())
    assert.equal(body(statement.sql), body(filtered[i]!.sql), names[i]);
  const engine = await openQueryEngine({
    storage: new LocalStorage(warehouse),
    config: parseConfig({ warehouse: { dir: warehouse } }),
  });
  try {
    for (const [statements, params] of [
      [plain, ["2026-11-05", "2026-11-06"]],
      [filtered, ["2026-11-05", "2026-11-06", "", "mobile", "", "", "2026-11-05", "2026-11-06"]],
    ] as const) {
      for (const statement of statements) {
        const profile = await engine.profile(statement.sql, { params: [...params] });
        assert.deepEqual(
          [...new Set(profile.filesRead.map((k) => /day=(\d+)/.exec(k)![1]))].sort(),
          ["05", "06"],
          `${statement.title} reads only the two days of its range`,
        );
        await assert.rejects(engine.run(statement.sql, { params: [params[0]] }), /placeholder/);
      }
    }
    // Without filters, both files give the same answers (doubles to 1e-9: the order of addition differs).
    for (const [i, statement] of plain.entries()) {
      const a = (await engine.run(statement.sql, { params: ["2026-11-03", "2026-11-12"] })).rows;
      const unfiltered = ["2026-11-03", "2026-11-12", "", "", "", "", "2026-11-03", "2026-11-12"];
      const b = (await engine.run(filtered[i]!.sql, { params: unfiltered })).rows;
      assert.equal(a.length, b.length, names[i]);
      a.forEach((row, r) =>
        row.forEach((cell, c) => {
          const other = b[r]![c];
          const same =
            typeof cell === "number" && typeof other === "number" ? sameFigure(cell, other) : cell === other;
          assert.ok(same, `${names[i]} row ${r} column ${c}: ${String(cell)} vs ${String(other)}`);
        }),
      );
    }
    // The console's variant for device and source filters alone (no pass over the events) answers as
    // the full filtered statement does.
    for (const [i, statement] of plain.entries()) {
      for (const values of [
        ["2026-11-03", "2026-11-12", "", "mobile", "", "", "2026-11-03", "2026-11-12"],
        ["2026-11-03", "2026-11-12", "", "", "www.google.com", "", "2026-11-03", "2026-11-12"],
      ]) {
        const full = (await engine.run(filtered[i]!.sql, { params: values })).rows;
        const lean = (
          await engine.run(filteredStatement(statement.sql, names[i]!, false), { params: values })
        ).rows;
        assert.equal(lean.length, full.length, names[i]);
        lean.forEach((row, r) =>
          row.forEach((cell, c) => {
            const other = full[r]![c];
            const same =
              typeof cell === "number" && typeof other === "number"
                ? sameFigure(cell, other)
                : cell === other;
            assert.ok(same, `${names[i]} with ${values.join(",")}: row ${r} column ${c}`);
          }),
        );
        if (names[i] === "overview") assert.ok(Number(full[0]![1]) > 0, "the filter keeps sessions");
      }
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
    "queries/dashboard-filtered.sql",
    "--name",
    "overview",
    "--format",
    "json",
    ...["2026-11-04", "2026-11-09", "", "desktop", "", "", "2026-11-04", "2026-11-09"].flatMap((p) => [
      "--param",
      p,
    ]),
  ]);
  const [row] = JSON.parse(stdout) as Record<string, number>[];
  const expected = await expectedFigures(warehouse, "2026-11-04", "2026-11-09", { device: "desktop" });
  for (const [key, value] of Object.entries(expected)) {
    assert.ok(sameFigure(row![key] ?? null, value), `${key}: ${row![key]} vs ${value}`);
  }
});

test("on Athena the values travel as ExecutionParameters, the statement text unchanged", async () => {
  const sql = parseQueryFile(await readFile(filteredDashboardSqlFile, "utf8"))[0]!.sql;
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
      executionParameters: [
        "'2026-11-04'",
        "'2026-11-09'",
        "''",
        "''",
        "''",
        "''",
        "'2026-11-04'",
        "'2026-11-09'",
      ],
      display: null,
      pollIntervalMs: 1,
    });
    assert.deepEqual(result.rows, [[7]]);
    assert.equal(started?.QueryString, sql);
    assert.deepEqual(started?.ExecutionParameters, [
      "'2026-11-04'",
      "'2026-11-09'",
      "''",
      "''",
      "''",
      "''",
      "'2026-11-04'",
      "'2026-11-09'",
    ]);
  } finally {
    await server.close();
  }
});

test("queries/dashboard-filtered.sql is dashboard.sql with the filters applied (regenerate it with scripts/generate-dashboard-sql.mjs)", async () => {
  const plain = await readFile(dashboardSqlFile, "utf8");
  assert.equal(
    await readFile(filteredDashboardSqlFile, "utf8"),
    filteredDashboardFile(plain),
    "queries/dashboard-filtered.sql is stale: run `npm run build && node scripts/generate-dashboard-sql.mjs`",
  );
  // A statement that does not start with the range CTE cannot be filtered: said, not silently unfiltered.
  assert.throws(
    () => filteredStatement("SELECT 1", "odd"),
    /statement "odd" must begin its WITH with the range CTE/,
  );
});
