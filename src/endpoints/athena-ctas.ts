import { randomUUID } from "node:crypto";
import { readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hiveDefaultPartition, parquetFormat, type GlueColumn } from "../catalog/catalog-model.js";
import { CatalogStore } from "../catalog/catalog-store.js";
import { duckdbTypeOf } from "../catalog/hive-types.js";
import type { QueryResult } from "../query/query-result.js";
import type { Storage } from "../storage/storage.js";
import { athenaCells } from "./athena-values.js";
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

/** Athena's limit of partitions one CTAS writes (HIVE_TOO_MANY_OPEN_PARTITIONS above it). */
const maxCtasPartitions = 100;

/**
 * A partition value as a Hive folder name segment: the characters Hive's FileUtils.escapePathName
 * escapes (control characters, DEL, and " # % ' * / : = ? \ { [ ] ^) as `%XX`; everything else (spaces
 * included) is kept.
 */
export function hiveEscapePathName(value: string): string {
  let out = "";
  for (const c of value) {
    const code = c.codePointAt(0)!;
    out +=
      code < 0x20 || code === 0x7f || hiveEscaped.has(c)
        ? `%${code.toString(16).toUpperCase().padStart(2, "0")}`
        : c;
  }
  return out;
}

const hiveEscaped = new Set([..."\"#%'*/:=?\\{[]^"]);

/**
 * Writes a CTAS result under `prefix` (a folder of the results bucket of its own,
 * `athena-results/tables/<query id>/` as Athena places a CTAS without external_location, never inside
 * transformed/): one Parquet file, or with `partitionedBy` one per partition in Hive-style folders
 * `<k1>=<v1>/<k2>=<v2>/` without the partition columns; its manifest `<result key base>-manifest.csv`
 * listing the files (as Athena writes it), then the partitions and the table in the catalog, only once
 * every file is in place (a failure removes the files written and records nothing). The rows come from
 * the query engine (its guard, its caps).
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
  /** partitioned_by: lower-cased column names, in the property's order. */
  partitionedBy: readonly string[];
}): Promise<CtasOutcome> {
  const { storage, bucket, target, prefix, queryId, result, partitionedBy } = options;
  const store = new CatalogStore(storage);
  if (await hasObjects(storage, prefix))
    throw new AwsError(
      "InvalidRequestException",
      `HIVE_PATH_ALREADY_EXISTS: Target directory for table '${target.db}.${target.name}' already exists: s3://${bucket}/${prefix}`,
    );
  const all: GlueColumn[] = result.columns.map((c) => ({
    Name: c.name.toLowerCase(),
    Type: glueTypeOfAthena(c.type),
  }));
  if (new Set(all.map((c) => c.Name)).size !== all.length || all.some((c) => c.Name === ""))
    throw new AwsError(
      "InvalidRequestException",
      "Column names of a CTAS must be distinct and not empty (use AS aliases)",
    );
  checkPartitioning(all, partitionedBy);
  const dataCount = all.length - partitionedBy.length;
  const columns = all.slice(0, dataCount);
  const partitionKeys = all.slice(dataCount);
  const rows = options.withData ? result.rows : [];

  // The partitions, in order of first appearance: their values as Athena's text (NULL and '' as Hive's
  // default partition), each row's partition index.
  const partitions: { values: string[]; folder: string }[] = [];
  const partitionOf: number[] = [];
  if (partitionKeys.length > 0) {
    const keyColumns = result.columns.slice(dataCount);
    const byName = new Map<string, number>();
    const cells = athenaCells(
      keyColumns,
      rows.map((row) => row.slice(dataCount)),
    );
    for (const row of cells) {
      const values = row.map((v) => (v === undefined || v === "" ? hiveDefaultPartition : v));
      const folder = partitionKeys
        .map((k, i) => `${hiveEscapePathName(k.Name)}=${hiveEscapePathName(values[i]!)}`)
        .join("/");
      let index = byName.get(folder);
      if (index === undefined) {
        index = partitions.length;
        if (index >= maxCtasPartitions)
          throw new AwsError(
            "InvalidRequestException",
            `HIVE_TOO_MANY_OPEN_PARTITIONS: Exceeded limit of ${maxCtasPartitions} open writers for partitions/buckets`,
          );
        byName.set(folder, index);
        partitions.push({ values, folder });
      }
      partitionOf.push(index);
    }
  }

  const manifestKey = options.resultKey.replace(/\.csv$/, "-manifest.csv");
  const written: string[] = [];
  const scratch = join(tmpdir(), `clickstream-ctas-${randomUUID()}`);
  try {
    if (options.withData && partitionKeys.length === 0) {
      const dataKey = `${prefix}${queryId}_00000.parquet`;
      await writeParquet(scratch, columns, rows, undefined);
      await storage.moveFileIn("athena-results", dataKey, `${scratch}.parquet`);
      written.push(dataKey);
    } else if (partitions.length > 0) {
      const data = rows.map((row, i) => [...row.slice(0, dataCount), partitionOf[i]!]);
      await writeParquet(scratch, columns, data, `${scratch}.parts`);
      for (const [index, partition] of partitions.entries()) {
        const dir = join(`${scratch}.parts`, `${partitionColumn}=${index}`);
        for (const [n, file] of (await readdir(dir)).sort().entries()) {
          const key = `${prefix}${partition.folder}/${queryId}_${String(n).padStart(5, "0")}.parquet`;
          await storage.moveFileIn("athena-results", key, join(dir, file));
          written.push(key);
        }
      }
    }
    await storage.writeAtomic(
      "athena-results",
      manifestKey,
      written.map((key) => `s3://${bucket}/${key}\n`).join(""),
      { ownerOnly: true },
    );
    const now = new Date().toISOString();
    if (partitionKeys.length > 0)
      await store.putPartitions({
        DatabaseName: target.db,
        TableName: target.name,
        Partitions: partitions.map((p) => ({
          Values: p.values,
          DatabaseName: target.db,
          TableName: target.name,
          CreationTime: now,
          LastAnalyzedTime: now,
          StorageDescriptor: {
            Location: `s3://${bucket}/${prefix}${p.folder}/`,
            ...parquetFormat,
            SerdeInfo: { ...parquetFormat.SerdeInfo, Parameters: { ...parquetFormat.SerdeInfo.Parameters } },
          },
          Parameters: {},
        })),
      });
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
      PartitionKeys: partitionKeys,
      VersionId: "1",
    });
  } catch (error) {
    // Nothing half-made stays: no partitions list without its table, no files without either.
    if (partitionKeys.length > 0) await store.deleteTable(target.db, target.name);
    for (const key of written) await storage.delete("athena-results", key);
    await storage.delete("athena-results", manifestKey);
    throw error;
  } finally {
    await rm(`${scratch}.ndjson`, { force: true });
    await rm(`${scratch}.parquet`, { force: true });
    await rm(`${scratch}.parts`, { force: true, recursive: true });
  }
  return { manifestKey, rows: rows.length };
}

