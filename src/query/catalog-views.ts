import { quotedIdentifier, quotedString, type DuckDBConnection } from "@duckdb/node-api";
import type { CatalogTable } from "../catalog/catalog-store.js";
import { hiveDefaultPartition, partitionName } from "../catalog/catalog-model.js";
import { duckdbTypeOf } from "../catalog/hive-types.js";
import type { LocalFileCache } from "../storage/local-file-cache.js";
import { isHiddenKey } from "../storage/object-key.js";
import type { ObjectInfo, Storage } from "../storage/storage.js";

/** One catalog table as the engine serves it: the files of its catalogued partitions. */
export interface ServedTable {
  name: string;
  /** The database (DuckDB schema) of a table of another database than the pipeline's; unset for the pipeline's. */
  schema?: string;
  /** A view (Athena CREATE VIEW): its Athena SQL and the DuckDB rewrite, each checked by the guard before it is created. */
  view?: { athena: string; duckdb: string };
  entry: CatalogTable;
  /** Local path → storage object, for every file the view reads. */
  files: Map<string, ObjectInfo>;
  /**
   * A partitioned table of another database: each catalog partition's values (null for Hive's default
   * partition) and the local paths of the files under its Location. The values come from the catalog, as
   * Athena takes them, not from folder names; unset for the pipeline's tables (Hive folders of digits).
   */
  partitions?: { values: (string | null)[]; paths: string[] }[];
}

/** The table's folder under the bucket (`transformed`), from its Location (`…/transformed/`). */
function tableFolder(entry: CatalogTable): string {
  const segments = entry.table.StorageDescriptor.Location.split("/").filter(Boolean);
  return segments.at(-1) ?? entry.table.Name;
}

/**
 * Picks the files a table shows, as Athena does: every current data file under the location of a
 * partition the catalog knows. Partitions on disk but not in the catalog stay invisible until a crawl
 * or MSCK REPAIR TABLE; a catalogued partition whose files are gone reads as empty.
 */
export async function servedTable(
  entry: CatalogTable,
  objects: readonly ObjectInfo[],
  cache: LocalFileCache,
): Promise<ServedTable> {
  const folder = tableFolder(entry);
  const keys = entry.table.PartitionKeys;
  const prefixes = new Set(
    entry.partitions.Partitions.map(
      (p) => `${folder}/${keys.length ? `${partitionName(keys, p.Values)}/` : ""}`,
    ),
  );
  const files = new Map<string, ObjectInfo>();
  for (const object of objects) {
    if (!object.key.startsWith(`${folder}/`) || !object.key.endsWith(".parquet") || isHiddenKey(object.key))
      continue;
    const dir = object.key.slice(0, object.key.lastIndexOf("/") + 1);
    if (keys.length === 0 ? dir !== `${folder}/` && !prefixes.has(dir) : !prefixes.has(dir)) continue;
    files.set(await cache.path("transformed", object), object);
  }
  return { name: entry.table.Name, entry, files };
}

/**
 * A table of another database (a CTAS of the local Athena endpoint, or a table recorded through Glue):
 * the Parquet files under its Location when that is a folder of the results bucket's `athena-results/`
 * (where the endpoint writes them), else none (a table recorded elsewhere reads as empty). A partitioned
 * table reads only its catalogued partitions, each from its own Location, as Athena does.
 */
export async function servedResultsTable(
  entry: CatalogTable,
  storage: Storage,
  cache: LocalFileCache,
): Promise<ServedTable> {
  const files = new Map<string, ObjectInfo>();
  const served: ServedTable = { name: entry.table.Name, schema: entry.table.DatabaseName, entry, files };
  if (entry.table.TableType !== "EXTERNAL_TABLE") return served;
  const filesUnder = async (location: string): Promise<string[]> => {
    const key = /^s3:\/\/[^/]+\/(athena-results\/.+)$/.exec(location)?.[1];
    if (key === undefined) return [];
    const prefix = key.endsWith("/") ? key : `${key}/`;
    const paths: string[] = [];
    for await (const object of storage.list("athena-results", prefix)) {
      if (!object.key.endsWith(".parquet") || isHiddenKey(object.key)) continue;
      const path = await cache.path("athena-results", object);
      files.set(path, object);
      paths.push(path);
    }
    return paths;
  };
  if (entry.table.PartitionKeys.length === 0) {
    await filesUnder(entry.table.StorageDescriptor.Location);
    return served;
  }
  served.partitions = [];
  for (const partition of entry.partitions.Partitions)
    served.partitions.push({
      values: partition.Values.map((v) => (v === hiveDefaultPartition ? null : v)),
      paths: await filesUnder(partition.StorageDescriptor.Location),
    });
  return served;
}

