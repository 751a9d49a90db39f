import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { FastifyInstance } from "fastify";
import { CatalogStore } from "../catalog/catalog-store.js";
import { ClickstreamError, isClickstreamError } from "../errors/clickstream-error.js";
import { parseQueryFile } from "../query/query-file.js";
import { saveResult } from "../query/result-store.js";
import { spreadsheetSafeStream } from "../query/spreadsheet-safe-csv.js";
import type { ConsoleContext } from "./console-context.js";
import { namedQueriesFile } from "./package-paths.js";
import type { CatalogAnswer, HistoryAnswer, NamedQueriesAnswer, QueryAnswer } from "./api-types.js";

const maxSqlChars = 100_000;
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The SQL workbench's API: the catalog, the named queries, `POST /api/query` (the same engine, guard,
 * time limit and row cap as `clickstream query`; each result saved under athena-results/ as
 * `query --output` saves it), cancelling, the persisted history and the CSV downloads (formulas
 * neutralised on the way out: a spreadsheet opens them; the saved file stays as Athena writes it).
 */
export function registerWorkbenchRoutes(app: FastifyInstance, context: ConsoleContext): void {
  const running = new Map<string, AbortController>();

  app.get("/api/catalog", async (): Promise<CatalogAnswer> => {
    const store = new CatalogStore(context.storage);
    const databases = await store.listDatabases();
    const out: CatalogAnswer["databases"] = [];
    for (const db of databases) {
      const tables = await store.loadTables(db.Name);
      out.push({
        name: db.Name,
        tables: tables.map(({ table, partitions }) => ({
          name: table.Name,
          location: table.StorageDescriptor.Location,
          columns: table.StorageDescriptor.Columns.map((c) => ({ name: c.Name, type: c.Type })),
          partitionKeys: table.PartitionKeys.map((k) => ({ name: k.Name, type: k.Type })),
          partitions: partitions.Partitions.map((p) => ({
            values: p.Values,
            name: table.PartitionKeys.map((k, i) => `${k.Name}=${p.Values[i]}`).join("/"),
            fileCount: Number(p.Parameters?.fileCount ?? 0),
            rowCount: Number(p.Parameters?.rowCount ?? 0),
            sizeBytes: Number(p.Parameters?.sizeBytes ?? 0),
          })),
        })),
      });
    }
    return {
      defaultDatabase: context.config.catalog.databaseName,
      databases: out.sort((a, b) => (a.name < b.name ? -1 : 1)),
      limits: {
        maxResultRows: context.config.query.maxResultRows,
        timeoutMs: context.config.query.timeoutMs,
      },
    };
  });

  app.get("/api/named-queries", async (): Promise<NamedQueriesAnswer> => {
    const statements = parseQueryFile(await readFile(namedQueriesFile, "utf8"));
    return {
      file: "queries/athena_queries.sql",
      queries: statements.map((s) => ({
        number: s.number ?? String(s.index),
        title: s.title ?? null,
        sql: s.sql,
      })),
    };
  });

  app.post("/api/query", async (request, reply): Promise<QueryAnswer> => {
    const body = request.body as { sql?: unknown } | undefined;
    const sql = body?.sql;
    if (typeof sql !== "string" || sql.trim() === "" || sql.length > maxSqlChars) {
      throw new ClickstreamError(
        "CS_ERR_INVALID_ARGUMENT",
        `send {"sql": "…"}: one statement of at most ${maxSqlChars} characters`,
      );
    }
    const id = randomUUID();
    const controller = new AbortController();
    running.set(id, controller);
    // A client that goes away (closed tab, aborted fetch) cancels its query.
    const onClose = (): void => {
      if (!reply.raw.writableEnded) controller.abort();
    };
    reply.raw.on("close", onClose);
    const startedAt = new Date();
    await context.history.add({
      id,
      sql,
      status: "running",
      startedAt: startedAt.toISOString(),
      durationMs: null,
      rows: null,
      bytesScanned: null,
      filesScanned: null,
      resultKey: null,
      errorCode: null,
      errorMessage: null,
    });
    reply.header("x-query-id", id);
    try {
      const result = await context.pool.run(sql, { signal: controller.signal });
      const durationMs = Date.now() - startedAt.getTime();
      const saved = await saveResult(context.storage, result, sql, id);
      await context.history.update(id, {
        status: "succeeded",
        durationMs,
        rows: result.rows.length,
        resultKey: saved.key,
      });
      void measureScan(context, id, sql);
      return {
        columns: result.columns,
        rows: result.rows,
        stats: { queryId: id, durationMs, rows: result.rows.length, resultKey: saved.key },
      };
    } catch (error) {
      const failure = isClickstreamError(error) ? error : undefined;
      await context.history.update(id, {
        status: failure?.code === "CS_ERR_QUERY_CANCELLED" ? "cancelled" : "failed",
        durationMs: Date.now() - startedAt.getTime(),
        errorCode: failure?.code ?? "CS_ERR_INTERNAL",
        errorMessage: error instanceof Error ? error.message : String(error),
      });
      throw error;
    } finally {
      running.delete(id);
      reply.raw.off("close", onClose);
    }
  });

  app.post<{ Params: { id: string } }>("/api/query/:id/cancel", async (request) => {
    const controller = running.get(request.params.id);
    if (!controller) return { cancelled: false };
    controller.abort();
    return { cancelled: true };
  });

  app.get("/api/history", async (): Promise<HistoryAnswer> => ({ entries: context.history.list() }));

  app.get<{ Params: { id: string } }>("/api/results/:id", async (request, reply) => {
    const id = request.params.id.replace(/\.csv$/, "");
    if (!uuidPattern.test(id)) {
      throw new ClickstreamError("CS_ERR_INVALID_ARGUMENT", "a result id is the query's UUID");
    }
    const key = `athena-results/${id}.csv`;
    if (!(await context.storage.stat("athena-results", key))) {
      throw new ClickstreamError("CS_ERR_STORAGE_NOT_FOUND", key);
    }
    return reply
      .header("content-type", "text/csv; charset=utf-8")
      .header("content-disposition", `attachment; filename="${id}.csv"`)
      .send((await context.storage.readStream("athena-results", key)).pipe(spreadsheetSafeStream()));
  });
}

/**
 * Bytes scanned, as Athena's history shows them: the files the query read, from its profile (EXPLAIN
 * ANALYZE, after the answer went out so it costs the user no time). Catalog statements scan nothing.
 */
async function measureScan(context: ConsoleContext, id: string, sql: string): Promise<void> {
  try {
    const profile = await context.pool.profile(sql);
    await context.history.update(id, {
      bytesScanned: Number.isFinite(profile.bytesOfFilesRead) ? profile.bytesOfFilesRead : null,
      filesScanned: profile.fileCount,
    });
  } catch {
    await context.history.update(id, { bytesScanned: 0, filesScanned: 0 }).catch(() => undefined);
  }
}
