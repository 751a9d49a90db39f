import {
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  type AthenaClient,
  type ColumnInfo,
  type QueryExecution,
  type Row,
} from "@aws-sdk/client-athena";
import { ClickstreamError } from "../errors/clickstream-error.js";
import { awsRequestError } from "./aws-clients.js";
import { pollUntil, type PollOptions } from "./poll-until.js";
import { formatBytes } from "../format/human-format.js";
import { createProgressDisplay, type ProgressDisplay } from "../terminal/progress-display.js";

export interface AthenaQueryOptions extends PollOptions {
  readonly client: AthenaClient;
  readonly sql: string;
  /** The workgroup: it enforces the result location, encryption and the bytes-scanned cutoff. */
  readonly workgroup: string;
  /** Database of unqualified table names (clickstream_db). */
  readonly database?: string;
  /**
   * Values of the statement's `?` placeholders, as Athena's ExecutionParameters: each is SQL literal
   * text (`'2026-11-05'`, `42`, `NULL`), which Athena binds; the statement text is not changed.
   */
  readonly executionParameters?: readonly string[];
  /** Rows per GetQueryResults page (1-1000). */
  readonly pageSize?: number;
  /** Progress output; `null` for none. Default: a display on stderr. */
  readonly display?: ProgressDisplay | null;
}

interface QueryColumn {
  readonly name: string;
  /** Athena's type name: varchar, bigint, double, boolean, date, timestamp, … */
  readonly type: string;
}

export interface AthenaQueryResult {
  readonly columns: QueryColumn[];
  readonly rows: unknown[][];
  readonly queryExecutionId: string;
  readonly dataScannedBytes: number;
  readonly engineExecutionTimeMs?: number;
  /** The S3 URL of the result CSV Athena wrote. */
  readonly outputLocation?: string;
}

/**
 * `clickstream query --engine athena`: StartQueryExecution in the workgroup, GetQueryExecution until a
 * final state, then every page of GetQueryResults. Values are typed from the result set metadata:
 * integer types and double → numbers (bigints beyond 2^53 stay strings, exact), boolean → booleans,
 * NULL → null, everything else → strings as Athena prints them.
 * Throws CS_ERR_AWS_QUERY_FAILED with Athena's reason when the query fails or is cancelled.
 */
export async function runAthenaQuery(options: AthenaQueryOptions): Promise<AthenaQueryResult> {
  const { client, workgroup } = options;
  let id: string;
  try {
    const started = await client.send(
      new StartQueryExecutionCommand({
        QueryString: options.sql,
        WorkGroup: workgroup,
        ...(options.database ? { QueryExecutionContext: { Database: options.database } } : {}),
        ...(options.executionParameters?.length
          ? { ExecutionParameters: [...options.executionParameters] }
          : {}),
      }),
    );
    if (!started.QueryExecutionId) throw new Error("StartQueryExecution returned no QueryExecutionId");
    id = started.QueryExecutionId;
  } catch (error) {
    throw awsRequestError(`StartQueryExecution in workgroup ${workgroup}`, error);
  }

  const display =
    options.display === null ? undefined : (options.display ?? createProgressDisplay(`athena ${id}`));
  let execution: QueryExecution;
  try {
    execution = await pollUntil(`Athena query ${id}`, { ...options, defaultIntervalMs: 1_000 }, async () => {
      let current: QueryExecution | undefined;
      try {
        current = (await client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }))).QueryExecution;
      } catch (error) {
        throw awsRequestError(`GetQueryExecution ${id}`, error);
      }
      const state = current?.Status?.State ?? "UNKNOWN";
      const scanned = current?.Statistics?.DataScannedInBytes;
      display?.update(state, scanned !== undefined ? { note: `${formatBytes(scanned)} scanned` } : {});
      return state === "SUCCEEDED" || state === "FAILED" || state === "CANCELLED" ? current : undefined;
    });
  } finally {
    display?.stop();
  }

  const status = execution.Status;
  if (status?.State !== "SUCCEEDED") {
    const reason = status?.AthenaError?.ErrorMessage ?? status?.StateChangeReason ?? "no reason given";
    throw new ClickstreamError(
      "CS_ERR_AWS_QUERY_FAILED",
      `query ${id} ${status?.State ?? "UNKNOWN"}: ${reason}`,
    );
  }

  const { columns, rows } = await fetchResults(client, id, execution.StatementType, options.pageSize ?? 1000);
  const stats = execution.Statistics;
  return {
    columns,
    rows,
    queryExecutionId: id,
    dataScannedBytes: stats?.DataScannedInBytes ?? 0,
    ...(stats?.EngineExecutionTimeInMillis !== undefined
      ? { engineExecutionTimeMs: stats.EngineExecutionTimeInMillis }
      : {}),
    ...(execution.ResultConfiguration?.OutputLocation
      ? { outputLocation: execution.ResultConfiguration.OutputLocation }
      : {}),
  };
}

