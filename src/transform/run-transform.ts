import { randomUUID } from "node:crypto";
import { mkdir, readdir, rm, stat } from "node:fs/promises";
import { join, relative, resolve, sep } from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import type { TransformConfig } from "../config/config-schema.js";
import { ClickstreamError, wrapError } from "../errors/clickstream-error.js";
import type { Storage } from "../storage/storage.js";
import {
  applyManifest,
  listVisible,
  recover,
  stagingPrefix,
  writeManifest,
  type CommitManifest,
} from "./commit-log.js";
import { maxRecordBytes, rejectReasons, transformedColumns, type RejectReason } from "./event-schema.js";
import { decodeObject, splitObject, type SplitReject } from "./record-splitter.js";
import { buildRulesSql } from "./record-rules-sql.js";
import { rejectToLine } from "./reject-record.js";
import { RunLock } from "./run-lock.js";
import { emptyReasonCounts, type RunReport } from "./run-report.js";
import { StagingWriter } from "./staging-writer.js";
import { loadTransformState, stateKey, type TransformState } from "./transform-state.js";

export interface TransformOptions {
  readonly storage: Storage;
  readonly config: TransformConfig;
  /** Local folder for scratch files and the run lock (the warehouse folder for local storage). */
  readonly workDir: string;
  /** Pins the processing time (processed_timestamp, future check); defaults to the run's start. */
  readonly now?: Date;
  readonly fullRefresh?: boolean;
  readonly onProgress?: (event: TransformProgress) => void;
}

export type TransformProgress =
  | { phase: "read"; objectsDone: number; objectsTotal: number; bytesRead: number }
  | { phase: "validate" | "write" | "commit" };

const outputColumns = transformedColumns.map((c) => c.name);

/**
 * Runs the transform: new raw objects → validated, deduplicated rows in `transformed/` (Parquet,
 * partitioned by event date) and rejects in `errors/`. Incremental (bookmarks), all-or-nothing
 * (commit manifest), one run at a time (lock). Returns the run report; rejected records are results,
 * not exceptions.
 */
export async function runTransform(options: TransformOptions): Promise<RunReport> {
  const { storage, config } = options;
  const started = new Date();
  const processingTime = options.now ?? started;
  const runId = `${started.toISOString().replace(/[-:.]/g, "").replace("T", "-").slice(0, 15)}-${randomUUID().slice(0, 8)}`;
  const workDir = resolve(options.workDir);
  const lock = await RunLock.acquire(join(workDir, "_state", "transform", "lock"), runId, config.lockWaitMs);
  const scratch = join(workDir, "_state", "transform", "scratch", runId);
  try {
    await recover(storage);
    await rm(join(workDir, "_state", "transform", "scratch"), { recursive: true, force: true });
    await mkdir(scratch, { recursive: true });
    const run = new TransformRun(options, runId, started, processingTime, scratch);
    return await run.execute();
  } catch (error) {
    throw wrapError("CS_ERR_TRANSFORM_FAILED", error);
  } finally {
    await rm(scratch, { recursive: true, force: true }).catch(() => undefined);
    await lock.release();
  }
}

interface SourceObject {
  readonly obj: number;
  readonly key: string;
  readonly size: number;
}

class TransformRun {
  private readonly report: RunReport;
  private readonly nodeRejects: string[] = [];

  constructor(
    private readonly options: TransformOptions,
    runId: string,
    private readonly started: Date,
    private readonly processingTime: Date,
    private readonly scratch: string,
  ) {
    this.report = {
      runId,
      status: "succeeded",
      fullRefresh: options.fullRefresh ?? false,
      startedAt: started.toISOString(),
      finishedAt: "",
      durationMs: 0,
      processingTime: processingTime.toISOString(),
      objectsProcessed: 0,
      records: { read: 0, written: 0, rejected: 0 },
      rejectedByReason: emptyReasonCounts(),
      unknownFields: {},
      partitionsWritten: [],
      rowsRewritten: 0,
      bytesRead: 0,
      bytesWritten: 0,
      errorObjects: [],
    };
  }

