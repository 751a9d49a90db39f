import { pathToFileURL } from "node:url";
import type { ClickstreamConfig } from "../config/config-schema.js";
import { ClickstreamError } from "../errors/clickstream-error.js";
import { isHiddenKey } from "../storage/object-key.js";
import type { ObjectInfo, Storage } from "../storage/storage.js";
import { readTableView } from "../table/table-view.js";
import {
  parquetFormat,
  partitionName,
  type GlueColumn,
  type GlueDatabase,
  type GluePartition,
  type GlueTable,
} from "./catalog-model.js";
import { CatalogStore } from "./catalog-store.js";
import { widenedType } from "./hive-types.js";
import { cacheDirFor, LocalFileCache } from "../storage/local-file-cache.js";
import { ParquetFooterReader, type ParquetFooter } from "./parquet-footer.js";

const crawlerName = "clickstream-crawler";

/** What one crawl changed, per table; `--json` prints it. Nothing is dropped: vanished things are logged here. */
export interface CrawlReport {
  database: string;
  databaseCreated: boolean;
  tables: TableCrawlReport[];
  /** Objects under transformed/ that are not part of any table (not Parquet, hidden, odd folder layout). */
  skippedObjects: { key: string; reason: string }[];
  durationMs: number;
}

interface TableCrawlReport {
  name: string;
  action: "created" | "updated" | "unchanged";
  columnsAdded: GlueColumn[];
  columnsWidened: { name: string; from: string; to: string }[];
  /** Incompatible type changes: the table keeps `tableType`; queries reading those files may fail. */
  typeConflicts: { name: string; tableType: string; fileType: string; files: string[] }[];
  /** Catalog columns no file has any more (DeleteBehavior LOG: kept in the table). */
  columnsMissing: string[];
  partitionsAdded: string[];
  partitionsUpdated: string[];
  /** Catalog partitions with no files left (DeleteBehavior LOG: kept in the catalog). */
  partitionsMissing: string[];
  files: number;
  rows: number;
  bytes: number;
}

interface ScannedFile {
  object: ObjectInfo;
  values: string[];
  footer: ParquetFooter;
}

interface ScannedTable {
  name: string;
  folder: string;
  partitionKeys: string[];
  files: ScannedFile[];
}

export interface CrawlerOptions {
  storage: Storage;
  config: Pick<ClickstreamConfig, "catalog" | "warehouse">;
  /** Only register partitions found on disk, change no schema (what `MSCK REPAIR TABLE` does). */
  partitionsOnly?: boolean;
  /** Clock, for tests. */
  now?: () => Date;
  /** Aborting before the catalog writes begin cancels the crawl with nothing written (Glue's StopCrawler). */
  signal?: AbortSignal;
}

/**
 * The local twin of a Glue crawler over transformed/: reads Parquet footers, merges the schema by column
 * name (int → bigint → double widen; other changes are reported and the table keeps its type), detects
 * Hive-style partitions (string keys), then writes the database, table and partitions to the catalog.
 * SchemaChangePolicy UpdateBehavior UPDATE_IN_DATABASE, DeleteBehavior LOG.
 */
