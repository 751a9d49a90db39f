import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { pythonClients, requireTool, venvPython } from "../support/optional-suite.js";
import {
  asAthena,
  clientEnv,
  names,
  startEndpointsFixture,
  type EndpointsFixture,
} from "./endpoints-fixture.js";

const run = promisify(execFile);
const script = fileURLToPath(new URL("../../../test/endpoints/python_clients.py", import.meta.url));

interface PythonAnswer {
  account: string;
  arn: string;
  partitions: string[][];
  boto3: { state: string; statementType: string; scanned: number; rows: (string | null)[][]; pages: number };
  pyathena?: {
    description: [string, string, number, number, string][];
    rows: ([string, string] | null)[][];
    queryId: string;
    qmarkCount: number;
    pandas: { rows: number; columns: string[]; first: string };
    sqlalchemy: { schemas: string[]; tables: string[]; columns: [string, string][]; partitionKeys: string[] };
    paged: { rows: number; last: number };
    cancelled: string;
  };
}

let f: EndpointsFixture | undefined;
before(async () => {
  if (pythonClients.missing() === undefined) f = await startEndpointsFixture();
});
after(() => f?.stop());

async function python(args: Record<string, unknown>): Promise<PythonAnswer> {
  const env = {
    ...(await clientEnv(f!.serve.url)),
  };
  const { stdout } = await run(venvPython, [script, JSON.stringify(args)], { env });
  return JSON.parse(stdout) as PythonAnswer;
}

describe("Python clients (boto3, PyAthena) with AWS_ENDPOINT_URL at clickstream serve", () => {
  test("boto3: STS, Glue partitions by expression, Athena start/poll/paged results; PyAthena's default cursor, pandas cursor, SQLAlchemy reflection, 100k rows paged, a cancelled query", async (t) => {
    if (!requireTool(t, pythonClients)) return;
    const sql = "SELECT event_id, user_id, price FROM transformed ORDER BY event_id LIMIT 25";
    const typedSql =
      "SELECT event_id, hour, price, has_price_data, event_date, event_time, properties FROM transformed ORDER BY event_id LIMIT 20";
    const answer = await python({
      sql,
      typedSql,
      pyathena: true,
      database: names.database,
      workgroup: names.workgroup,
      output: `s3://${names.resultsBucket}/athena-results/`,
    });
    assert.equal(answer.account, "000000000000");
    assert.equal(answer.arn, "arn:aws:iam::000000000000:root");
    assert.deepEqual(answer.partitions, [
      ["2026", "11", "04"],
      ["2026", "11", "05"],
    ]);

    assert.equal(answer.boto3.state, "SUCCEEDED");
    assert.equal(answer.boto3.statementType, "DML");
    assert.ok(answer.boto3.scanned > 0);
    assert.equal(answer.boto3.pages, 3, "26 rows (header + 25) in pages of 10");
    const expected = await f!.engineRun(sql);
    assert.deepEqual(answer.boto3.rows, [
      ["event_id", "user_id", "price"],
      ...asAthena(expected).map((r) => r.map((v) => v ?? null)),
    ]);

    const cursor = answer.pyathena!;
    assert.deepEqual(
      cursor.description.map((d) => [d[0], d[1]]),
      [
        ["event_id", "varchar"],
        ["hour", "integer"],
        ["price", "double"],
        ["has_price_data", "boolean"],
        ["event_date", "date"],
        ["event_time", "timestamp"],
        ["properties", "map"],
      ],
    );
    const typed = await f!.engineRun(typedSql);
    assert.equal(cursor.rows.length, typed.rows.length, "the header row is not a data row");
    const pyTypes = ["str", "int", "float", "bool", "date", "datetime", "dict"];
    cursor.rows.forEach((row, i) => {
      row.forEach((cell, j) => {
        const value = typed.rows[i]![j];
        if (value === null) return assert.equal(cell, null, `row ${i} column ${j} is NULL`);
        assert.equal(cell![0], pyTypes[j], `row ${i} column ${typed.columns[j]!.name}: ${cell![1]}`);
      });
      assert.equal(row[0]![1], typed.rows[i]![0]);
      assert.equal(Number(row[1]![1]), typed.rows[i]![1]);
      assert.equal(row[5]![1], typed.rows[i]![5]);
    });
    const qmark = await f!.engineRun(
      "SELECT count(*) FROM transformed WHERE event_type = 'page_view' AND hour >= 3",
    );
    assert.equal(cursor.qmarkCount, qmark.rows[0]![0], "qmark parameters, as ExecutionParameters");
    const ids = await f!.engineRun("SELECT event_id FROM transformed ORDER BY event_id");
    assert.deepEqual(cursor.pandas, {
      rows: ids.rows.length,
      columns: ["event_id", "event_type"],
      first: ids.rows[0]![0],
    });
    assert.ok(cursor.sqlalchemy.schemas.includes("clickstream_db"), cursor.sqlalchemy.schemas.join());
    assert.ok(cursor.sqlalchemy.tables.includes("transformed"), cursor.sqlalchemy.tables.join());
    const described = await f!.engineRun("DESCRIBE transformed");
    assert.deepEqual(
      cursor.sqlalchemy.columns.map((c) => c[0]),
      described.rows.map((r) => r[0]),
      "SQLAlchemy reflects every column, partition keys included",
    );
    assert.deepEqual(cursor.sqlalchemy.partitionKeys, ["year", "month", "day"]);
    assert.deepEqual(cursor.paged, { rows: 100_000, last: 100_000 }, "100k rows paged to the end");
    assert.equal(cursor.cancelled, "CANCELLED");
  });
});
