import type { GlueTable } from "../catalog/catalog-model.js";
import { CatalogStore, type CatalogTable } from "../catalog/catalog-store.js";
import { runCrawler } from "../catalog/crawler.js";
import { cacheDirFor, LocalFileCache } from "../storage/local-file-cache.js";
import type { ClickstreamConfig } from "../config/config-schema.js";
import { vanishedFile } from "./vanished-file.js";
import { ClickstreamError } from "../errors/clickstream-error.js";
import type { Storage } from "../storage/storage.js";
import { readTableView, snapshotVersion } from "../table/table-view.js";
import { rewriteAthena } from "./athena-dialect.js";
import { runCatalogStatement } from "./catalog-statements.js";
import { servedResultsTable, servedTable, type ServedTable } from "./catalog-views.js";
import { scanProfileOf, type ScanProfile } from "./explain-plan.js";
import type { QueryResult } from "./query-result.js";
import { QueryWorker } from "./query-worker-client.js";
import { classifyStatement, explainedQuery } from "./sql-guard.js";
import { splitStatements, type Token } from "./sql-tokenizer.js";
import type { QueryParam } from "./worker-protocol.js";

export type { QueryParam } from "./worker-protocol.js";
export type { ScanProfile } from "./explain-plan.js";

/**
 * A view's Athena SQL from its catalog entry: Athena keeps it as `/* Presto View: <base64 JSON> *\/` in
 * ViewOriginalText, with the SQL in `originalSql`; plain SQL there is taken as it is.
 */
function viewSql(table: GlueTable): string | undefined {
  const text = table.ViewOriginalText;
  if (typeof text !== "string") return undefined;
  const presto = /^\/\*\s*Presto View:\s*([A-Za-z0-9+/=]+)\s*\*\/$/.exec(text.trim());
  if (!presto) return text;
  try {
    const parsed = JSON.parse(Buffer.from(presto[1]!, "base64").toString("utf8")) as {
      originalSql?: unknown;
    };
    return typeof parsed.originalSql === "string" ? parsed.originalSql : undefined;
  } catch {
    return undefined;
  }
}

export interface QueryEngineOptions {
  storage: Storage;
  config: Pick<ClickstreamConfig, "catalog" | "query" | "warehouse">;
  /** Pins current_date / now() (overrides `query.now`); otherwise each query sees the wall clock. */
  now?: Date | string;
  /** Every query's result says what it read (`scanProfile`), from DuckDB's profile of that run. */
  profileScans?: boolean;
}

export interface RunOptions {
  /** Values of the statement's `?` placeholders, in order: bound, never pasted into the SQL. */
  params?: readonly QueryParam[];
  /** Aborting interrupts the query (or drops it from the queue): CS_ERR_QUERY_CANCELLED. */
  signal?: AbortSignal;
}

export interface QueryEngine {
  /** Runs one Athena statement. */
  run(sql: string, options?: RunOptions): Promise<QueryResult>;
  /** Runs one query under EXPLAIN ANALYZE and reports which files it read. */
  profile(sql: string, options?: RunOptions): Promise<ScanProfile>;
  /** Re-reads the catalog (after a crawl) and rebuilds the views. */
  refresh(): Promise<void>;
  /**
   * Rebuilds the views if the transform committed a new snapshot since they were built (done before
   * every statement; a pool calls it to learn of a commit between statements).
   */
  follow(): Promise<void>;
  /** Counts the rebuilds of the views: answers computed under an older count may be stale. */
  readonly viewsVersion: number;
  close(): void;
}

/**
 * Opens the local Athena. Here: the catalog, its tables' files (cached locally when the storage is S3),
 * the token guard (sql-guard.ts), the catalog statements and the Athena rewrite (athena-dialect.ts). In a
 * child process with capped memory (query-worker.ts): an in-memory DuckDB with one view per table over
 * exactly the files of its catalogued partitions, locked down, which checks every statement on DuckDB's
 * own parse against an allow-list (parsed-query-guard.ts) and streams results under row, byte and time
 * caps; a query that overstays its deadline takes its worker down with it, not the caller.
 */