  async execute(): Promise<RunReport> {
    const { storage } = this.options;
    const fullRefresh = this.report.fullRefresh;
    const state: TransformState = fullRefresh ? { processed: [] } : await loadTransformState(storage);
    const processed = new Set(state.processed);
    const rawKeys = await listVisible(storage, "raw", "raw/");
    const sizes = new Map<string, number>();
    for await (const o of storage.list("raw", "raw/")) sizes.set(o.key, o.size);
    const sources: SourceObject[] = rawKeys
      .filter((key) => !processed.has(key))
      .map((key, i) => ({ obj: i, key, size: sizes.get(key) ?? 0 }));
    const existingFiles = await listVisible(storage, "transformed", "transformed/");

    if (sources.length === 0 && !fullRefresh) {
      this.report.status = "no_new_data";
      return this.finish();
    }

    const stagingPath = join(this.scratch, "staged.txt");
    await this.readSources(sources, stagingPath);

    const db = await DuckDBInstance.create(":memory:", {
      memory_limit: `${Math.floor(this.options.config.duckdbMemoryLimitBytes / (1024 * 1024))}MB`,
      threads: String(this.options.config.duckdbThreads || 2),
      temp_directory: join(this.scratch, "duckdb-tmp"),
      preserve_insertion_order: "false",
    });
    const connection = await db.connect();
    try {
      const manifest = await this.transformInDuckDB(
        connection,
        sources,
        stagingPath,
        existingFiles,
        fullRefresh,
      );
      const newState: TransformState = {
        processed: fullRefresh ? rawKeys : [...state.processed, ...sources.map((s) => s.key)].sort(),
      };
      this.report.objectsProcessed = sources.length;
      this.finish();
      manifest.state.push(
        { key: stateKey, body: JSON.stringify(newState) },
        {
          key: `_state/transform/runs/${this.report.runId}.json`,
          body: JSON.stringify(this.report, null, 2),
        },
        { key: "_state/transform/last-run.json", body: JSON.stringify(this.report, null, 2) },
      );
      this.options.onProgress?.({ phase: "commit" });
      await writeManifest(storage, manifest);
      await applyManifest(storage, manifest);
      return this.report;
    } finally {
      connection.closeSync();
      db.closeSync();
    }
  }

  private finish(): RunReport {
    const finished = new Date();
    this.report.finishedAt = finished.toISOString();
    this.report.durationMs = finished.getTime() - this.started.getTime();
    return this.report;
  }

  /** Phase 1 (Node): decode and split every new object; candidates go to the staging file, framing rejects to memory. */
  private async readSources(sources: SourceObject[], stagingPath: string): Promise<void> {
    const { storage, onProgress } = this.options;
    const writer = await StagingWriter.create(stagingPath);
    try {
      let done = 0;
      for (const source of sources) {
        let bytes: Buffer;
        try {
          bytes = await storage.readBytes("raw", source.key);
          this.report.bytesRead += bytes.length;
          bytes = decodeObject(bytes);
        } catch (error) {
          this.addNodeReject(source, {
            reason: "unreadable_object",
            message: `the object cannot be read: ${error instanceof Error ? error.message : String(error)}`,
            line: null,
            raw: Buffer.alloc(0),
          });
          continue;
        }
        await splitObject(bytes, {
          record: (line, text, checked) => writer.add(source.obj, line, text, checked),
          reject: (reject) => this.addNodeReject(source, reject),
        });
        done++;
        onProgress?.({
          phase: "read",
          objectsDone: done,
          objectsTotal: sources.length,
          bytesRead: this.report.bytesRead,
        });
      }
    } finally {
      await writer.close();
    }
  }

  private addNodeReject(source: SourceObject, reject: SplitReject): void {
    const raw = reject.raw.toString("utf8");
    this.nodeRejects.push(
      `${source.obj}\x01${reject.line ?? 0}\x01` +
        rejectToLine({
          reason: reject.reason,
          field: null,
          message: reject.message,
          source: source.key,
          line: reject.line,
          raw: reject.reason === "record_too_large" ? raw : raw,
        }).trimEnd(),
    );
    this.report.rejectedByReason[reject.reason]++;
  }