/**
 * Creates (or replaces) the view for a served table: the catalog's columns cast to the catalog's types
 * (so widened columns read alike from old and new files), plus the partition keys as strings.
 */
export async function createTableView(
  connection: DuckDBConnection,
  schema: string,
  table: ServedTable,
): Promise<void> {
  const columns = table.entry.table.StorageDescriptor.Columns;
  const partitionKeys = table.entry.table.PartitionKeys;
  const target = `${quotedIdentifier(schema)}.${quotedIdentifier(table.name)}`;
  const paths = [...table.files.keys()];
  if (table.partitions !== undefined && paths.length > 0) {
    await createPartitionsView(connection, target, table.entry.table, table.partitions);
    return;
  }
  if (paths.length === 0) {
    const empty = [...columns, ...partitionKeys]
      .map((c) => `CAST(NULL AS ${duckdbTypeOf(c.Type)}) AS ${quotedIdentifier(c.Name)}`)
      .join(", ");
    await connection.run(`CREATE OR REPLACE VIEW ${target} AS SELECT ${empty} WHERE false`);
    return;
  }
  const list = `[${paths.map(quotedString).join(", ")}]`;
  const hiveTypes = `{${partitionKeys.map((k) => `${quotedString(k.Name)}: 'VARCHAR'`).join(", ")}}`;
  const options = partitionKeys.length
    ? `hive_partitioning = true, hive_types = ${hiveTypes}, hive_types_autocast = false, union_by_name = true`
    : "hive_partitioning = false, union_by_name = true";
  const present = await connection.runAndReadAll(
    `SELECT * FROM read_parquet(${list}, hive_partitioning = false, union_by_name = true) LIMIT 0`,
  );
  const inFiles = new Set(present.columnNames());
  const projection = [
    ...columns.map((c) => {
      const name = quotedIdentifier(c.Name);
      const type = duckdbTypeOf(c.Type);
      return inFiles.has(c.Name) ? `CAST(${name} AS ${type}) AS ${name}` : `CAST(NULL AS ${type}) AS ${name}`;
    }),
    ...partitionKeys.map((k) => quotedIdentifier(k.Name)),
  ].join(", ");
  await connection.run(
    `CREATE OR REPLACE VIEW ${target} AS SELECT ${projection} FROM read_parquet(${list}, ${options})`,
  );
}

/**
 * A partitioned table of another database as one UNION ALL branch per partition with files: its files'
 * columns cast to the catalog's types, and its catalog values as constants of the partition keys' types,
 * so a filter on a partition key leaves the other partitions' files unread (DuckDB drops a branch whose
 * constants fail the filter).
 */
async function createPartitionsView(
  connection: DuckDBConnection,
  target: string,
  table: CatalogTable["table"],
  partitions: NonNullable<ServedTable["partitions"]>,
): Promise<void> {
  const columns = table.StorageDescriptor.Columns;
  const list = (files: readonly string[]): string => `[${files.map(quotedString).join(", ")}]`;
  const branches: string[] = [];
  for (const p of partitions) {
    if (p.paths.length === 0) continue;
    const source = `read_parquet(${list(p.paths)}, hive_partitioning = false, union_by_name = true)`;
    // Per partition: a column its files lack (written before the column was added) reads as NULL.
    const inFiles = new Set(
      (await connection.runAndReadAll(`SELECT * FROM ${source} LIMIT 0`)).columnNames(),
    );
    const projection = [
      ...columns.map((c) => {
        const name = quotedIdentifier(c.Name);
        return `CAST(${inFiles.has(c.Name) ? name : "NULL"} AS ${duckdbTypeOf(c.Type)}) AS ${name}`;
      }),
      ...table.PartitionKeys.map((k, i) => {
        const value = p.values[i];
        const constant = value === null || value === undefined ? "NULL" : quotedString(value);
        return `CAST(${constant} AS ${duckdbTypeOf(k.Type)}) AS ${quotedIdentifier(k.Name)}`;
      }),
    ];
    branches.push(`SELECT ${projection.join(", ")} FROM ${source}`);
  }
  await connection.run(`CREATE OR REPLACE VIEW ${target} AS ${branches.join(" UNION ALL ")}`);
}
