import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { DuckDBInstance, listValue, type DuckDBConnection } from "@duckdb/node-api";
import { LocalStorage } from "../../src/storage/local-storage.js";
import { isHiddenKey } from "../../src/storage/object-key.js";
import { readTableView } from "../../src/table/table-view.js";

/** The differences of one table between two warehouses. */
interface TableDifferences {
  /** Rows in the first warehouse and not the second (EXCEPT ALL), rendered as text; and the reverse. */
  onlyInFirst: string[];
  onlyInSecond: string[];
  rowCounts: [number, number];
  /** Column name and DuckDB type, as each table reads back. */
  columnTypes: [string[], string[]];
  /** Column → Parquet physical and logical type, over every file of each warehouse. */
  parquetTypes: [string[], string[]];
}

/**
 * Reads two warehouses written by different engines and reports every difference: rows of both tables
 * of the transformed bucket (every column, exactly, and the partition folder each row is in), the Parquet
 * type of every column, and the reject lines. Layouts (file names, how many files) may differ; nothing
 * else may. The events table's differences are at the top level, the sessions table's under `sessions`.
 */
export interface ParityDifferences extends TableDifferences {
  sessions: TableDifferences;
  /** Reject lines (reason, field, source, line, raw), sorted, as JSON text. */
  rejects: [string[], string[]];
}

/** The tables of the transformed bucket: the events (`transformed/`) and the sessions (`sessions/`). */
type TableName = "transformed" | "sessions";