  /** Phase 2 (DuckDB): rules, dedup, session sequence, Parquet output; returns the manifest to commit. */
  private async transformInDuckDB(
    connection: DuckDBConnection,
    sources: SourceObject[],
    stagingPath: string,
    existingFiles: string[],
    fullRefresh: boolean,
  ): Promise<CommitManifest> {
    const { storage, config, onProgress } = this.options;
    const run = async (sql: string): Promise<void> => {
      await connection.run(sql);
    };
    const rows = async (sql: string): Promise<Record<string, unknown>[]> =>
      (await connection.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
    onProgress?.({ phase: "validate" });

    await run(`CREATE TABLE staged AS ${stagedReader(stagingPath)}`);
    await run(`CREATE TABLE sources (obj INTEGER, key VARCHAR)`);
    const appender = await connection.createAppender("sources");
    for (const s of sources) {
      appender.appendInteger(s.obj);
      appender.appendVarchar(s.key);
      appender.endRow();
    }
    appender.flushSync();
    appender.closeSync();

    const nowMs = this.processingTime.getTime();
    const rulesSql = (input: string): string =>
      buildRulesSql(
        {
          nowMs,
          futureToleranceMs: config.futureToleranceMs,
          eventCategories: config.eventCategories,
          otherCategory: config.otherCategory,
        },
        input,
      );
    await run(`CREATE TABLE judged AS ${rulesSql("staged")}`);

    await this.resplitInvalidLines(connection, sources, rulesSql);
    await this.rejectLenientJson(connection);

    // Event ids already in the table win over everything new (first arrival wins across runs).
    const existingLocal = fullRefresh ? [] : await this.localFiles(existingFiles);
    const existingList = `[${existingLocal.map(sqlLiteral).join(", ")}]`;
    const hive = `hive_partitioning = true, hive_types = {'year': VARCHAR, 'month': VARCHAR, 'day': VARCHAR}`;
    if (existingLocal.length > 0) {
      await run(`CREATE TABLE existing_ids AS
        SELECT event_id, session_id, year, month, day FROM read_parquet(${existingList}, ${hive})`);
    } else {
      await run(
        `CREATE TABLE existing_ids (event_id VARCHAR, session_id VARCHAR, year VARCHAR, month VARCHAR, day VARCHAR)`,
      );
    }

    await run(`CREATE TABLE ranked AS
      SELECT j.*, row_number() OVER (PARTITION BY j.event_id ORDER BY j.obj, j.line) AS arrival_rank,
             j.event_id IN (SELECT event_id FROM existing_ids) AS seen_before
      FROM judged j WHERE j.reason IS NULL`);
    await run(`CREATE TABLE fresh AS
      SELECT * EXCLUDE (arrival_rank, seen_before, reason, field, message, raw, obj, line, unknown_fields),
             unknown_fields,
             strftime(event_time, '%Y') AS year, strftime(event_time, '%m') AS month, strftime(event_time, '%d') AS day
      FROM ranked WHERE arrival_rank = 1 AND NOT seen_before`);

    // Rejects from DuckDB (rules + duplicates), as ready-made NDJSON lines, merged with Node's by source order.
    const rejectLine = (reason: string, field: string, message: string) =>
      `to_json({'reason': ${reason}, 'field': ${field}, 'message': ${message}, 'source': s.key, 'line': r.line, 'raw': r.raw})`;
    await run(`CREATE TABLE rejects (obj INTEGER, line INTEGER, reason VARCHAR, text VARCHAR)`);
    await run(`INSERT INTO rejects
      SELECT r.obj, r.line, r.reason, ${rejectLine("r.reason", "r.field", "r.message")}
      FROM judged r JOIN sources s USING (obj) WHERE r.reason IS NOT NULL`);
    await run(`INSERT INTO rejects
      SELECT r.obj, r.line, 'duplicate', ${rejectLine(
        "'duplicate'",
        "'event_id'",
        `'event_id ' || r.event_id || CASE WHEN r.seen_before THEN ' was already written by an earlier run' ELSE ' already appeared earlier in this run' END`,
      )}
      FROM ranked r JOIN sources s USING (obj) WHERE r.arrival_rank > 1 OR r.seen_before`);
    if (this.nodeRejects.length > 0) {
      const nodeRejectsPath = join(this.scratch, "node-rejects.txt");
      const { writeFile } = await import("node:fs/promises");
      await writeFile(nodeRejectsPath, this.nodeRejects.join("\n") + "\n");
      await run(`INSERT INTO rejects SELECT obj, line, json_extract_string(text, '$.reason'), text FROM read_csv(${sqlLiteral(nodeRejectsPath)},
        columns = {'obj': 'INTEGER', 'line': 'INTEGER', 'text': 'VARCHAR'}, delim = '\x01', quote = '', escape = '',
        header = false, auto_detect = false, new_line = '\\n', max_line_size = ${maxRecordBytes * 8 + 64})`);
    }

    // Counts: every record read is written or rejected.
    for (const row of await rows(`SELECT reason, count(*)::BIGINT AS n FROM rejects GROUP BY reason`)) {
      const reason = row.reason as RejectReason;
      if (rejectReasons.includes(reason)) this.report.rejectedByReason[reason] = Number(row.n);
    }
    const written = Number((await rows(`SELECT count(*)::BIGINT AS n FROM fresh`))[0]!.n);
    const rejected = Object.values(this.report.rejectedByReason).reduce((a, b) => a + b, 0);
    this.report.records = { read: written + rejected, written, rejected };
    for (const row of await rows(
      `SELECT k, count(*)::BIGINT AS n FROM (SELECT unnest(unknown_fields) AS k FROM fresh) GROUP BY k ORDER BY k`,
    )) {
      this.report.unknownFields[row.k as string] = Number(row.n);
    }

    onProgress?.({ phase: "write" });
    const manifest: CommitManifest = { runId: this.report.runId, publish: [], delete: [], state: [] };
    await this.writePartitions(run, rows, existingFiles, existingLocal.length > 0, fullRefresh, manifest);
    await this.writeRejects(run, manifest);
    if (fullRefresh) {
      for (const key of await listVisible(storage, "errors", "errors/transform/")) {
        manifest.delete.push({ bucket: "errors", key });
      }
    }
    return manifest;
  }

  /**
   * Lines the fast path handed to DuckDB as one record but which do not parse may still hold several
   * records (`{…} {…}` with a blank between). The scanner re-examines them; what it finds replaces the line.
   */
  private async resplitInvalidLines(
    connection: DuckDBConnection,
    sources: SourceObject[],
    rulesSql: (input: string) => string,
  ): Promise<void> {
    const invalid = (
      await connection.runAndReadAll(`SELECT obj, line, raw FROM judged WHERE reason = 'malformed_json'`)
    ).getRowObjectsJS() as { obj: number; line: number; raw: string }[];
    if (invalid.length === 0) return;
    const path = join(this.scratch, "resplit.txt");
    const writer = await StagingWriter.create(path);
    for (const row of invalid) {
      const found: { line: number; text: Buffer }[] = [];
      const rejects: SplitReject[] = [];
      await splitObject(
        Buffer.from(row.raw, "utf8"),
        {
          record: (line, text) => void found.push({ line, text: Buffer.from(text) }),
          reject: (r) => void rejects.push(r),
        },
        { firstLine: row.line, scanEverything: true },
      );
      if (found.length === 0 && rejects.length === 1 && rejects[0]!.reason === "malformed_json") continue;
      await connection.run(
        `DELETE FROM judged WHERE obj = ${row.obj} AND line = ${row.line} AND raw = ${sqlLiteral(row.raw)}`,
      );
      for (const reject of rejects) this.addNodeReject(sources[row.obj]!, reject);
      for (const record of found) await writer.add(row.obj, record.line, record.text, true);
    }
    await writer.close();
    if (writer.records === 0) return;
    await connection.run(`CREATE TABLE resplit AS ${stagedReader(path)}`);
    await connection.run(`INSERT INTO judged BY NAME ${rulesSql("resplit")}`);
  }

  /**
   * DuckDB's JSON reader accepts a few things RFC 8259 does not (NaN/Infinity literals, trailing commas).
   * The few records whose text could contain them are re-checked with JSON.parse, the strict judge.
   */
  private async rejectLenientJson(connection: DuckDBConnection): Promise<void> {
    const suspects = (
      await connection.runAndReadAll(`SELECT obj, line, raw FROM judged
        WHERE reason IS DISTINCT FROM 'malformed_json'
          AND regexp_matches(raw, '(?i)[:\\[,]\\s*[+-]?(nan|inf)|,\\s*[}\\]]')`)
    ).getRowObjectsJS() as { obj: number; line: number; raw: string }[];
    for (const suspect of suspects) {
      try {
        JSON.parse(suspect.raw);
      } catch {
        await connection.run(`UPDATE judged SET reason = 'malformed_json', field = NULL,
          message = 'the text is not valid JSON (RFC 8259)', unknown_fields = NULL
          WHERE obj = ${suspect.obj} AND line = ${suspect.line} AND raw = ${sqlLiteral(suspect.raw)}`);
      }
    }
  }

  /**
   * Rewrites every partition that gains rows, plus every partition holding rows of a session that gains
   * events (its event_sequence may shift). Rows of other sessions keep their values.
   */
  private async writePartitions(
    run: (sql: string) => Promise<void>,
    rows: (sql: string) => Promise<Record<string, unknown>[]>,
    existingFiles: string[],
    haveExisting: boolean,
    fullRefresh: boolean,
    manifest: CommitManifest,
  ): Promise<void> {
    const { storage, config } = this.options;
    const partitionOf = (key: string): string => key.split("/").slice(1, 4).join("/");
    await run(
      `CREATE TABLE touched_sessions AS SELECT DISTINCT session_id FROM fresh WHERE session_id IS NOT NULL`,
    );
    await run(`CREATE TABLE affected AS
      SELECT DISTINCT year, month, day FROM fresh
      UNION SELECT DISTINCT year, month, day FROM existing_ids WHERE session_id IN (SELECT session_id FROM touched_sessions)`);
    const affected = new Set(
      (await rows(`SELECT year, month, day FROM affected`)).map(
        (r) => `year=${r.year}/month=${r.month}/day=${r.day}`,
      ),
    );
    const oldFiles = fullRefresh
      ? existingFiles
      : existingFiles.filter((key) => affected.has(partitionOf(key)));
    const processed = `TIMESTAMP '${this.processingTime.toISOString().replace("T", " ").replace("Z", "")}'`;
    const keep = outputColumns.filter(
      (c) => c !== "event_sequence" && c !== "is_session_start" && c !== "processed_timestamp",
    );

    if (haveExisting && oldFiles.length > 0) {
      const oldLocal = await this.localFiles(oldFiles);
      await run(`CREATE TABLE old_rows AS SELECT * FROM read_parquet([${oldLocal.map(sqlLiteral).join(", ")}],
        hive_partitioning = true, hive_types = {'year': VARCHAR, 'month': VARCHAR, 'day': VARCHAR}, union_by_name = true)`);
      this.report.rowsRewritten = Number((await rows(`SELECT count(*)::BIGINT AS n FROM old_rows`))[0]!.n);
    } else {
      await run(`CREATE TABLE old_rows AS SELECT ${outputColumns.map((c) => `NULL::${transformedColumns.find((x) => x.name === c)!.duckdbType} AS ${c}`).join(", ")},
        NULL::VARCHAR AS year, NULL::VARCHAR AS month, NULL::VARCHAR AS day WHERE false`);
    }
    await run(`CREATE TABLE combined AS
      SELECT ${keep.join(", ")}, event_sequence, is_session_start, processed_timestamp, year, month, day,
             session_id IN (SELECT session_id FROM touched_sessions) AS resequence
      FROM old_rows
      UNION ALL
      SELECT ${keep.join(", ")}, NULL::BIGINT, NULL::BOOLEAN, ${processed}, year, month, day, true
      FROM fresh`);
    const sequence = `CASE WHEN session_id IS NULL THEN NULL
        WHEN resequence THEN row_number() OVER (PARTITION BY session_id ORDER BY event_time, event_id)
        ELSE event_sequence END`;
    const outDir = join(this.scratch, "out");
    const count = Number((await rows(`SELECT count(*)::BIGINT AS n FROM combined`))[0]!.n);
    if (count > 0) {
      await run(`COPY (
          SELECT ${outputColumns
            .map((c) =>
              c === "event_sequence"
                ? `(${sequence})::BIGINT AS event_sequence`
                : c === "is_session_start"
                  ? `CASE WHEN session_id IS NULL THEN NULL ELSE (${sequence}) = 1 END AS is_session_start`
                  : c,
            )
            .join(", ")}, year, month, day
          FROM combined
        ) TO ${sqlLiteral(outDir)} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (year, month, day),
          FILENAME_PATTERN 'part-${this.report.runId}-{i}', ROW_GROUP_SIZE 122880)`);
      void config;
    }

    for (const file of await listFiles(outDir)) {
      const relativeKey = relative(outDir, file).split(sep).join("/");
      const staged = `${stagingPrefix("transformed", this.report.runId)}${relativeKey}`;
      const info = await storage.moveFileIn("transformed", staged, file);
      this.report.bytesWritten += info.size;
      manifest.publish.push({ bucket: "transformed", from: staged, to: `transformed/${relativeKey}` });
    }
    for (const key of oldFiles) manifest.delete.push({ bucket: "transformed", key });
    this.report.partitionsWritten = [...new Set(manifest.publish.map((p) => partitionOf(p.to)))].sort();
  }

  /** One NDJSON object of rejects per run, in source order, under errors/transform/year=…/month=…/day=… (run date). */
  private async writeRejects(run: (sql: string) => Promise<void>, manifest: CommitManifest): Promise<void> {
    const { storage } = this.options;
    const total = Object.values(this.report.rejectedByReason).reduce((a, b) => a + b, 0);
    if (total === 0) return;
    const path = join(this.scratch, "rejects.ndjson");
    await run(`COPY (SELECT text FROM rejects ORDER BY obj, line) TO ${sqlLiteral(path)}
      (FORMAT csv, HEADER false, QUOTE '', ESCAPE '', DELIMITER '\x01')`);
    const d = this.processingTime;
    const datePath = `year=${d.getUTCFullYear()}/month=${pad2(d.getUTCMonth() + 1)}/day=${pad2(d.getUTCDate())}`;
    const relativeKey = `transform/${datePath}/${this.report.runId}.ndjson`;
    const staged = `${stagingPrefix("errors", this.report.runId)}${relativeKey}`;
    const info = await storage.moveFileIn("errors", staged, path);
    this.report.bytesWritten += info.size;
    manifest.publish.push({ bucket: "errors", from: staged, to: `errors/${relativeKey}` });
    this.report.errorObjects.push(`errors/${relativeKey}`);
  }

  /** Local paths DuckDB can read for objects of the transformed bucket (downloaded when storage is remote). */
  private async localFiles(keys: string[]): Promise<string[]> {
    const { storage } = this.options;
    const out: string[] = [];
    for (const key of keys) {
      const local = storage.localPath("transformed", key);
      if (local) {
        out.push(local);
        continue;
      }
      const target = join(this.scratch, "cache", ...key.split("/"));
      await mkdir(join(target, ".."), { recursive: true });
      const { writeFile } = await import("node:fs/promises");
      await writeFile(target, await storage.readBytes("transformed", key));
      out.push(target);
    }
    return out;
  }
}

const pad2 = (n: number): string => String(n).padStart(2, "0");

/** Reads a staging file written by StagingWriter. */
function stagedReader(path: string): string {
  return `SELECT * FROM read_csv(${sqlLiteral(path)},
      columns = {'obj': 'INTEGER', 'line': 'INTEGER', 'checked': 'BOOLEAN', 'raw': 'VARCHAR'},
      delim = '\x01', quote = '', escape = '', header = false, auto_detect = false, new_line = '\\n',
      max_line_size = ${maxRecordBytes * 2 + 64})`;
}

function sqlLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if ((await stat(p)).isFile()) out.push(p);
    }
  };
  await walk(dir);
  return out.sort();
}

export { ClickstreamError };
