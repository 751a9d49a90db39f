import { randomUUID } from "node:crypto";
import type { ClickstreamConfig } from "../config/config-schema.js";
import { CatalogStore } from "../catalog/catalog-store.js";
import type { GlueTable } from "../catalog/catalog-model.js";
import { isClickstreamError } from "../errors/clickstream-error.js";
import { EnginePool } from "../query/engine-pool.js";
import type { QueryParam } from "../query/query-engine.js";
import type { QueryResult } from "../query/query-result.js";
import { classifyStatement } from "../query/sql-guard.js";
import { splitStatements } from "../query/sql-tokenizer.js";
import { keyProblem } from "../storage/object-key.js";
import { bucketHomePrefix, type Storage } from "../storage/storage.js";
import { epochSeconds, inputReader, namePattern, pageToken, tokenOffset } from "./api-input.js";
import { athenaCells, athenaCsv, columnInfo, parseAthenaCsv, type Cells } from "./athena-values.js";
import { athenaCatalogWrite, type CatalogWrite } from "./athena-ddl.js";
import { namedQueryOperations } from "./athena-named-queries.js";
import { AwsError } from "./aws-error.js";
import type { JsonOperation, JsonService } from "./endpoint-router.js";
import { athenaEngineVersion, s3Locations, type LocalStack } from "./local-stack.js";

const input = inputReader("InvalidRequestException");
type State = "QUEUED" | "RUNNING" | "SUCCEEDED" | "FAILED" | "CANCELLED";
type StatementType = "DDL" | "DML" | "UTILITY";

interface Execution {
  readonly id: string;
  readonly sql: string;
  readonly database: string;
  readonly catalog: string;
  readonly workgroup: string;
  readonly statementType: StatementType;
  /** A catalog write the endpoint does itself (athena-ddl.ts: CREATE/DROP DATABASE, DROP TABLE/VIEW), if it is one. */
  readonly catalogWrite: CatalogWrite | undefined;
  /** A CTAS's manifest (`<id>-manifest.csv`, listing its data files), as Statistics.DataManifestLocation. */
  manifestLocation?: string;
  /** ExecutionParameters as values bound to the statement's `?` placeholders, in order. */
  readonly params: QueryParam[];
  /** Storage key of `<id>.csv` in the results bucket, and its s3:// URI. */
  readonly resultKey: string;
  readonly outputLocation: string;
  readonly submitted: number;
  readonly controller: AbortController;
  state: State;
  started?: number;
  completed?: number;
  engineMs?: number;
  scannedBytes?: number;
  error?: { category: number; type: number; retryable: boolean; message: string; code?: string };
  /** The result's columns (Athena type names) and its rows as Athena's text, until evicted to the CSV alone. */
  columns?: QueryResult["columns"];
  cells?: Cells[] | undefined;
  cellBytes?: number;
  done?: Promise<void>;
}

export interface AthenaApiOptions {
  storage: Storage;
  config: Pick<ClickstreamConfig, "catalog" | "query" | "warehouse">;
  stack: LocalStack;
  /** How long StartQueryExecution waits for a query to finish before answering with its id (so a syntax
   * error fails StartQueryExecution itself, as on Athena, and a small query is done at the first poll). */
  startWaitMs?: number;
  /** Executions kept for GetQueryExecution / GetQueryResults (oldest dropped first). */
  maxExecutionsKept?: number;
  /** Results kept in memory for paging, in characters of their cells; older ones are paged from their CSV. */
  maxKeptResultChars?: number;
}

/** The Athena API over the local query engine (`clickstream query`'s engine and its guard, opened on first use). */
export interface AthenaApi extends JsonService {
  close(): Promise<void>;
}

/**
 * Athena (JSON 1.1, `AmazonAthena.<Operation>`): query executions run on the local engine, results kept for
 * paging (never re-run) and written to `<OutputLocation>/<QueryExecutionId>.csv`; workgroups, the data
 * catalog, databases and table metadata from the local stack and catalog.
 */