export async function runCrawler(options: CrawlerOptions): Promise<CrawlReport> {
  const started = Date.now();
  const now = (options.now ?? (() => new Date()))().toISOString();
  const { storage, config } = options;
  const db = config.catalog.databaseName;
  const store = new CatalogStore(storage);
  const skippedObjects: CrawlReport["skippedObjects"] = [];

  // 1. Read every footer before writing anything, so a bad file leaves the catalog untouched.
  const scanned = await scanTables(storage, config, skippedObjects);
  options.signal?.throwIfAborted();

  let database = await store.getDatabase(db);
  const databaseCreated = database === undefined && !options.partitionsOnly;
  if (!database && options.partitionsOnly) {
    throw new ClickstreamError("CS_ERR_CATALOG_NOT_FOUND", `database ${db}; run \`clickstream crawl\` first`);
  }
  if (!database) {
    database = {
      Name: db,
      Description: "Clickstream analytics (created by clickstream crawl)",
      LocationUri: locationUri(storage, ""),
      CreateTime: now,
    } satisfies GlueDatabase;
    await store.putDatabase(database);
  }

  const tables: TableCrawlReport[] = [];
  for (const scan of scanned) {
    const name = `${config.catalog.tablePrefix}${scan.name}`;
    const existing = await store.getTable(db, name);
    if (!existing && options.partitionsOnly) continue;
    const report = emptyTableReport(name);
    report.files = scan.files.length;
    report.rows = scan.files.reduce((sum, f) => sum + f.footer.rowCount, 0);
    report.bytes = scan.files.reduce((sum, f) => sum + f.object.size, 0);

    const table = options.partitionsOnly
      ? existing!
      : mergeTable(existing, scan, report, db, name, now, storage);
    const partitions = await store.getPartitions(db, name);
    const merged = mergePartitions(partitions.Partitions, scan, table, report, now, storage, {
      addOnly: options.partitionsOnly === true,
    });

    const schemaChanged = !existing || report.columnsAdded.length > 0 || report.columnsWidened.length > 0;
    const partitionsChanged = report.partitionsAdded.length > 0 || report.partitionsUpdated.length > 0;
    report.action = !existing ? "created" : schemaChanged || partitionsChanged ? "updated" : "unchanged";
    if (!options.partitionsOnly && (schemaChanged || partitionsChanged)) {
      table.Parameters = { ...table.Parameters, ...tableStats(scan), UPDATED_BY_CRAWLER: crawlerName };
      table.UpdateTime = now;
      await store.putTable(table);
    }
    if (partitionsChanged || !existing) {
      await store.putPartitions({ DatabaseName: db, TableName: name, Partitions: merged });
    }
    tables.push(report);
  }
  return { database: db, databaseCreated, tables, skippedObjects, durationMs: Date.now() - started };
}