/** The column of the scratch file that says which partition a row goes to. */
const partitionColumn = "__partition";

/**
 * Athena's rules for partitioned_by: every name a column of the query, the partition columns the last
 * ones in the property's order, at least one column left for the files, no complex type.
 */
function checkPartitioning(columns: readonly GlueColumn[], partitionedBy: readonly string[]): void {
  if (partitionedBy.length === 0) return;
  const names = columns.map((c) => c.Name);
  const missing = partitionedBy.filter((p) => !names.includes(p));
  if (missing.length > 0)
    throw new AwsError(
      "InvalidRequestException",
      `INVALID_TABLE_PROPERTY: Partition columns [${missing.join(", ")}] not present in schema`,
    );
  if (new Set(partitionedBy).size !== partitionedBy.length)
    throw new AwsError("InvalidRequestException", "INVALID_TABLE_PROPERTY: Duplicate partition columns");
  const tail = names.slice(names.length - partitionedBy.length);
  if (tail.join("\u0000") !== partitionedBy.join("\u0000"))
    throw new AwsError(
      "InvalidRequestException",
      `HIVE_COLUMN_ORDER_MISMATCH: Partition keys must be the last columns in the table and in the same order as the table properties: [${partitionedBy.join(", ")}]`,
    );
  if (partitionedBy.length === columns.length)
    throw new AwsError(
      "InvalidRequestException",
      "INVALID_TABLE_PROPERTY: Table contains only partition columns",
    );
  for (const c of columns.slice(columns.length - partitionedBy.length))
    if (/^(array|map|struct)</.test(c.Type) || c.Type === "binary")
      throw new AwsError(
        "InvalidRequestException",
        `NOT_SUPPORTED: Unsupported type [${c.Type}] for partition: ${c.Name}`,
      );
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
  /** With a folder: the rows carry a last value, their partition index; one `__partition=<i>/` folder each. */
  partitionedInto: string | undefined,
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
  const named =
    partitionedInto === undefined ? columns : [...columns, { Name: partitionColumn, Type: "bigint" }];
  const types = named.map((c) => duckdbTypeOf(c.Type));
  const spec = `{${named.map((_c, i) => `${quotedString(`c${i}`)}: ${quotedString(types[i]!)}`).join(", ")}}`;
  const projection = named.map(
    (c, i) => `CAST(${quotedIdentifier(`c${i}`)} AS ${types[i]}) AS ${quotedIdentifier(c.Name)}`,
  );
  // PARTITION_BY leaves the partition column out of the files, as Hive's layout wants.
  const target =
    partitionedInto === undefined
      ? `${quotedString(`${base}.parquet`)} (FORMAT parquet, COMPRESSION zstd)`
      : `${quotedString(partitionedInto)} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (${quotedIdentifier(partitionColumn)}))`;
  const instance = await DuckDBInstance.create(":memory:", { threads: "1" });
  const connection = await instance.connect();
  try {
    const source =
      rows.length === 0
        ? `(SELECT ${named.map((_c, i) => `CAST(NULL AS ${types[i]}) AS ${quotedIdentifier(`c${i}`)}`).join(", ")} WHERE false)`
        : `read_json(${quotedString(`${base}.ndjson`)}, format = 'newline_delimited', columns = ${spec})`;
    await connection.run(`COPY (SELECT ${projection.join(", ")} FROM ${source}) TO ${target}`);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
