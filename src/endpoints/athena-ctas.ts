import { randomUUID } from "node:crypto";
import { rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parquetFormat, type GlueColumn } from "../catalog/catalog-model.js";
import { CatalogStore } from "../catalog/catalog-store.js";
import { duckdbTypeOf } from "../catalog/hive-types.js";
import type { QueryResult } from "../query/query-result.js";
import type { Storage } from "../storage/storage.js";
import { AwsError } from "./aws-error.js";

/** What a CTAS writes: its data file and manifest keys (in the results bucket) and the rows written. */
export interface CtasOutcome {
  readonly manifestKey: string;
  readonly rows: number;
}

/** Athena (Trino) type name → Glue (Hive) type name, as Athena records a CTAS table's columns. */
export function glueTypeOfAthena(athenaType: string): string {
  const t = athenaType.trim().toLowerCase();
  if (t === "varchar" || t.startsWith("varchar(") || t.startsWith("char") || t === "unknown") return "string";
  if (t === "integer") return "int";
  if (t === "real") return "float";
  if (t === "varbinary") return "binary";
  if (t.startsWith("timestamp")) return "timestamp";
  if (t.startsWith("array(") && t.endsWith(")")) return `array<${glueTypeOfAthena(t.slice(6, -1))}>`;
  if (t.startsWith("map(") && t.endsWith(")")) {
    const inner = t.slice(4, -1);
    let depth = 0;
    for (let i = 0; i < inner.length; i++) {
      if (inner[i] === "(") depth++;
      else if (inner[i] === ")") depth--;
      else if (inner[i] === "," && depth === 0)
        return `map<${glueTypeOfAthena(inner.slice(0, i))},${glueTypeOfAthena(inner.slice(i + 1))}>`;
    }
  }
  if (
    ["boolean", "tinyint", "smallint", "bigint", "double", "date"].includes(t) ||
    /^decimal\(\d+,\s*\d+\)$/.test(t)
  )
    return t.replace(/\s+/g, "");
  return "string"; // row(…) and the rest: kept as text
}

/**
 * Writes a CTAS result as one Parquet file under `prefix` (a folder of the results bucket of its own,
 * `athena-results/tables/<query id>/` as Athena places a CTAS without external_location, never inside
 * transformed/), its manifest `<result key base>-manifest.csv` listing the file (as Athena writes it), and
 * the table in the catalog. The rows come from the query engine (its guard, its caps).
 */
export async function writeCtasTable(options: {
  storage: Storage;
  bucket: string;
  target: { db: string; name: string };
  prefix: string;
  queryId: string;
  resultKey: string;
  result: QueryResult;
  withData: boolean;
}): Promise<CtasOutcome> {
  const { storage, bucket, target, prefix, queryId, result } = options;
  const store = new CatalogStore(storage);
  if (await hasObjects(storage, prefix))
    throw new AwsError(
      "InvalidRequestException",
      `HIVE_PATH_ALREADY_EXISTS: Target directory for table '${target.db}.${target.name}' already exists: s3://${bucket}/${prefix}`,
    );
  const columns: GlueColumn[] = result.columns.map((c) => ({
    Name: c.name.toLowerCase(),
    Type: glueTypeOfAthena(c.type),
  }));
  if (new Set(columns.map((c) => c.Name)).size !== columns.length || columns.some((c) => c.Name === ""))
    throw new AwsError(
      "InvalidRequestException",
      "Column names of a CTAS must be distinct and not empty (use AS aliases)",
    );
  const dataKey = `${prefix}${queryId}_00000.parquet`;
  const manifestKey = options.resultKey.replace(/\.csv$/, "-manifest.csv");
  const rows = options.withData ? result.rows : [];
  if (rows.length > 0 || options.withData) {
    const scratch = join(tmpdir(), `clickstream-ctas-${randomUUID()}`);
    try {
      await writeParquet(scratch, columns, rows);
      await storage.moveFileIn("athena-results", dataKey, `${scratch}.parquet`);
    } finally {
      await rm(`${scratch}.ndjson`, { force: true });
      await rm(`${scratch}.parquet`, { force: true });
    }
  }
  await storage.writeAtomic(
    "athena-results",
    manifestKey,
    options.withData ? `s3://${bucket}/${dataKey}\n` : "",
    { ownerOnly: true },
  );
  const now = new Date().toISOString();
  await store.putTable({
    Name: target.name,
    DatabaseName: target.db,
    TableType: "EXTERNAL_TABLE",
    CreateTime: now,
    UpdateTime: now,
    Parameters: { classification: "parquet", has_encrypted_data: "false", parquet_compression: "ZSTD" },
    StorageDescriptor: {
      Columns: columns,
      Location: `s3://${bucket}/${prefix}`,
      Compressed: false,
      NumberOfBuckets: 0,
      StoredAsSubDirectories: false,
      ...parquetFormat,
      SerdeInfo: { ...parquetFormat.SerdeInfo, Parameters: { ...parquetFormat.SerdeInfo.Parameters } },
    },
    PartitionKeys: [],
    VersionId: "1",
  });
  return { manifestKey, rows: rows.length };
}

async function hasObjects(storage: Storage, prefix: string): Promise<boolean> {
  for await (const object of storage.list("athena-results", prefix)) if (object) return true;
  return false;
}

/** The rows as `<base>.parquet` (zstd), each column cast to its catalogued type; through DuckDB, in-process. */
async function writeParquet(
  base: string,
  columns: readonly GlueColumn[],
  rows: readonly unknown[][],
): Promise<void> {
  const { DuckDBInstance, quotedIdentifier, quotedString } = await import("@duckdb/node-api");
  // Row values are the engine's plain values (timestamps as text, maps as objects): JSON keeps them.
  await writeFile(
    `${base}.ndjson`,
    rows
      .map((row) =>
        JSON.stringify(
          Object.fromEntries(
            row.map((v, i) => [`c${i}`, typeof v === "string" && v.endsWith(" UTC") ? v.slice(0, -4) : v]),
          ),
        ),
      )
      .join("\n"),
  );
  const types = columns.map((c) => duckdbTypeOf(c.Type));
  const spec = `{${columns.map((_c, i) => `${quotedString(`c${i}`)}: ${quotedString(types[i]!)}`).join(", ")}}`;
  const projection = columns.map(
    (c, i) => `CAST(${quotedIdentifier(`c${i}`)} AS ${types[i]}) AS ${quotedIdentifier(c.Name)}`,
  );
  const instance = await DuckDBInstance.create(":memory:", { threads: "1" });
  const connection = await instance.connect();
  try {
    const source =
      rows.length === 0
        ? `(SELECT ${columns.map((_c, i) => `CAST(NULL AS ${types[i]}) AS ${quotedIdentifier(`c${i}`)}`).join(", ")} WHERE false)`
        : `read_json(${quotedString(`${base}.ndjson`)}, format = 'newline_delimited', columns = ${spec})`;
    await connection.run(
      `COPY (SELECT ${projection.join(", ")} FROM ${source}) TO ${quotedString(`${base}.parquet`)} (FORMAT parquet, COMPRESSION zstd)`,
    );
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