async function scanTables(
  storage: Storage,
  config: CrawlerOptions["config"],
  skipped: CrawlReport["skippedObjects"],
): Promise<ScannedTable[]> {
  const cache = new LocalFileCache(storage, cacheDirFor(config));
  // First the listing: the table's partition layout is the one most of its files follow (as Glue
  // groups by the most common schema/layout); files in other layouts are reported, not guessed at.
  const candidates: { object: ObjectInfo; folder: string; keys: string[]; values: string[] }[] = [];
  // Data files outside the table's snapshot (replaced ones in the trash, a killed run's leftovers) are
  // not the table's: counting them would double rows (table-view.ts).
  const view = await readTableView(storage, config.warehouse.dir);
  // Every folder of the bucket is a table: transformed/ (events) and sessions/.
  for await (const object of storage.list("transformed")) {
    const segments = object.key.split("/");
    // <folder>/<partition folders…>/<file>: the table is the crawled folder itself, as a Glue crawler
    // target s3://bucket/transformed/ makes table "transformed" (and …/sessions/ table "sessions").
    const folder = segments[0]!;
    if (isHiddenKey(object.key)) {
      skipped.push({ key: object.key, reason: "hidden (a path segment starts with _ or .)" });
      continue;
    }
    if (!object.key.endsWith(".parquet")) {
      skipped.push({ key: object.key, reason: "not a .parquet file" });
      continue;
    }
    if (!view.includes(object.key)) {
      skipped.push({
        key: object.key,
        reason:
          "not in the table snapshot (replaced by a later run and awaiting deletion, or never committed)",
      });
      continue;
    }
    const dirs = segments.slice(1, -1);
    const keys = dirs.map((dir, i) =>
      dir.includes("=") ? dir.slice(0, dir.indexOf("=")).toLowerCase() : `partition_${i}`,
    );
    const values = dirs.map((dir) => (dir.includes("=") ? dir.slice(dir.indexOf("=") + 1) : dir));
    candidates.push({ object, folder, keys, values });
  }
  const layouts = new Map<string, Map<string, number>>();
  for (const c of candidates) {
    const counts = layouts.get(c.folder) ?? new Map<string, number>();
    counts.set(c.keys.join("/"), (counts.get(c.keys.join("/")) ?? 0) + 1);
    layouts.set(c.folder, counts);
  }
  const layoutOf = (folder: string): string =>
    [...layouts.get(folder)!].sort((a, b) => b[1] - a[1] || b[0].length - a[0].length)[0]![0];

  const byFolder = new Map<string, ScannedTable>();
  const reader = await ParquetFooterReader.open();
  try {
    for (const { object, folder, keys, values } of candidates) {
      const layout = layoutOf(folder);
      if (keys.join("/") !== layout) {
        skipped.push({
          key: object.key,
          reason: `partition folders ${keys.join("/") || "(none)"} differ from the table's ${layout || "(none)"}`,
        });
        continue;
      }
      let table = byFolder.get(folder);
      if (!table) {
        table = { name: tableNameOf(folder), folder, partitionKeys: keys, files: [] };
        byFolder.set(folder, table);
      }
      const footer = await reader.read(await cache.path("transformed", object), object.key);
      table.files.push({ object, values, footer });
    }
  } finally {
    reader.close();
  }
  skipped.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return [...byFolder.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** Glue's table naming: lowercase, anything but letters, digits and _ becomes _. */
function tableNameOf(folder: string): string {
  return folder.toLowerCase().replace(/[^a-z0-9_]/g, "_");
}

function emptyTableReport(name: string): TableCrawlReport {
  return {
    name,
    action: "unchanged",
    columnsAdded: [],
    columnsWidened: [],
    typeConflicts: [],
    columnsMissing: [],
    partitionsAdded: [],
    partitionsUpdated: [],
    partitionsMissing: [],
    files: 0,
    rows: 0,
    bytes: 0,
  };
}

/** Unions the files' columns by name onto the existing table (or a new one), recording every change. */
function mergeTable(
  existing: GlueTable | undefined,
  scan: ScannedTable,
  report: TableCrawlReport,
  db: string,
  name: string,
  now: string,
  storage: Storage,
): GlueTable {
  const columns: GlueColumn[] = existing ? existing.StorageDescriptor.Columns.map((c) => ({ ...c })) : [];
  const byName = new Map(columns.map((c) => [c.Name, c]));
  const conflicts = new Map<string, TableCrawlReport["typeConflicts"][number]>();
  const seen = new Set<string>();
  const partitionKeySet = new Set(scan.partitionKeys);
  for (const file of scan.files) {
    for (const col of file.footer.columns) {
      if (partitionKeySet.has(col.name)) continue; // the folder value wins, as in Glue
      seen.add(col.name);
      const current = byName.get(col.name);
      if (!current) {
        const added = { Name: col.name, Type: col.type };
        columns.push(added);
        byName.set(col.name, added);
        report.columnsAdded.push({ ...added });
        continue;
      }
      const widened = widenedType(current.Type, col.type);
      if (widened === undefined) {
        const key = `${col.name}\u0000${col.type}`;
        const conflict = conflicts.get(key) ?? {
          name: col.name,
          tableType: current.Type,
          fileType: col.type,
          files: [],
        };
        conflict.files.push(file.object.key);
        conflicts.set(key, conflict);
      } else if (widened !== current.Type) {
        const previous = report.columnsWidened.find((w) => w.name === col.name);
        if (previous) previous.to = widened;
        else if (existing?.StorageDescriptor.Columns.some((c) => c.Name === col.name)) {
          report.columnsWidened.push({ name: col.name, from: current.Type, to: widened });
        }
        current.Type = widened;
      }
    }
  }
  report.typeConflicts.push(...conflicts.values());
  report.columnsMissing = columns.filter((c) => !seen.has(c.Name)).map((c) => c.Name);
  const version = existing
    ? Number(existing.VersionId) + (report.columnsAdded.length || report.columnsWidened.length ? 1 : 0)
    : 0;
  return {
    Name: name,
    DatabaseName: db,
    TableType: "EXTERNAL_TABLE",
    CreateTime: existing?.CreateTime ?? now,
    UpdateTime: existing?.UpdateTime ?? now,
    Parameters: { ...(existing?.Parameters ?? {}) },
    StorageDescriptor: {
      Columns: columns,
      Location: locationUri(storage, `${scan.folder}/`),
      ...parquetFormat,
      SerdeInfo: { ...parquetFormat.SerdeInfo, Parameters: { ...parquetFormat.SerdeInfo.Parameters } },
      Compressed: false,
      NumberOfBuckets: -1,
      StoredAsSubDirectories: false,
    },
    PartitionKeys:
      existing?.PartitionKeys ?? scan.partitionKeys.map((key) => ({ Name: key, Type: "string" })),
    VersionId: String(version),
  };
}

function mergePartitions(
  current: GluePartition[],
  scan: ScannedTable,
  table: GlueTable,
  report: TableCrawlReport,
  now: string,
  storage: Storage,
  mode: { addOnly: boolean },
): GluePartition[] {
  const groups = new Map<string, ScannedFile[]>();
  for (const file of scan.files) {
    const key = JSON.stringify(file.values);
    groups.set(key, [...(groups.get(key) ?? []), file]);
  }
  const out = new Map(current.map((p) => [JSON.stringify(p.Values), p]));
  for (const [key, files] of groups) {
    const values = files[0]!.values;
    const stats = {
      fileCount: String(files.length),
      rowCount: String(files.reduce((s, f) => s + f.footer.rowCount, 0)),
      sizeBytes: String(files.reduce((s, f) => s + f.object.size, 0)),
    };
    const name = partitionName(table.PartitionKeys, values);
    const previous = out.get(key);
    if (previous && mode.addOnly) continue; // MSCK REPAIR TABLE only adds partitions
    if (previous) {
      const same = (["fileCount", "rowCount", "sizeBytes"] as const).every(
        (k) => previous.Parameters[k] === stats[k],
      );
      if (same) continue;
      report.partitionsUpdated.push(name);
    } else report.partitionsAdded.push(name);
    out.set(key, {
      Values: values,
      DatabaseName: table.DatabaseName,
      TableName: table.Name,
      CreationTime: previous?.CreationTime ?? now,
      LastAnalyzedTime: now,
      StorageDescriptor: {
        Location: locationUri(storage, `${scan.folder}/${name}/`),
        InputFormat: parquetFormat.InputFormat,
        OutputFormat: parquetFormat.OutputFormat,
        SerdeInfo: { ...parquetFormat.SerdeInfo, Parameters: { ...parquetFormat.SerdeInfo.Parameters } },
      },
      Parameters: { ...stats },
    });
  }
  for (const [key, partition] of out) {
    if (!groups.has(key)) report.partitionsMissing.push(partitionName(table.PartitionKeys, partition.Values));
  }
  return [...out.values()].sort((a, b) => compareValues(a.Values, b.Values));
}

function compareValues(a: string[], b: string[]): number {
  const x = a.join("/");
  const y = b.join("/");
  return x < y ? -1 : x > y ? 1 : 0;
}

function tableStats(scan: ScannedTable): Record<string, string> {
  const rows = scan.files.reduce((s, f) => s + f.footer.rowCount, 0);
  const bytes = scan.files.reduce((s, f) => s + f.object.size, 0);
  const codecs = [...new Set(scan.files.flatMap((f) => f.footer.codecs))].sort();
  return {
    classification: "parquet",
    compressionType: codecs.map((c) => c.toLowerCase()).join(",") || "none",
    typeOfData: "file",
    objectCount: String(scan.files.length),
    recordCount: String(rows),
    sizeKey: String(bytes),
    averageRecordSize: String(rows > 0 ? Math.round(bytes / rows) : 0),
    CrawlerSchemaSerializerVersion: "1.0",
    CrawlerSchemaDeserializerVersion: "1.0",
  };
}

/**
 * A Location URI: `file:///…/transformed/` on local storage, `s3://<transformed bucket>/transformed/` on
 * S3 storage (what the Glue crawler records), `<kind>://<key prefix>` for any other storage.
 */
export function locationUri(storage: Storage, keyPrefix: string): string {
  const local = storage.localPath("transformed", "transformed/x");
  if (local !== undefined) {
    const root = local.slice(0, -"transformed/x".length);
    return pathToFileURL(root).href.replace(/\/?$/, "/") + keyPrefix;
  }
  const buckets = (storage as { buckets?: Partial<Record<string, string>> }).buckets;
  if (storage.kind === "s3" && buckets?.transformed) return `s3://${buckets.transformed}/${keyPrefix}`;
  return `${storage.kind}://${keyPrefix}`;
}
