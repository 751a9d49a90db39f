import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance, StatementType, type DuckDBConnection } from "@duckdb/node-api";
import { CatalogStore, type CatalogTable } from "../catalog/catalog-store.js";
import { runCrawler } from "../catalog/crawler.js";
import { cacheDirFor, LocalFileCache } from "../catalog/local-file-cache.js";
import type { ClickstreamConfig } from "../config/config-schema.js";
import { ClickstreamError, isClickstreamError, wrapError } from "../errors/clickstream-error.js";
import type { ObjectInfo, Storage } from "../storage/storage.js";
import { athenaMacros } from "./athena-macros.js";
import { rewriteAthena } from "./athena-dialect.js";
import { runCatalogStatement } from "./catalog-statements.js";
import { createTableView, servedTable, type ServedTable } from "./catalog-views.js";
import { athenaTypeName, plainValue } from "./duckdb-values.js";
import type { QueryResult } from "./query-result.js";
import { athenaFunctionNames, engineFunctionNames, tableFunctions } from "./function-allow-list.js";
import { lockDown } from "./duckdb-lockdown.js";
import { checkParsedQuery, stateFunctionNames, type ParsedQueryPolicy } from "./parsed-query-guard.js";
import { classifyStatement, explainedQuery } from "./sql-guard.js";
import { splitStatements, type Token } from "./sql-tokenizer.js";

/** Athena's default catalog name, so `awsdatacatalog.clickstream_db.transformed` resolves too. */
export const catalogName = "awsdatacatalog";

export interface QueryEngineOptions {
  storage: Storage;
  config: Pick<ClickstreamConfig, "catalog" | "query" | "warehouse">;
  /** Pins current_date / now() (overrides `query.now`); otherwise each query sees the wall clock. */
  now?: Date | string;
}

/** What a query scanned, from DuckDB's profile (EXPLAIN ANALYZE): proves partition pruning. */
export interface ScanProfile {
  /** How many data files the scans opened ("Total Files Read"). */
  fileCount: number;
  /** Storage keys of those files (DuckDB names at most a few per scan; complete when its length is fileCount). */
  filesRead: string[];
  /** Total size of the files opened; NaN when DuckDB's list was cut short and it is not every file. */
  bytesOfFilesRead: number;
}

export interface QueryEngine {
  /** Runs one Athena statement. */
  run(sql: string): Promise<QueryResult>;
  /** Runs one query under EXPLAIN ANALYZE and reports which files it read. */
  profile(sql: string): Promise<ScanProfile>;
  /** Re-reads the catalog (after a crawl) and rebuilds the views. */
  refresh(): Promise<void>;
  close(): void;
}

/** One DuckDB instance serving one snapshot of the catalog (rebuilt by refresh(): its paths are locked in). */
interface Session {
  instance: DuckDBInstance;
  connection: DuckDBConnection;
  tables: ServedTable[];
  tempDir: string;
}

/**
 * Opens the local Athena: an in-memory DuckDB with one view per catalog table over exactly the files of
 * its catalogued partitions, Athena functions mapped (athena-dialect.ts), then locked down: DuckDB may
 * open those files and nothing else, configuration locked, read-only statements only, every statement
 * checked on tokens (sql-guard.ts) and on DuckDB's own parse against an allow-list (parsed-query-guard.ts).
 */