export function athenaApi(options: AthenaApiOptions): AthenaApi {
  const { storage, config, stack } = options;
  const startWaitMs = options.startWaitMs ?? 500; // ms
  const maxKept = options.maxExecutionsKept ?? 1000;
  const maxKeptChars = options.maxKeptResultChars ?? 64 * 1024 * 1024; // 64 Mi characters
  const store = new CatalogStore(storage);
  const s3 = s3Locations(storage, stack);
  const executions = new Map<string, Execution>();
  const byToken = new Map<string, string>();
  // The console's pool of one engine: `clickstream query`'s engine and guard, re-reading the catalog after
  // a crawl or a transform. Opened on first use, so a collector that only ingests starts no query worker.
  let engine: Promise<EnginePool> | undefined;
  const engineOf = (): Promise<EnginePool> => {
    engine ??= EnginePool.open({ storage, config, size: 1, profileScans: true }).catch((error: unknown) => {
      engine = undefined;
      throw error;
    });
    return engine;
  };

  const workgroup = (name: string | undefined): string => {
    const wanted = name ?? "primary";
    if (!stack.workgroups.includes(wanted))
      throw new AwsError("InvalidRequestException", `WorkGroup ${wanted} is not found.`);
    return wanted;
  };
  const catalogName = (name: string | undefined): string => {
    const wanted = name ?? stack.dataCatalog;
    if (wanted.toLowerCase() !== stack.dataCatalog.toLowerCase())
      throw new AwsError(
        "MetadataException",
        `Catalog ${wanted} is not found (this endpoint has ${stack.dataCatalog}).`,
      );
    return stack.dataCatalog;
  };
  const databaseOf = async (name: string): Promise<void> => {
    if (!(await store.getDatabase(name)))
      throw new AwsError("MetadataException", `Database ${name} is not found.`);
  };
  const execution = (call: Record<string, unknown>): Execution => {
    const id = input.required(call, "QueryExecutionId");
    const found = executions.get(id);
    if (!found) throw new AwsError("InvalidRequestException", `QueryExecution ${id} was not found`);
    return found;
  };

  /** The results key and URI for an OutputLocation (`s3://<results bucket>/<prefix>`), inside athena-results/. */
  const resultPlace = (location: string, id: string): { key: string; uri: string } => {
    const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(location);
    const bucket = stack.buckets["athena-results"];
    if (!match || match[1] !== bucket)
      throw new AwsError(
        "InvalidRequestException",
        `OutputLocation ${location} is not in this endpoint's results bucket (s3://${bucket}/)`,
      );
    let prefix = match[2]!;
    if (prefix !== "" && !prefix.endsWith("/")) prefix += "/";
    const home = bucketHomePrefix["athena-results"];
    // The bucket's objects live under its warehouse folder, as on AWS; a bare bucket means that folder.
    if (!prefix.startsWith(home)) prefix = home + prefix;
    const key = `${prefix}${id}.csv`;
    const problem = keyProblem(key);
    if (problem) throw new AwsError("InvalidRequestException", `OutputLocation ${location}: ${problem}`);
    return { key, uri: `s3://${bucket}/${key}` };
  };

  const run = async (e: Execution): Promise<void> => {
    try {
      if (e.catalogWrite) {
        e.state = "RUNNING";
        e.started = Date.now();
        const outcome = await e.catalogWrite({
          run: async (query) =>
            (await engineOf()).run(query, { signal: e.controller.signal, params: e.params }),
          queryId: e.id,
          resultKey: e.resultKey,
        });
        if (outcome) e.manifestLocation = `s3://${stack.buckets["athena-results"]}/${outcome.manifestKey}`;
        // The next statement sees the new database, table or view, not a catalog looked at a moment ago.
        if (engine) (await engineOf()).catalogChanged();
        e.engineMs = Date.now() - e.started;
        await storage.writeAtomic("athena-results", e.resultKey, "", { ownerOnly: true });
        e.columns = [];
        keep(e, []);
        e.state = "SUCCEEDED";
        return;
      }
      // Another database as the context (dbt runs in its own schema) must exist; the engine resolves
      // unqualified names in clickstream_db, so its tables are named with their database (analytics.t).
      if (e.database !== stack.database) await databaseOf(e.database);
      const q = await engineOf();
      if (e.controller.signal.aborted) throw new Error("stopped before it started"); // CANCELLED below
      e.state = "RUNNING";
      e.started = Date.now();
      const result = await q.run(e.sql, { signal: e.controller.signal, params: e.params });
      e.engineMs = Date.now() - e.started;
      // The engine's own figure of what the run read (DuckDB's profile of it); 0 when it names no total.
      const read = result.scanProfile?.bytesOfFilesRead ?? 0;
      if (e.statementType === "DML") e.scannedBytes = Number.isFinite(read) ? read : 0;
      const cells = athenaCells(result.columns, result.rows);
      await storage.writeAtomic("athena-results", e.resultKey, athenaCsv(result.columns, cells), {
        ownerOnly: true,
      });
      e.columns = result.columns;
      keep(e, cells);
      e.state = "SUCCEEDED";
    } catch (error) {
      if (e.controller.signal.aborted) {
        e.state = "CANCELLED";
        e.error = { category: 2, type: 1000, retryable: false, message: "Query was cancelled by the user" };
      } else {
        e.state = "FAILED";
        e.error = athenaError(error);
      }
    } finally {
      e.completed = Date.now();
    }
  };

  /** Keeps a result's cells for paging, dropping the oldest kept ones beyond the budget (they stay in their CSV). */
  let keptChars = 0;
  const keep = (e: Execution, cells: Cells[]): void => {
    e.cells = cells;
    e.cellBytes = cells.reduce((sum, row) => sum + row.reduce((n, c) => n + (c?.length ?? 0) + 1, 0), 0);
    keptChars += e.cellBytes;
    for (const other of executions.values()) {
      if (keptChars <= maxKeptChars) break;
      if (other === e || other.cells === undefined) continue;
      other.cells = undefined;
      keptChars -= other.cellBytes ?? 0;
    }
  };
  /** A result's cells: kept, or read back from its CSV (never by running the query again). */
  const cellsOf = async (e: Execution): Promise<Cells[]> => {
    if (e.cells) return e.cells;
    let text: string;
    try {
      text = (await storage.readBytes("athena-results", e.resultKey)).toString("utf8");
    } catch (error) {
      throw new AwsError(
        "InvalidRequestException",
        `The result of ${e.id} is gone from ${e.outputLocation}: ${(error as Error).message}`,
      );
    }
    if (e.cells) return e.cells; // another page read it meanwhile
    const cells = parseAthenaCsv(text).slice(1);
    keep(e, cells);
    return cells;
  };

  const remember = (e: Execution): void => {
    executions.set(e.id, e);
    while (executions.size > maxKept) {
      const oldest = executions.keys().next().value as string;
      keptChars -= executions.get(oldest)?.cells ? (executions.get(oldest)?.cellBytes ?? 0) : 0;
      executions.delete(oldest);
    }
  };

  const operations: Record<string, JsonOperation> = {
    ...namedQueryOperations(stack),
    StartQueryExecution: async (call) => {
      const sql = input.required(call, "QueryString");
      if (sql.length > 262144)
        throw input.invalid("queryString", "Member must have length less than or equal to 262144");
      const token = input.string(call, "ClientRequestToken");
      if (token !== undefined && byToken.has(token)) return { QueryExecutionId: byToken.get(token) };
      const wg = workgroup(input.string(call, "WorkGroup"));
      const context = input.object(call, "QueryExecutionContext");
      const catalog = catalogName(input.string(context, "Catalog"));
      const database = input.string(context, "Database") ?? stack.database;
      const resultConfiguration = input.object(call, "ResultConfiguration");
      const id = randomUUID();
      const place = resultPlace(
        input.string(resultConfiguration, "OutputLocation") ?? stack.resultsLocation,
        id,
      );
      const catalogWrite = athenaCatalogWrite(sql, { database }, storage, stack);
      const e: Execution = {
        id,
        sql,
        database,
        catalog,
        workgroup: wg,
        catalogWrite,
        statementType: catalogWrite ? "DDL" : statementTypeOf(sql),
        params: executionParameters(call.ExecutionParameters),
        resultKey: place.key,
        outputLocation: place.uri,
        submitted: Date.now(),
        controller: new AbortController(),
        state: "QUEUED",
      };
      e.done = run(e);
      await Promise.race([e.done, new Promise((resolve) => setTimeout(resolve, startWaitMs).unref())]);
      if (e.state === "FAILED" && e.error?.code === "CS_ERR_QUERY_SYNTAX")
        throw new AwsError("InvalidRequestException", e.error.message, 400, {
          AthenaErrorCode: "MALFORMED_QUERY",
        });
      remember(e);
      if (token !== undefined) byToken.set(token, id);
      return { QueryExecutionId: id };
    },
    GetQueryExecution: async (call) => ({ QueryExecution: executionShape(execution(call)) }),
    BatchGetQueryExecution: async (call) => {
      const ids = Array.isArray(call.QueryExecutionIds) ? call.QueryExecutionIds.map(String) : [];
      if (ids.length < 1 || ids.length > 50)
        throw input.invalid("queryExecutionIds", "Member must have length between 1 and 50");
      const found = ids.filter((id) => executions.has(id));
      return {
        QueryExecutions: found.map((id) => executionShape(executions.get(id)!)),
        UnprocessedQueryExecutionIds: ids
          .filter((id) => !executions.has(id))
          .map((id) => ({
            QueryExecutionId: id,
            ErrorCode: "INVALID_INPUT",
            ErrorMessage: "QueryExecution not found",
          })),
      };
    },
    ListQueryExecutions: async (call) => {
      const wg = workgroup(input.string(call, "WorkGroup"));
      const max = input.integer(call, "MaxResults", 0, 50) ?? 50;
      const ids = [...executions.values()]
        .filter((e) => e.workgroup === wg)
        .map((e) => e.id)
        .reverse();
      const scope = `ListQueryExecutions ${wg}`;
      const offset = tokenOffset(input.string(call, "NextToken"), scope, "InvalidRequestException");
      const page = ids.slice(offset, offset + max);
      const next =
        offset + page.length < ids.length ? { NextToken: pageToken(scope, offset + page.length) } : {};
      return { QueryExecutionIds: page, ...next };
    },
    GetQueryResults: async (call) => {
      const e = execution(call);
      if (e.state === "FAILED" || e.state === "CANCELLED")
        throw new AwsError(
          "InvalidRequestException",
          `Query did not succeed. State: ${e.state}. ${e.error?.message ?? ""}`.trim(),
        );
      if (e.state !== "SUCCEEDED" || !e.columns)
        throw new AwsError(
          "InvalidRequestException",
          `Query has not yet finished. Current state: ${e.state}`,
        );
      const max = input.integer(call, "MaxResults", 1, 1000) ?? 1000;
      const columns = e.columns;
      const rows = await cellsOf(e);
      const header = e.statementType === "DML" ? 1 : 0;
      const total = rows.length + header;
      const scope = `GetQueryResults ${e.id}`;
      const offset = tokenOffset(input.string(call, "NextToken"), scope, "InvalidRequestException");
      const end = Math.min(total, offset + max);
      const out: { Data: { VarCharValue?: string }[] }[] = [];
      for (let i = offset; i < end; i++) {
        if (i < header) out.push({ Data: columns.map((c) => ({ VarCharValue: c.name })) });
        else {
          const row = rows[i - header]!;
          out.push({ Data: columns.map((_c, j) => (row[j] === undefined ? {} : { VarCharValue: row[j] })) });
        }
      }
      return {
        UpdateCount: 0,
        ResultSet: {
          Rows: out,
          ResultSetMetadata: { ColumnInfo: columns.map((c) => columnInfo(c.name, c.type)) },
        },
        ...(end < total ? { NextToken: pageToken(scope, end) } : {}),
      };
    },
    StopQueryExecution: async (call) => {
      const e = execution(call);
      if (e.state === "QUEUED" || e.state === "RUNNING") {
        e.controller.abort();
        await e.done;
      }
      return {};
    },
    ListWorkGroups: async () => ({
      WorkGroups: stack.workgroups.map((name) => ({
        Name: name,
        State: "ENABLED",
        Description: workgroupDescription(name, stack),
        CreationTime: 0,
        EngineVersion: athenaEngineVersion,
      })),
    }),
    GetWorkGroup: async (call) => {
      const name = workgroup(input.required(call, "WorkGroup"));
      return {
        WorkGroup: {
          Name: name,
          State: "ENABLED",
          Description: workgroupDescription(name, stack),
          CreationTime: 0,
          Configuration: {
            ResultConfiguration: { OutputLocation: stack.resultsLocation },
            EnforceWorkGroupConfiguration: false,
            PublishCloudWatchMetricsEnabled: false,
            RequesterPaysEnabled: false,
            EngineVersion: athenaEngineVersion,
            EnableMinimumEncryptionConfiguration: false,
          },
        },
      };
    },
    ListDataCatalogs: async () => ({
      DataCatalogsSummary: [{ CatalogName: stack.dataCatalog, Type: "GLUE" }],
    }),
    GetDataCatalog: async (call) => ({
      DataCatalog: {
        Name: catalogName(input.required(call, "Name")),
        Type: "GLUE",
        Description: "The local Glue Data Catalog (the crawler's catalog in the warehouse)",
        Parameters: { "catalog-id": stack.accountId },
      },
    }),
    ListDatabases: async (call) => {
      catalogName(input.required(call, "CatalogName"));
      const max = input.integer(call, "MaxResults", 1, 50) ?? 50;
      const all = (await store.listDatabases()).sort((a, b) => a.Name.localeCompare(b.Name));
      const scope = "ListDatabases";
      const offset = tokenOffset(input.string(call, "NextToken"), scope, "InvalidRequestException");
      const page = all.slice(offset, offset + max);
      return {
        DatabaseList: page.map((d) => ({
          Name: d.Name,
          Description: d.Description ?? "",
          Parameters: d.Parameters ?? {},
        })),
        ...(offset + page.length < all.length ? { NextToken: pageToken(scope, offset + page.length) } : {}),
      };
    },
    GetDatabase: async (call) => {
      catalogName(input.required(call, "CatalogName"));
      const name = input.required(call, "DatabaseName");
      const db = await store.getDatabase(name);
      if (!db) throw new AwsError("MetadataException", `Database ${name} is not found.`);
      return {
        Database: { Name: db.Name, Description: db.Description ?? "", Parameters: db.Parameters ?? {} },
      };
    },
    ListTableMetadata: async (call) => {
      catalogName(input.required(call, "CatalogName"));
      const db = input.required(call, "DatabaseName");
      await databaseOf(db);
      const expression = input.string(call, "Expression");
      const pattern = namePattern(expression, input);
      const max = input.integer(call, "MaxResults", 1, 50) ?? 50;
      const all = (await store.listTables(db))
        .filter((t) => pattern.test(t.Name))
        .sort((a, b) => a.Name.localeCompare(b.Name));
      const scope = `ListTableMetadata ${db} ${expression ?? ""}`;
      const offset = tokenOffset(input.string(call, "NextToken"), scope, "InvalidRequestException");
      const page = all.slice(offset, offset + max);
      return {
        TableMetadataList: page.map((t) => tableMetadata(t, s3)),
        ...(offset + page.length < all.length ? { NextToken: pageToken(scope, offset + page.length) } : {}),
      };
    },
    GetTableMetadata: async (call) => {
      catalogName(input.required(call, "CatalogName"));
      const db = input.required(call, "DatabaseName");
      const name = input.required(call, "TableName");
      await databaseOf(db);
      const table = await store.getTable(db, name);
      if (!table) throw new AwsError("MetadataException", `Table ${name} is not found in database ${db}.`);
      return { TableMetadata: tableMetadata(table, s3) };
    },
  };

  return {
    signingName: "athena",
    targetPrefix: "AmazonAthena.",
    contentType: "application/x-amz-json-1.1",
    internalErrorType: "InternalServerException",
    operations,
    close: async () => {
      for (const e of executions.values())
        if (e.state === "QUEUED" || e.state === "RUNNING") e.controller.abort();
      await Promise.all([...executions.values()].map((e) => e.done));
      if (engine) (await engine.catch(() => undefined))?.close();
    },
  };
}

