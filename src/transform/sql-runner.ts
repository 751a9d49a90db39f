import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from "@duckdb/node-api";
import { terminalValue, writeTerminal } from "../terminal/terminal-text.js";

/** Values bound to a statement's `$name` parameters (never pasted into the SQL text). */
export type SqlValues = Record<string, DuckDBValue>;

/** One in-memory DuckDB database for a run, with the few calls the transform needs. */
export class SqlRunner {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  static async open(options: {
    memoryLimitBytes: number;
    threads: number;
    tempDir: string;
  }): Promise<SqlRunner> {
    const instance = await DuckDBInstance.create(":memory:", {
      memory_limit: `${Math.floor(options.memoryLimitBytes / (1024 * 1024))}MB`,
      ...(options.threads > 0 ? { threads: String(options.threads) } : {}),
      temp_directory: options.tempDir,
      // Output order inside a partition carries no meaning; not preserving it lets DuckDB stream.
      preserve_insertion_order: "false",
    });
    return new SqlRunner(instance, await instance.connect());
  }

  async run(sql: string, values?: SqlValues): Promise<void> {
    const started = performance.now();
    try {
      await this.connection.run(sql, values);
    } catch (error) {
      // Name the statement that failed: DuckDB's message alone does not say which step it was.
      const statement = sql.replace(/\s+/g, " ").trim().slice(0, 80);
      throw new Error(`${error instanceof Error ? error.message : String(error)} (in: ${statement}…)`, {
        cause: error,
      });
    }
    if (process.env.CLICKSTREAM_DEBUG_SQL) {
      const ms = (performance.now() - started).toFixed(0);
      writeTerminal(
        process.stderr,
        `[sql ${ms} ms] ${terminalValue(sql.replace(/\s+/g, " ").slice(0, 100))}\n`,
      );
    }
  }

  async rows(sql: string, values?: SqlValues): Promise<Record<string, unknown>[]> {
    return (await this.connection.runAndReadAll(sql, values)).getRowObjectsJS() as Record<string, unknown>[];
  }

  async count(table: string): Promise<number> {
    const [row] = await this.rows(`SELECT count(*)::BIGINT AS n FROM ${table}`);
    return Number(row!.n);
  }

  /** Appends rows of numbers and strings to a table with the DuckDB appender. */
  async append(table: string, rows: readonly (readonly (number | string)[])[]): Promise<void> {
    const appender = await this.connection.createAppender(table);
    try {
      for (const row of rows) {
        for (const value of row) {
          if (typeof value === "number") appender.appendInteger(value);
          else appender.appendVarchar(value);
        }
        appender.endRow();
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
  }

  /** Appends rows with the DuckDB appender, each column as the given type. */
  async appendRows(
    table: string,
    rows: readonly (readonly (number | string | null)[])[],
    types: readonly ("INTEGER" | "BIGINT" | "DOUBLE" | "VARCHAR")[],
  ): Promise<void> {
    const appender = await this.connection.createAppender(table);
    try {
      for (const row of rows) {
        row.forEach((value, i) => {
          if (value === null) appender.appendNull();
          else if (types[i] === "VARCHAR") appender.appendVarchar(String(value));
          else if (types[i] === "DOUBLE") appender.appendDouble(Number(value));
          else if (types[i] === "BIGINT") appender.appendBigInt(BigInt(value));
          else appender.appendInteger(Number(value));
        });
        appender.endRow();
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
