import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import {
  DuckDBInstance,
  quotedIdentifier,
  quotedString,
  StatementType,
  type DuckDBConnection,
  type DuckDBDataChunk,
} from "@duckdb/node-api";
import { ClickstreamError, isClickstreamError, wrapError } from "../errors/clickstream-error.js";
import { athenaMacros } from "./athena-macros.js";
import { createTableView, type ServedTable } from "./catalog-views.js";
import { lockDown } from "./duckdb-lockdown.js";
import { athenaTypeName } from "../catalog/duckdb-type-names.js";
import { plainValue } from "./duckdb-values.js";
import { athenaFunctionNames, engineFunctionNames, tableFunctions } from "./function-allow-list.js";
import { checkParsedQueries, stateFunctionNames } from "./parsed-query-guard.js";
import type { QueryResult } from "./query-result.js";
import { serialisedRowBytes } from "./result-formatter.js";
import {
  catalogName,
  type ExecutionLimits,
  type QueryParam,
  type SessionSettings,
  type WorkerResult,
} from "./worker-protocol.js";

/**
 * One in-memory DuckDB serving one snapshot of the catalog: one view per table over exactly its files,
 * the Athena macros, then locked down (duckdb-lockdown.ts). It checks statements on DuckDB's parse
 * (parsed-query-guard.ts) and runs them with the result streamed in chunks, rows and bytes counted as
 * they arrive, under a deadline that interrupts DuckDB. The query worker hosts it in a child process.
 */
export class DuckDBSession {
  /** Statements (their check lists) that passed the parse checks. */
  private readonly passed = new Set<string>();

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private readonly tempDir: string,
    private readonly tables: readonly ServedTable[],
    private readonly database: string,
    /** Functions that reach files or state (for the token guard and the error codes). */
    readonly refused: ReadonlySet<string>,
    /** Where DuckDB writes each query's profile, when the session profiles. */
    private readonly profilePath: string | undefined,
  ) {}

  static async open(tables: readonly ServedTable[], settings: SessionSettings): Promise<DuckDBSession> {
    // DuckDB may spill to its temp directory (and only there may it write): a private one, not ./.tmp.
    const tempDir = mkdtempSync(join(settings.tempRoot, "duckdb-"));
    let instance: DuckDBInstance | undefined;
    let connection: DuckDBConnection | undefined;
    try {
      instance = await DuckDBInstance.create(":memory:", {
        threads: String(settings.threads || availableParallelism()),
        memory_limit: `${Math.floor(settings.memoryLimitBytes / (1024 * 1024))}MiB`,
        temp_directory: tempDir,
        autoinstall_known_extensions: "false",
        autoload_known_extensions: "false",
      });
      connection = await instance.connect();
      const db = settings.database;
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
      for (const schema of new Set(
        tables.flatMap((t) => (t.schema === undefined || t.schema === db ? [] : [t.schema])),
      ))
        await connection.run(`CREATE SCHEMA ${quotedIdentifier(schema)}`);
      for (const table of tables)
        if (!table.view) await createTableView(connection, table.schema ?? db, table);
      const refused = await stateFunctionNames(connection);
      // Views last, each only once its SQL passes the same parse checks as a query over what exists so far
      // (a view whose check fails, say one recorded through Glue with a forbidden call, is left out).
      const served = tables.filter((t) => !t.view);
      for (const table of tables) {
        if (!table.view) continue;
        try {
          await checkParsedQueries(connection, [
            {
              sql: table.view.athena,
              policy: { ...parsePolicy(served, db, refused), functions: athenaFunctionNames },
            },
            {
              sql: table.view.duckdb,
              policy: { ...parsePolicy(served, db, refused), functions: engineFunctionNames },
            },
          ]);
          await connection.run(
            `CREATE VIEW ${quotedIdentifier(table.schema ?? db)}.${quotedIdentifier(table.name)} AS ${table.view.duckdb}`,
          );
          served.push(table);
        } catch {
          continue;
        }
      }
      // Before the lockdown, which freezes every setting: DuckDB writes each query's profile into the
      // session's own temp folder, the one place it may write.
      const profilePath = settings.profile ? join(tempDir, "profile.json") : undefined;
      if (profilePath !== undefined) {
        await connection.run("SET enable_profiling = 'json'");
        await connection.run(`SET profiling_output = ${quotedString(profilePath)}`);
      }
      await lockDown(
        connection,
        tables.flatMap((t) => [...t.files.keys()]),
      );
      return new DuckDBSession(instance, connection, tempDir, served, db, refused, profilePath);
    } catch (error) {
      connection?.closeSync();
      instance?.closeSync();
      rmSync(tempDir, { recursive: true, force: true });
      throw wrapError("CS_ERR_QUERY_FAILED", error, "opening the query engine");
    }
  }

  /** Checks statements on DuckDB's parse, in one round trip: the user's Athena SQL and its DuckDB rewrite. */
  async check(checks: readonly { sql: string; dialect: "athena" | "duckdb" }[]): Promise<void> {
    // The same text parses the same way under the same policy (a session's tables never change): a
    // statement run again (a dashboard's, with new parameters) is not parsed again.
    const key = JSON.stringify(checks);
    if (this.passed.has(key)) return;
    const common = parsePolicy(this.tables, this.database, this.refused);
    await checkParsedQueries(
      this.connection,
      checks.map((c) => ({
        sql: c.sql,
        policy: { ...common, functions: c.dialect === "athena" ? athenaFunctionNames : engineFunctionNames },
      })),
    );
    if (this.passed.size >= 512) this.passed.clear();
    this.passed.add(key);
  }

  /** Runs a query (or EXPLAIN): rows and bytes are counted chunk by chunk, and the deadline covers it all. */
  async execute(
    sql: string,
    limits: ExecutionLimits,
    params: readonly QueryParam[] = [],
  ): Promise<WorkerResult> {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      this.connection.interrupt();
    }, limits.timeoutMs);
    try {
      if (this.profilePath === undefined) return await this.stream(sql, limits, params);
      // The file is this query's profile only if the previous one's is gone first.
      rmSync(this.profilePath, { force: true });
      const result = await this.stream(sql, limits, params);
      return existsSync(this.profilePath)
        ? { ...result, plan: readFileSync(this.profilePath, "utf8") }
        : result;
    } catch (error) {
      if (timedOut) {
        throw new ClickstreamError("CS_ERR_QUERY_TIMEOUT", `interrupted after ${limits.timeoutMs} ms`, {
          cause: error,
        });
      }
      throw this.vanishedFile(error) ?? duckdbError(error);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * A served file deleted since the views were made (a compaction replaced it): DuckDB, refused its glob
   * of the missing path by the lockdown, reports a permission error; say what happened instead, in the
   * words a reader that retries after a refresh looks for.
   */
  private vanishedFile(error: unknown): ClickstreamError | undefined {
    const message = error instanceof Error ? error.message : String(error);
    const path = /^Permission Error: Cannot access (?:file|directory) "([^"]+)"/.exec(message)?.[1];
    if (path === undefined) return undefined;
    const served = this.tables
      .flatMap((t) => [...t.files.keys()])
      .find((f) => path === f || path.startsWith(`${f}/`));
    if (served === undefined || existsSync(served)) return undefined;
    return new ClickstreamError(
      "CS_ERR_QUERY_FAILED",
      `Cannot open file ${served}: it is no longer there (the table changed since the engine looked; refresh and run again)`,
      { cause: error },
    );
  }

  /** Stops the statement running now (it fails with DuckDB's interrupt error). */
  interrupt(): void {
    this.connection.interrupt();
  }

  private async stream(
    sql: string,
    limits: ExecutionLimits,
    params: readonly QueryParam[],
  ): Promise<QueryResult> {
    const prepared = await this.connection.prepare(sql);
    try {
      if (params.length !== prepared.parameterCount) {
        throw new ClickstreamError(
          "CS_ERR_INVALID_ARGUMENT",
          `the statement has ${prepared.parameterCount} ? placeholder(s), got ${params.length} value(s)`,
        );
      }
      if (params.length > 0) prepared.bind([...params]);
      if (
        prepared.statementType !== StatementType.SELECT &&
        prepared.statementType !== StatementType.EXPLAIN
      ) {
        throw new ClickstreamError("CS_ERR_QUERY_FORBIDDEN", "only queries are allowed");
      }
      const result = await prepared.stream();
      const types = result.columnTypes();
      const columns = result.columnNames().map((name, i) => ({ name, type: athenaTypeName(types[i]!) }));
      const rows: unknown[][] = [];
      // The header row is part of what is sent and written.
      let bytes = serialisedRowBytes(columns.map((c) => c.name));
      for (
        let chunk = await result.fetchChunk();
        chunk && chunk.rowCount > 0;
        chunk = await result.fetchChunk()
      ) {
        bytes = collectRows(chunk, rows, bytes, limits);
      }
      return { columns, rows };
    } finally {
      prepared.destroySync();
    }
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
    rmSync(this.tempDir, { recursive: true, force: true });
  }
}