/**
 * Athena's ExecutionParameters: each a SQL literal as text (`'web'`, `42`, `1.5`, `true`, `NULL`), bound to
 * the `?` placeholders in order, never pasted into the statement. Anything else is refused, as Athena
 * refuses a parameter that is not a literal.
 */
function executionParameters(value: unknown): QueryParam[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === "string"))
    throw input.invalid("executionParameters", "Member must be a list of at least 1 string");
  return (value as string[]).map((text, i) => {
    const t = text.trim();
    const quoted = /^'((?:[^']|'')*)'$/s.exec(t);
    if (quoted) return quoted[1]!.replaceAll("''", "'");
    if (/^[+-]?\d+$/.test(t) || /^[+-]?(\d+\.\d*|\.\d+|\d+)(e[+-]?\d+)?$/i.test(t)) return Number(t);
    if (/^(true|false)$/i.test(t)) return t.toLowerCase() === "true";
    if (/^null$/i.test(t)) return null;
    throw new AwsError(
      "InvalidRequestException",
      `ExecutionParameters[${i}] ${JSON.stringify(text)} is not a literal (quote strings: 'text'; numbers, true, false and NULL as they are)`,
    );
  });
}

/** Athena's StatementType: DML for queries, DDL for SHOW/DESCRIBE/MSCK, UTILITY for EXPLAIN. */
function statementTypeOf(sql: string): StatementType {
  try {
    const statements = splitStatements(sql);
    if (statements.length !== 1) return "DML";
    const kind = classifyStatement(sql, statements[0]!.tokens, new Set());
    return kind === "query" ? "DML" : kind === "explain" ? "UTILITY" : "DDL";
  } catch {
    return "DML";
  }
}