export async function openQueryEngine(options: QueryEngineOptions): Promise<QueryEngine> {
  const { storage, config } = options;
  const db = config.catalog.databaseName;
  const store = new CatalogStore(storage);
  const cache = new LocalFileCache(storage, cacheDirFor(config));
  const pinned = options.now ?? (config.query.now || undefined);
  const clock = (): Date => (pinned === undefined ? new Date() : new Date(pinned));

  const settings = {
    database: db,
    threads: config.query.duckdbThreads,
    memoryLimitBytes: config.query.duckdbMemoryLimitBytes,
    profile: options.profileScans ?? false,
  };
  const limits = {
    maxRows: config.query.maxResultRows,
    maxBytes: config.query.maxResultBytes,
    timeoutMs: config.query.timeoutMs,
  };
  // The catalog's tables and their files as DuckDB will read them (local paths; S3 objects cached).
  // The table's files come from its snapshot (table-view.ts), so a query sees one committed run or the
  // one before, never a half-applied one; `version` says which snapshot the views were built on.
  const servedTables = async (): Promise<{ served: ServedTable[]; version: string | undefined }> => {
    const entries: CatalogTable[] = (await store.getDatabase(db)) ? await store.loadTables(db) : [];
    const view = await readTableView(storage, config.warehouse.dir);
    const served: ServedTable[] = [];
    const objects = [...view.files, ...view.sessionFiles];
    for (const entry of entries) served.push(await servedTable(entry, objects, cache));
    // Other databases' tables (CTAS of the local Athena endpoint), each in a schema of its own name.
    const views: CatalogTable[] = [];
    for (const other of await store.listDatabases()) {
      if (other.Name === db) continue;
      for (const entry of await store.loadTables(other.Name)) {
        if (entry.table.TableType === "VIRTUAL_VIEW") views.push(entry);
        else served.push(await servedResultsTable(entry, storage, cache));
      }
    }
    // Views (Athena CREATE VIEW): their SQL rewritten as a query's is; the worker checks both texts with
    // the guard before it creates one. A view that is no single query is left out.
    const partitionKeys = stringPartitionKeys(served);
    for (const entry of views) {
      const sql = viewSql(entry.table);
      const statements = sql === undefined ? [] : splitStatements(sql);
      if (statements.length !== 1 || classifyStatement(sql!, statements[0]!.tokens, new Set()) !== "query")
        continue;
      const tokens = statements[0]!.tokens;
      served.push({
        name: entry.table.Name,
        schema: entry.table.DatabaseName,
        entry,
        files: new Map(),
        view: { athena: sql!, duckdb: rewriteAthena(sql!, tokens, { now: clock(), partitionKeys }) },
      });
    }
    return { served, version: view.version };
  };

  let { served: tables, version } = await servedTables();
  const worker = new QueryWorker(tables, settings, config.query.workerMemoryLimitBytes);
  try {
    await worker.open();
  } catch (error) {
    worker.close();
    throw error;
  }
  const loadViews = async (): Promise<void> => {
    const next = await servedTables();
    await worker.open(next.served);
    // Only once the views are open: a failed rebuild is tried again before the next statement.
    tables = next.served;
    version = next.version;
    viewsVersion++;
  };
  let viewsVersion = 0;

  // One statement at a time (the worker runs one, and a deadline kill must hit only that one).
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const result = queue.then(fn, fn);
    queue = result.catch(() => undefined);
    return result;
  };

  const single = (sql: string): Token[] => {
    const statements = splitStatements(sql);
    if (statements.length !== 1) {
      throw new ClickstreamError(
        "CS_ERR_QUERY_SYNTAX",
        `expected one statement, got ${statements.length} (run files with --file)`,
      );
    }
    return statements[0]!.tokens;
  };

  /** Runs a query (or EXPLAIN) in the worker once it and its DuckDB rewrite pass the parse checks there. */
  const execute = async (
    sql: string,
    tokens: Token[],
    options: RunOptions,
    prefix = "",
  ): Promise<QueryResult> => {
    const partitionKeys = stringPartitionKeys(tables);
    const rewritten = rewriteAthena(sql, tokens, { now: clock(), partitionKeys });
    const checks = [
      { sql: tokens.map((t) => t.text).join(""), dialect: "athena" as const },
      { sql: rewritten, dialect: "duckdb" as const },
    ];
    const { signal } = options;
    if (signal?.aborted) throw cancelled();
    const onAbort = (): void => worker.interrupt();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const { plan, ...result } = await worker.run(checks, prefix + rewritten, limits, options.params ?? []);
      return plan === undefined ? result : { ...result, scanProfile: scanProfileOf(plan, tables) };
    } catch (error) {
      if (signal?.aborted) throw cancelled(error);
      throw error;
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  };

  const access = {
    database: db,
    databases: async () => (await store.listDatabases()).map((d) => d.Name).sort(),
    tables: () => tables.map((t) => t.entry),
    repair: async (table: string) => {
      const report = await runCrawler({ storage, config, partitionsOnly: true });
      await loadViews();
      return report.tables.find((t) => t.name === table)?.partitionsAdded ?? [];
    },
  };

  /**
   * A long-lived engine (the console, the pipeline) follows the transform: when a commit has written a
   * new snapshot since the views were built, they are rebuilt before the next statement, so no query
   * opens files older than the transform's delete grace time.
   */
  const followSnapshot = async (): Promise<void> => {
    const current = await snapshotVersion(storage);
    if (current !== undefined && current !== version) await loadViews();
  };

  return {
    run: (sql, options = {}) =>
      serial(async () => {
        if (options.signal?.aborted) throw cancelled();
        await followSnapshot();
        const tokens = single(sql);
        const kind = classifyStatement(sql, tokens, worker.refused);
        if (kind === "show" || kind === "describe" || kind === "msck")
          return runCatalogStatement(tokens, access);
        const { prefix, query } = kind === "explain" ? explainedQuery(tokens) : { prefix: "", query: tokens };
        try {
          return await execute(sql, query, options, prefix);
        } catch (error) {
          // A commit moved a file this snapshot named (a late event, a compaction): once more, on the new
          // one. A table without a snapshot (written by Spark) is listed, so any vanished file means a stale list.
          if (!vanishedFile(error)) throw error;
          const current = await snapshotVersion(storage);
          if (current !== undefined && current === version) throw error;
          await loadViews();
          return execute(sql, query, options, prefix);
        }
      }),
    profile: (sql, options = {}) =>
      serial(async () => {
        await followSnapshot();
        const tokens = single(sql);
        if (classifyStatement(sql, tokens, worker.refused) !== "query") {
          throw new ClickstreamError("CS_ERR_INVALID_ARGUMENT", "profile() takes a query");
        }
        const result = await execute(sql, tokens, options, "EXPLAIN (ANALYZE, FORMAT JSON) ");
        return scanProfileOf(String(result.rows[0]?.[1] ?? "{}"), tables);
      }),
    refresh: () => serial(loadViews),
    // The look is outside the queue, so a pool asking an engine busy with a long query is not held up.
    follow: async () => {
      const current = await snapshotVersion(storage);
      if (current !== undefined && current !== version) await serial(followSnapshot);
    },
    get viewsVersion() {
      return viewsVersion;
    },
    close: () => worker.close(),
  };
}

function cancelled(cause?: unknown): ClickstreamError {
  return new ClickstreamError("CS_ERR_QUERY_CANCELLED", "the query was cancelled", { cause });
}

/** String partition keys, which Athena refuses to compare with numbers (a CTAS's typed keys compare as their type). */
function stringPartitionKeys(tables: readonly ServedTable[]): Set<string> {
  return new Set(
    tables.flatMap((t) => t.entry.table.PartitionKeys.filter((k) => k.Type === "string").map((k) => k.Name)),
  );
}