/** Converts a chunk row by row, refusing the result as soon as it passes either cap; returns the bytes so far. */
function collectRows(
  chunk: DuckDBDataChunk,
  rows: unknown[][],
  bytes: number,
  limits: ExecutionLimits,
): number {
  let total = bytes;
  for (let i = 0; i < chunk.rowCount; i++) {
    if (rows.length >= limits.maxRows) {
      throw new ClickstreamError("CS_ERR_QUERY_TOO_MANY_ROWS", `more than ${limits.maxRows} rows`);
    }
    const row = chunk.getRowValues(i).map(plainValue);
    total += serialisedRowBytes(row);
    if (total > limits.maxBytes) {
      throw new ClickstreamError(
        "CS_ERR_QUERY_RESULT_TOO_LARGE",
        `more than ${limits.maxBytes} bytes as CSV or JSON after ${rows.length} rows (query.maxResultBytes)`,
      );
    }
    rows.push(row);
  }
  return total;
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
  if (/^Out of Memory Error/i.test(message))
    return new ClickstreamError("CS_ERR_QUERY_OUT_OF_MEMORY", firstLine, { cause: error });
  if (/Cannot compare values of type|No function matches the given name and argument types/i.test(message)) {
    return new ClickstreamError("CS_ERR_QUERY_TYPE_MISMATCH", firstLine, { cause: error });
  }
  return new ClickstreamError("CS_ERR_QUERY_FAILED", message.trim(), { cause: error });
}

/** The parse guard's policy over the tables a session serves (the pipeline's, and other databases' as `db.name`). */
function parsePolicy(tables: readonly ServedTable[], database: string, refused: ReadonlySet<string>) {
  return {
    tableFunctions: new Set(tableFunctions),
    stateFunctions: refused,
    tables: new Set(tables.filter((t) => t.schema === undefined).map((t) => t.name.toLowerCase())),
    otherTables: new Set(
      tables.filter((t) => t.schema !== undefined).map((t) => `${t.schema}.${t.name}`.toLowerCase()),
    ),
    database: database.toLowerCase(),
    catalog: catalogName,
  };
}