const userErrors = new Set([
  "CS_ERR_QUERY_SYNTAX",
  "CS_ERR_QUERY_UNSUPPORTED",
  "CS_ERR_QUERY_FORBIDDEN",
  "CS_ERR_QUERY_TYPE_MISMATCH",
  "CS_ERR_QUERY_TOO_MANY_ROWS",
  "CS_ERR_QUERY_RESULT_TOO_LARGE",
  "CS_ERR_QUERY_FAILED",
]);

/** AthenaError of a failure: user errors category 2 type 1000, timeouts 206, the rest internal (1, 100). */
function athenaError(error: unknown): NonNullable<Execution["error"]> {
  if (error instanceof AwsError) return { category: 2, type: 1000, retryable: false, message: error.message };
  if (isClickstreamError(error)) {
    if (userErrors.has(error.code))
      return { category: 2, type: 1000, retryable: false, message: error.message, code: error.code };
    if (error.code === "CS_ERR_QUERY_TIMEOUT")
      return { category: 1, type: 206, retryable: true, message: error.message, code: error.code };
    return { category: 1, type: 100, retryable: true, message: error.message, code: error.code };
  }
  return { category: 1, type: 100, retryable: true, message: String((error as Error).message ?? error) };
}

function executionShape(e: Execution): Record<string, unknown> {
  const seconds = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : ms / 1000);
  const total = (e.completed ?? Date.now()) - e.submitted;
  return {
    QueryExecutionId: e.id,
    Query: e.sql,
    StatementType: e.statementType,
    ...(e.statementType === "DML"
      ? { SubstatementType: "SELECT" }
      : e.manifestLocation !== undefined
        ? { SubstatementType: "CREATE_TABLE_AS_SELECT" }
        : {}),
    ResultConfiguration: { OutputLocation: e.outputLocation },
    QueryExecutionContext: { Database: e.database, Catalog: e.catalog },
    Status: {
      State: e.state,
      SubmissionDateTime: seconds(e.submitted),
      ...(e.completed !== undefined ? { CompletionDateTime: seconds(e.completed) } : {}),
      ...(e.error
        ? {
            StateChangeReason: e.error.message,
            AthenaError: {
              ErrorCategory: e.error.category,
              ErrorType: e.error.type,
              Retryable: e.error.retryable,
              ErrorMessage: e.error.message,
            },
          }
        : {}),
    },
    Statistics: {
      EngineExecutionTimeInMillis: e.engineMs ?? 0,
      DataScannedInBytes: e.scannedBytes ?? 0,
      TotalExecutionTimeInMillis: total,
      QueryQueueTimeInMillis: (e.started ?? e.completed ?? Date.now()) - e.submitted,
      ...(e.manifestLocation !== undefined ? { DataManifestLocation: e.manifestLocation } : {}),
      ServicePreProcessingTimeInMillis: 0,
      QueryPlanningTimeInMillis: 0,
      ServiceProcessingTimeInMillis: 0,
    },
    WorkGroup: e.workgroup,
    EngineVersion: athenaEngineVersion,
  };
}

function workgroupDescription(name: string, stack: LocalStack): string {
  return name === "primary"
    ? "Athena's default workgroup (local)"
    : `The pipeline's workgroup (local twin of infra/athena.tf; results under ${stack.resultsLocation})`;
}

function tableMetadata(t: GlueTable, s3: (uri: string) => string | undefined): Record<string, unknown> {
  const column = (c: { Name: string; Type: string; Comment?: string }): Record<string, string> => ({
    Name: c.Name,
    Type: c.Type,
    ...(c.Comment ? { Comment: c.Comment } : {}),
  });
  return {
    Name: t.Name,
    CreateTime: epochSeconds(t.CreateTime),
    LastAccessTime: epochSeconds(t.UpdateTime),
    TableType: t.TableType,
    Columns: t.StorageDescriptor.Columns.map(column),
    PartitionKeys: t.PartitionKeys.map(column),
    Parameters: {
      ...t.Parameters,
      location: s3(t.StorageDescriptor.Location) ?? t.StorageDescriptor.Location,
      inputformat: t.StorageDescriptor.InputFormat,
      outputformat: t.StorageDescriptor.OutputFormat,
      serde: t.StorageDescriptor.SerdeInfo.SerializationLibrary,
    },
  };
}