export async function openQueryEngine(options: QueryEngineOptions): Promise<QueryEngine> {
  const { storage, config } = options;
  const db = config.catalog.databaseName;
  const store = new CatalogStore(storage);
  const cache = new LocalFileCache(storage, cacheDirFor(config));
  const pinned = options.now ?? (config.query.now || undefined);
  const clock = (): Date => (pinned === undefined ? new Date() : new Date(pinned));

  const openSession = async (): Promise<Session> => {
    // DuckDB may spill to its temp directory (and only there may it write): a private one, not ./.tmp.
    const tempDir = mkdtempSync(join(tmpdir(), "clickstream-query-"));
    const instance = await DuckDBInstance.create(":memory:", {
      threads: String(config.query.duckdbThreads || availableParallelism()),
      memory_limit: `${Math.floor(config.query.duckdbMemoryLimitBytes / (1024 * 1024))}MiB`,
      temp_directory: tempDir,
      autoinstall_known_extensions: "false",
      autoload_known_extensions: "false",
    });
    const connection = await instance.connect();
    try {
      for (const setting of [
        "SET TimeZone = 'UTC'",
        // Athena: integer / integer is an integer; NULLs sort last in both directions.
        "SET integer_division = true",
        "SET default_null_order = 'NULLS_LAST'",
        "SET parquet_metadata_cache = true",
        `ATTACH ':memory:' AS ${catalogName}`,
        `USE ${catalogName}`,
        `CREATE SCHEMA ${db}`,
        `USE ${catalogName}.${db}`,
      ]) {
        await connection.run(setting);
      }
      for (const macro of athenaMacros) await connection.run(macro);
      const entries: CatalogTable[] = (await store.getDatabase(db)) ? await store.loadTables(db) : [];
      const objects: ObjectInfo[] = [];
      for await (const object of storage.list("transformed", "transformed/")) objects.push(object);
      const tables: ServedTable[] = [];
      for (const entry of entries) tables.push(await servedTable(entry, objects, cache));
      for (const table of tables) await createTableView(connection, db, table);
      await lockDown(
        connection,
        tables.flatMap((t) => [...t.files.keys()]),
      );
      return { instance, connection, tables, tempDir };
    } catch (error) {
      closeSession({ instance, connection, tables: [], tempDir });
      throw wrapError("CS_ERR_QUERY_FAILED", error, "opening the query engine");
    }
  };

  let session = await openSession();
  let refused: ReadonlySet<string>;
  try {
    refused = await stateFunctionNames(session.connection);
  } catch (error) {
    closeSession(session);
    throw wrapError("CS_ERR_QUERY_FAILED", error, "opening the query engine");
  }
  const policy = (functions: ReadonlySet<string>): ParsedQueryPolicy => ({
    functions,
    tableFunctions: new Set(tableFunctions),
    stateFunctions: refused,
    tables: new Set(session.tables.map((t) => t.name.toLowerCase())),
    database: db.toLowerCase(),
    catalog: catalogName,
  });
  const loadViews = async (): Promise<void> => {
    const next = await openSession();
    closeSession(session);
    session = next;
  };

  // One statement at a time on the connection (interrupt() targets whatever runs on it).
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

  /** The DuckDB SQL for a query, once both it and its rewrite passed DuckDB's parse checks. */
  const checkedSql = async (sql: string, tokens: Token[]): Promise<string> => {
    await checkParsedQuery(
      session.connection,
      tokens.map((t) => t.text).join(""),
      policy(athenaFunctionNames),
    );
    const tables = session.tables;
    const partitionKeys = new Set(tables.flatMap((t) => t.entry.table.PartitionKeys.map((k) => k.Name)));
    const rewritten = rewriteAthena(sql, tokens, { now: clock(), partitionKeys });
    await checkParsedQuery(session.connection, rewritten, policy(engineFunctionNames));
    return rewritten;
  };

  const withTimeout = async <T>(fn: () => Promise<T>): Promise<T> => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      session.connection.interrupt();
    }, config.query.timeoutMs);
    try {
      return await fn();
    } catch (error) {
      if (timedOut) {
        throw new ClickstreamError("CS_ERR_QUERY_TIMEOUT", `interrupted after ${config.query.timeoutMs} ms`, {
          cause: error,
        });
      }
      throw error;
    } finally {
      clearTimeout(timer);
    }
  };

  const execute = async (rewritten: string): Promise<QueryResult> => {
    const prepared = await session.connection.prepare(rewritten).catch((error: unknown) => {
      throw duckdbError(error);
    });
    try {
      if (
        prepared.statementType !== StatementType.SELECT &&
        prepared.statementType !== StatementType.EXPLAIN
      ) {
        throw new ClickstreamError("CS_ERR_QUERY_FORBIDDEN", "only queries are allowed");
      }
      const cap = config.query.maxResultRows;
      const reader = await prepared.streamAndReadUntil(cap + 1).catch((error: unknown) => {
        throw duckdbError(error);
      });
      if (reader.currentRowCount > cap) {
        throw new ClickstreamError("CS_ERR_QUERY_TOO_MANY_ROWS", `more than ${cap} rows`);
      }
      const types = reader.columnTypes();
      return {
        columns: reader.columnNames().map((name, i) => ({ name, type: athenaTypeName(types[i]!) })),
        rows: reader.getRows().map((row) => row.map(plainValue)),
      };
    } finally {
      prepared.destroySync();
    }
  };

  const access = {
    database: db,
    databases: async () => (await store.listDatabases()).map((d) => d.Name).sort(),
    tables: () => session.tables.map((t) => t.entry),
    repair: async (table: string) => {
      const report = await runCrawler({ storage, config, partitionsOnly: true });
      await loadViews();
      return report.tables.find((t) => t.name === table)?.partitionsAdded ?? [];
    },
  };

  return {
    run: (sql) =>
      serial(async () => {
        const tokens = single(sql);
        const kind = classifyStatement(sql, tokens, refused);
        if (kind === "show" || kind === "describe" || kind === "msck")
          return runCatalogStatement(tokens, access);
        const { prefix, query } = kind === "explain" ? explainedQuery(tokens) : { prefix: "", query: tokens };
        const rewritten = await checkedSql(sql, query);
        return withTimeout(() => execute(prefix + rewritten));
      }),
    profile: (sql) =>
      serial(async () => {
        const tokens = single(sql);
        if (classifyStatement(sql, tokens, refused) !== "query") {
          throw new ClickstreamError("CS_ERR_INVALID_ARGUMENT", "profile() takes a query");
        }
        const rewritten = await checkedSql(sql, tokens);
        const result = await withTimeout(() => execute(`EXPLAIN (ANALYZE, FORMAT JSON) ${rewritten}`));
        const plan = JSON.parse(String(result.rows[0]?.[1] ?? "{}")) as PlanNode;
        const byPath = new Map(session.tables.flatMap((t) => [...t.files]));
        const scans = scannedFiles(plan);
        const fileCount = scans.reduce((sum, s) => sum + s.count, 0);
        const filesRead = scans.flatMap((s) => s.names).map((path) => byPath.get(path)?.key ?? path);
        const all = [...byPath.values()];
        const bytesOfFilesRead =
          filesRead.length === fileCount
            ? filesRead.reduce((sum, key) => sum + (all.find((o) => o.key === key)?.size ?? 0), 0)
            : fileCount === all.length
              ? all.reduce((sum, o) => sum + o.size, 0)
              : Number.NaN;
        return { fileCount, filesRead, bytesOfFilesRead };
      }),
    refresh: () => serial(loadViews),
    close: () => closeSession(session),
  };
}