async function fetchResults(
  client: AthenaClient,
  id: string,
  statementType: string | undefined,
  pageSize: number,
): Promise<{ columns: QueryColumn[]; rows: unknown[][] }> {
  let columns: QueryColumn[] = [];
  const rows: unknown[][] = [];
  let token: string | undefined;
  let first = true;
  do {
    let page;
    try {
      page = await client.send(
        new GetQueryResultsCommand({
          QueryExecutionId: id,
          MaxResults: pageSize,
          ...(token ? { NextToken: token } : {}),
        }),
      );
    } catch (error) {
      throw awsRequestError(`GetQueryResults ${id}`, error);
    }
    const resultRows = page.ResultSet?.Rows ?? [];
    if (first) {
      columns = (page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map(toColumn);
      // A SELECT's first row repeats the column names; DDL and other statements have none.
      if (statementType !== "DDL" && isHeaderRow(resultRows[0], columns)) resultRows.shift();
      first = false;
    }
    for (const row of resultRows)
      rows.push(columns.map((column, i) => typedValue(column.type, row.Data?.[i]?.VarCharValue)));
    token = page.NextToken;
  } while (token);
  return { columns, rows };
}

function toColumn(info: ColumnInfo): QueryColumn {
  return { name: info.Name ?? "", type: (info.Type ?? "varchar").toLowerCase() };
}

function isHeaderRow(row: Row | undefined, columns: QueryColumn[]): boolean {
  return (
    row !== undefined &&
    columns.length > 0 &&
    columns.every((column, i) => row.Data?.[i]?.VarCharValue === column.name)
  );
}

const integerTypes = new Set(["tinyint", "smallint", "integer", "int", "bigint"]);
const floatTypes = new Set(["double", "real", "float"]);

/** One cell from its text (Athena returns every value as VarCharValue; a missing value is NULL). */
export function typedValue(type: string, text: string | undefined): unknown {
  if (text === undefined) return null;
  if (integerTypes.has(type)) {
    const n = Number(text);
    return Number.isSafeInteger(n) ? n : text;
  }
  if (floatTypes.has(type)) {
    if (text === "NaN") return Number.NaN;
    if (text === "Infinity") return Number.POSITIVE_INFINITY;
    if (text === "-Infinity") return Number.NEGATIVE_INFINITY;
    return Number(text);
  }
  if (type === "boolean") return text === "true";
  return text;
}

/** The line printed after a query: data scanned (what Athena bills) and time. */
export function formatAthenaSummary(result: AthenaQueryResult): string {
  const time =
    result.engineExecutionTimeMs !== undefined
      ? ` in ${(result.engineExecutionTimeMs / 1000).toFixed(2)}s`
      : "";
  return `${result.rows.length} row(s); data scanned: ${formatBytes(result.dataScannedBytes)}${time} (query ${result.queryExecutionId})\n`;
}
