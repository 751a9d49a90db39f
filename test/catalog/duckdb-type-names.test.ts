// test tier: fast (in-process, no child processes)
import assert from "node:assert/strict";
import { test } from "node:test";
import { DuckDBInstance } from "@duckdb/node-api";
import { athenaTypeName, glueTypeOf } from "../../src/catalog/duckdb-type-names.js";

// Real DuckDB result types (not hand-built ones), each named in both dialects from the one table.
test("each DuckDB type has its Glue (Hive) name and its Athena (Trino) name, nested types included", async () => {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(`SELECT
      'a'::VARCHAR AS s, 1::INTEGER AS i, 1::BIGINT AS b, 1.5::FLOAT AS f, 1.5::DOUBLE AS d,
      1.25::DECIMAL(10,2) AS dec, DATE '2026-11-24' AS dt, TIMESTAMP '2026-11-24 10:00:00' AS ts,
      true AS bool, SUM(1::BIGINT) AS total, [1, 2]::INTEGER[] AS list,
      MAP {'k': 1::BIGINT} AS m, {'x': 1::INTEGER, 'y': 'v'} AS st`);
    const names = reader.columnNames();
    const types = reader.columnTypes();
    const both = Object.fromEntries(
      names.map((n, i) => [n, [glueTypeOf(types[i]!), athenaTypeName(types[i]!)]]),
    );
    assert.deepEqual(both, {
      s: ["string", "varchar"],
      i: ["int", "integer"],
      b: ["bigint", "bigint"],
      f: ["float", "real"],
      d: ["double", "double"],
      dec: ["decimal(10,2)", "decimal(10,2)"],
      dt: ["date", "date"],
      ts: ["timestamp", "timestamp"],
      bool: ["boolean", "boolean"],
      total: ["decimal(38,0)", "bigint"],
      list: ["array<int>", "array(integer)"],
      m: ["map<string,bigint>", "map(varchar, bigint)"],
      st: ["struct<x:int,y:string>", "row(x integer, y varchar)"],
    });
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
});