function closeSession(session: Session): void {
  session.connection.closeSync();
  session.instance.closeSync();
  rmSync(session.tempDir, { recursive: true, force: true });
}

interface PlanNode {
  operator_type?: string;
  extra_info?: Record<string, unknown>;
  children?: PlanNode[];
}

/** Per table scan: "Total Files Read" and the file names DuckDB lists (it cuts long lists with "..."). */
function scannedFiles(node: PlanNode): { count: number; names: string[] }[] {
  const here: { count: number; names: string[] }[] = [];
  if (node.operator_type === "TABLE_SCAN" && node.extra_info) {
    const raw = node.extra_info["Filename(s)"];
    const names = (
      typeof raw === "string" ? raw.split(", ") : Array.isArray(raw) ? raw.map(String) : []
    ).filter((n) => n !== "" && n !== "...");
    const count = Number(node.extra_info["Total Files Read"] ?? names.length);
    here.push({ count: Number.isFinite(count) ? count : names.length, names });
  }
  return [...here, ...(node.children ?? []).flatMap(scannedFiles)];
}

/** Turns a DuckDB error into a catalogued one, keeping DuckDB's explanation in the message. */
function duckdbError(error: unknown): ClickstreamError {
  if (isClickstreamError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  const firstLine = message.split("\n")[0] ?? message;
  const fn = /Function with name "?([\w$]+)"? does not exist/i.exec(message);
  if (fn)
    return new ClickstreamError("CS_ERR_QUERY_UNSUPPORTED", `function ${fn[1]}: ${firstLine}`, {
      cause: error,
    });
  const table = /Table with name "?([\w$./-]+)"? does not exist/i.exec(message);
  if (table) {
    return new ClickstreamError(
      "CS_ERR_CATALOG_NOT_FOUND",
      `table ${table[1]} (run \`clickstream crawl\`, or check the name with SHOW TABLES)`,
      { cause: error },
    );
  }
  if (/^Parser Error/i.test(message))
    return new ClickstreamError("CS_ERR_QUERY_SYNTAX", firstLine, { cause: error });
  if (/^Permission Error/i.test(message))
    return new ClickstreamError("CS_ERR_QUERY_FORBIDDEN", firstLine, { cause: error });
  if (/Cannot compare values of type|No function matches the given name and argument types/i.test(message)) {
    return new ClickstreamError("CS_ERR_QUERY_TYPE_MISMATCH", firstLine, { cause: error });
  }
  return new ClickstreamError("CS_ERR_QUERY_FAILED", message.trim(), { cause: error });
}