/** Visible files under `<warehouse>/<prefix>` ending with the suffix (hidden = a segment starting `_` or `.`). */
export async function visibleFiles(warehouse: string, prefix: string, suffix: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(join(warehouse, prefix), { recursive: true, withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  return entries
    .filter((e) => e.isFile() && e.name.endsWith(suffix))
    .map((e) => join(e.parentPath, e.name))
    .filter((path) => !isHiddenKey(path.slice(warehouse.length + 1)))
    .sort();
}

/** A table's data files as readers see them: the local engine's snapshot, or every data file. */
async function tableFiles(warehouse: string, table: TableName = "transformed"): Promise<string[]> {
  const storage = new LocalStorage(warehouse);
  const view = await readTableView(storage, warehouse);
  return (table === "transformed" ? view.files : view.sessionFiles)
    .map((o) => storage.localPath("transformed", o.key)!)
    .sort();
}

async function withDuckDB<T>(work: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
  const db = await DuckDBInstance.create(":memory:");
  const connection = await db.connect();
  try {
    return await work(connection);
  } finally {
    connection.closeSync();
    db.closeSync();
  }
}

const tableSql = `SELECT * FROM read_parquet($files, hive_partitioning = true,
  hive_types = {'year': VARCHAR, 'month': VARCHAR, 'day': VARCHAR})`;

/**
 * A Parquet column's logical type as the format resolves it: the LogicalType annotation, else the legacy
 * ConvertedType, else the physical type's own meaning. DuckDB writes only ConvertedTypes for strings and
 * integers where Spark (parquet-mr) writes both; the resolved types are what readers see.
 */
const resolvedLogicalTypeSql = `CASE
    WHEN logical_type IS NOT NULL THEN regexp_replace(logical_type, 'Type\\(.*$', '')
      || CASE WHEN logical_type LIKE 'Timestamp%' THEN '(utc=' || regexp_extract(logical_type, 'isAdjustedToUTC=(\\d)', 1)
        || ',' || CASE WHEN logical_type LIKE '%MICROS=MicroSeconds%' THEN 'micros' WHEN logical_type LIKE '%MILLIS=MilliSeconds%' THEN 'millis' ELSE 'nanos' END || ')'
        ELSE '' END
    WHEN converted_type = 'UTF8' THEN 'String'
    WHEN converted_type = 'DATE' THEN 'Date'
    WHEN converted_type = 'MAP' THEN 'Map'
    WHEN converted_type IN ('INT_32', 'INT_64') THEN 'Integer'
    WHEN converted_type = 'TIMESTAMP_MICROS' THEN 'Timestamp(utc=1,micros)'
    WHEN converted_type IS NOT NULL THEN converted_type
    WHEN type IN ('INT32', 'INT64') THEN 'Integer'
    ELSE coalesce(type, 'group') END`;

/** Every column's Parquet physical type, resolved logical type and repetition, over all the files. */
async function parquetColumnTypes(files: string[]): Promise<string[]> {
  if (files.length === 0) return [];
  return withDuckDB(async (c) => {
    const reader = await c.runAndReadAll(
      `SELECT DISTINCT name || ': ' || coalesce(type, 'group') || ' ' || (${resolvedLogicalTypeSql})
          || ' ' || coalesce(repetition_type, '') AS t
       FROM parquet_schema($files) WHERE name NOT IN ('duckdb_schema', 'spark_schema') ORDER BY t`,
      { files: listValue(files) },
    );
    return reader.getRowObjectsJS().map((r) => String(r.t));
  });
}

/** Reject lines (reason, field, source, line, raw) of every errors/ object, sorted. */
async function rejectLines(warehouse: string): Promise<string[]> {
  const lines: string[] = [];
  for (const file of await visibleFiles(warehouse, "errors", ".ndjson")) {
    for (const text of (await readFile(file, "utf8")).split("\n")) {
      if (!text.trim()) continue;
      const r = JSON.parse(text) as Record<string, unknown>;
      lines.push(JSON.stringify([r.source, r.line, r.reason, r.field, r.raw]));
    }
  }
  return lines.sort();
}

/** Every row of a table (all columns, partition folders included) as sorted JSON text. */
export async function tableRows(
  warehouse: string,
  exclude: string[] = [],
  table: TableName = "transformed",
): Promise<string[]> {
  const files = await tableFiles(warehouse, table);
  if (files.length === 0) return [];
  return withDuckDB(async (c) => {
    const except = exclude.length > 0 ? ` EXCLUDE (${exclude.join(", ")})` : "";
    const reader = await c.runAndReadAll(
      `SELECT to_json(t)::VARCHAR AS j FROM (SELECT *${except} FROM (${tableSql})) t`,
      {
        files: listValue(files),
      },
    );
    return reader
      .getRowObjectsJS()
      .map((r) => String(r.j))
      .sort();
  });
}

/** Compares two warehouses' tables, Parquet types and rejects. */
export async function compareWarehouses(first: string, second: string): Promise<ParityDifferences> {
  const events = await compareTable(first, second, "transformed");
  return {
    ...events,
    sessions: await compareTable(first, second, "sessions"),
    rejects: [await rejectLines(first), await rejectLines(second)],
  };
}

/** Compares one table of two warehouses: rows, DuckDB types, Parquet types. */
async function compareTable(first: string, second: string, table: TableName): Promise<TableDifferences> {
  const [filesA, filesB] = await Promise.all([tableFiles(first, table), tableFiles(second, table)]);
  const tables = await withDuckDB(async (c) => {
    const load = async (name: string, files: string[]): Promise<string[]> => {
      if (files.length === 0) {
        await c.run(`CREATE TABLE ${name} (empty BOOLEAN)`);
        return [];
      }
      await c.run(`CREATE TABLE ${name} AS ${tableSql}`, { files: listValue(files) });
      const described = await c.runAndReadAll(`DESCRIBE ${name}`);
      return described.getRowObjectsJS().map((r) => `${String(r.column_name)} ${String(r.column_type)}`);
    };
    const typesA = await load("a", filesA);
    const typesB = await load("b", filesB);
    const rows = async (sql: string): Promise<string[]> =>
      (await c.runAndReadAll(`SELECT to_json(t)::VARCHAR AS j FROM (${sql}) t ORDER BY j LIMIT 20`))
        .getRowObjectsJS()
        .map((r) => String(r.j));
    const count = async (name: string): Promise<number> =>
      Number((await c.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM ${name}`)).getRowObjectsJS()[0]!.n);
    const comparable = typesA.join() === typesB.join() && filesA.length > 0 && filesB.length > 0;
    return {
      onlyInFirst: comparable ? await rows(`SELECT * FROM a EXCEPT ALL SELECT * FROM b`) : [],
      onlyInSecond: comparable ? await rows(`SELECT * FROM b EXCEPT ALL SELECT * FROM a`) : [],
      rowCounts: [await count("a"), await count("b")] as [number, number],
      columnTypes: [typesA, typesB] as [string[], string[]],
    };
  });
  return {
    ...tables,
    parquetTypes: [await parquetColumnTypes(filesA), await parquetColumnTypes(filesB)],
  };
}
