import { quotedIdentifier } from "@duckdb/node-api";
import type { SqlRunner } from "./sql-runner.js";

/** Column types the appender writes (sql-runner.ts's appendRows). */
export type AppendType = "INTEGER" | "BIGINT" | "DOUBLE" | "VARCHAR";

/** DuckDB column types of the run's tables, spelled as DuckDB's `DESCRIBE` spells them. */
export type ColumnType =
  AppendType | "BOOLEAN" | "DATE" | "TIMESTAMP" | "MAP(VARCHAR, VARCHAR)" | "VARCHAR[]";

export type Columns = Readonly<Record<string, ColumnType>>;

/** A value the appender takes for a column: a number or a string (null for NULL). */
type Cell = number | string | null;

/** One table of a run's DuckDB session, created from its declaration (the DDL and appender types). */
export interface TableDefinition<C extends Columns = Columns> {
  readonly name: string;
  readonly columns: C;
  /** A TEMP table (dropped with the session; not in the catalogue's main schema). */
  readonly temp: boolean;
  /** `CREATE [TEMP] TABLE name (column type, …)` */
  readonly ddl: string;
  create(sql: SqlRunner): Promise<void>;
  /** Appends rows, one value per declared column in declaration order (appendable types only). */
  append(sql: SqlRunner, rows: readonly (readonly Cell[])[]): Promise<void>;
}

const appendTypes = new Set<ColumnType>(["INTEGER", "BIGINT", "DOUBLE", "VARCHAR"]);

/**
 * Declares a table of the run's DuckDB session: the one place its columns are written, from which its
 * `CREATE TABLE` and the appender's column types both come (a test compares `DESCRIBE` with it).
 */
export function defineTable<C extends Columns>(
  name: string,
  columns: C,
  options: { temp?: boolean } = {},
): TableDefinition<C> {
  const temp = options.temp === true;
  const list = Object.entries(columns)
    .map(([column, type]) => `${quotedIdentifier(column)} ${type}`)
    .join(", ");
  const ddl = `CREATE ${temp ? "TEMP " : ""}TABLE ${name} (${list})`;
  const types = Object.values(columns);
  return {
    name,
    columns,
    temp,
    ddl,
    create: (sql) => sql.run(ddl),
    append: (sql, rows) => {
      const bad = types.find((t) => !appendTypes.has(t));
      if (bad !== undefined) throw new Error(`table ${name}: the appender cannot write ${bad} columns`);
      return sql.appendRows(name, rows, types as AppendType[]);
    },
  };
}
