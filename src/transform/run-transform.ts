import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, readdir, rm, stat } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { join, relative, resolve, sep } from "node:path";
import { quotedString } from "@duckdb/node-api";
import type { TransformConfig } from "../config/config-schema.js";
import { ClickstreamError, wrapError } from "../errors/clickstream-error.js";
import type { Storage } from "../storage/storage.js";
import { datePartitionPath } from "../storage/warehouse-layout.js";
import {
  applyManifest,
  listVisible,
  recover,
  stagingPrefix,
  writeManifest,
  type CommitManifest,
} from "./commit-log.js";
import { limits, transformedColumns, type RejectReason } from "../contract/data-contract.js";
import { propertiesFromText } from "./properties-text.js";
import { decodeObject, splitObject, type SplitReject } from "./record-splitter.js";
import { buildRulesSql } from "./record-rules-sql.js";
import { rejectToLine } from "./reject-record.js";
import { RunLock } from "./run-lock.js";
import { emptyReasonCounts, type RunReport } from "./run-report.js";
import { SqlRunner } from "./sql-runner.js";
import { StagingWriter, stagingColumnSeparator } from "./staging-writer.js";
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
  /** Rejects found while framing (obj, line, reason, NDJSON line), merged with DuckDB's in errors/. */
  private readonly nodeRejects: [number, number, string, string][] = [];
  /** Records handed to DuckDB (staged, less lines replaced by their re-split records). */
  private recordsFramed = 0;
  /** Transformed objects fetched from remote storage in this run: key → local copy. */
  private readonly downloaded = new Map<string, string>();

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
    const readStarted = performance.now();
    await this.readSources(sources, stagingPath);
    if (process.env.CLICKSTREAM_DEBUG_SQL) {
      process.stderr.write(
        `[read ${(performance.now() - readStarted).toFixed(0)} ms] ${sources.length} objects\n`,
      );
    }

    const sql = await SqlRunner.open({
      memoryLimitBytes: this.options.config.duckdbMemoryLimitBytes,
      threads: this.options.config.duckdbThreads,
      tempDir: join(this.scratch, "duckdb-tmp"),
    });
    try {
      const manifest = await this.transformInDuckDB(sql, sources, stagingPath, existingFiles, fullRefresh);
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
      sql.close();
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
          bytes = decodeObject(bytes, source.key);
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
      this.recordsFramed += writer.records;
    }
  }

  private addNodeReject(source: SourceObject, reject: SplitReject): void {
    const text = rejectToLine({
      reason: reject.reason,
      field: null,
      message: reject.message,
      source: source.key,
      line: reject.line,
      raw: reject.raw.toString("utf8"),
    }).trimEnd();
    this.nodeRejects.push([source.obj, reject.line ?? 0, reject.reason, text]);
  }

  /** Phase 2 (DuckDB): rules, dedup, session sequence, Parquet output; returns the manifest to commit. */
  private async transformInDuckDB(
    sql: SqlRunner,
    sources: SourceObject[],
    stagingPath: string,
    existingFiles: string[],
    fullRefresh: boolean,
  ): Promise<CommitManifest> {
    const { storage, config, onProgress } = this.options;
    onProgress?.({ phase: "validate" });

    await sql.run(`CREATE TABLE sources (obj INTEGER, key VARCHAR)`);
    await sql.append(
      "sources",
      sources.map((s) => [s.obj, s.key]),
    );

    await sql.run(`CREATE TABLE event_categories (event_type VARCHAR, event_category VARCHAR)`);
    await sql.append("event_categories", Object.entries(config.eventCategories));
    const ruleValues = {
      max_event_ms: this.processingTime.getTime() + config.futureToleranceMs,
      tolerance_hours: Math.round(config.futureToleranceMs / 3_600_000),
      other_category: config.otherCategory,
    };
    const rulesSql = (input: string): string =>
      buildRulesSql(`(SELECT obj, line, seq AS sub, checked, raw FROM ${input})`);
    await sql.run(`CREATE TABLE judged AS ${rulesSql(stagedReader(stagingPath))}`, ruleValues);
    await this.resplitInvalidLines(sql, sources, rulesSql, ruleValues);
    await this.rejectLenientJson(sql);
    await this.resolveProperties(sql);

    // First arrival wins: ids already in the table beat everything new; within the run, the lowest seq.
    const existingLocal = fullRefresh ? [] : await this.localFiles(existingFiles);
    if (existingLocal.length > 0) {
      await sql.run(`CREATE TABLE existing_ids AS
        SELECT event_id, session_id, year, month, day FROM ${parquetReader(existingLocal, ["event_id", "session_id"])}`);
    } else {
      await sql.run(`CREATE TABLE existing_ids
        (event_id VARCHAR, session_id VARCHAR, year VARCHAR, month VARCHAR, day VARCHAR)`);
    }
    // Only ids that occur twice (or were seen before) need ranking: a full window over all rows is slow.
    await sql.run(`CREATE TABLE losers AS
      WITH candidates AS (
        SELECT event_id FROM judged WHERE reason IS NULL GROUP BY event_id HAVING count(*) > 1
        UNION SELECT event_id FROM judged WHERE reason IS NULL AND event_id IN (SELECT event_id FROM existing_ids)
      ),
      ranked AS (
        SELECT sub AS seq, event_id, event_id IN (SELECT event_id FROM existing_ids) AS seen_before,
               row_number() OVER (PARTITION BY event_id ORDER BY sub) AS arrival_rank
        FROM judged WHERE reason IS NULL AND event_id IN (SELECT event_id FROM candidates)
      )
      SELECT seq, seen_before FROM ranked WHERE arrival_rank > 1 OR seen_before`);
    if ((await sql.count("losers")) > 0) {
      await sql.run(`UPDATE judged SET reason = 'duplicate', field = 'event_id',
          message = 'event_id ' || judged.event_id || CASE WHEN l.seen_before
            THEN ' was already written by an earlier run' ELSE ' already appeared earlier in this run' END
        FROM losers l WHERE judged.sub = l.seq`);
      // The raw text of duplicates was not carried (they looked valid): fetch just those lines again.
      await sql.run(`UPDATE judged SET raw = s.raw FROM (
          SELECT seq, raw FROM ${stagedReader(stagingPath)} WHERE seq IN (SELECT seq FROM losers)) s
        WHERE judged.sub = s.seq AND judged.raw IS NULL`);
    }

    // Counts: every record read is written or rejected.
    await this.loadNodeRejects(sql);
    for (const row of await sql.rows(`SELECT reason, count(*)::BIGINT AS n FROM (
        SELECT reason FROM judged WHERE reason IS NOT NULL UNION ALL SELECT reason FROM node_rejects)
        GROUP BY reason`)) {
      this.report.rejectedByReason[row.reason as RejectReason] = Number(row.n);
    }
    const written = Number(
      (await sql.rows(`SELECT count(*)::BIGINT AS n FROM judged WHERE reason IS NULL`))[0]!.n,
    );
    const rejected = Object.values(this.report.rejectedByReason).reduce((a, b) => a + b, 0);
    // Read is counted where records are found, not derived: a record lost between framing and the
    // tables breaks the equation, and the run fails before it commits anything.
    const read = this.recordsFramed + this.nodeRejects.length;
    if (read !== written + rejected) {
      throw new ClickstreamError(
        "CS_ERR_INTERNAL",
        `records read ${read} ≠ written ${written} + rejected ${rejected}; nothing was committed`,
      );
    }
    this.report.records = { read, written, rejected };
    for (const row of await sql.rows(`SELECT k, count(*)::BIGINT AS n
        FROM (SELECT unnest(unknown_fields) AS k FROM judged WHERE reason IS NULL) GROUP BY k ORDER BY k`)) {
      this.report.unknownFields[row.k as string] = Number(row.n);
    }

    onProgress?.({ phase: "write" });
    const manifest: CommitManifest = { runId: this.report.runId, publish: [], delete: [], state: [] };
    await this.writePartitions(sql, existingFiles, existingLocal.length > 0, fullRefresh, manifest);
    await this.writeRejects(sql, manifest);
    if (fullRefresh) {
      for (const key of await listVisible(storage, "errors", "errors/transform/")) {
        manifest.delete.push({ bucket: "errors", key });
      }
    }
    return manifest;
  }

  /** Framing rejects found by Node, as a table beside DuckDB's own. */
  private async loadNodeRejects(sql: SqlRunner): Promise<void> {
    await sql.run(`CREATE TABLE node_rejects (obj INTEGER, line INTEGER, reason VARCHAR, text VARCHAR)`);
    await sql.append("node_rejects", this.nodeRejects);
  }

  /**
   * Lines the fast path handed to DuckDB as one record but which do not parse may still hold several
   * records (`{…} {…}` with a blank between). The scanner re-examines them; what it finds replaces the line.
   */
  private async resplitInvalidLines(
    sql: SqlRunner,
    sources: SourceObject[],
    rulesSql: (input: string) => string,
    ruleValues: Record<string, string | number>,
  ): Promise<void> {
    const invalid = (await sql.rows(
      `SELECT sub AS seq, obj, line, raw FROM judged WHERE reason = 'malformed_json'`,
    )) as { seq: number; obj: number; line: number; raw: string }[];
    if (invalid.length === 0) return;
    const path = join(this.scratch, "resplit.txt");
    const writer = await StagingWriter.create(path);
    const replaced: number[] = [];
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
      replaced.push(row.seq);
      for (const reject of rejects) this.addNodeReject(sources[row.obj]!, reject);
      // Keep arrival order: the line's records take fractional places right after the line's own seq.
      for (const [k, record] of found.entries()) {
        await writer.add(row.obj, record.line, record.text, true, row.seq + (k + 1) / (found.length + 1));
      }
    }
    await writer.close();
    this.recordsFramed += writer.records - replaced.length;
    if (replaced.length > 0) await sql.run(`DELETE FROM judged WHERE sub IN (${replaced.join(", ")})`);
    if (writer.records > 0)
      await sql.run(`INSERT INTO judged BY NAME ${rulesSql(stagedReader(path))}`, ruleValues);
  }

  /**
   * DuckDB's JSON reader accepts a few things RFC 8259 does not (NaN/Infinity literals, trailing commas).
   * The rules flag records whose text could contain them; JSON.parse, the strict judge, decides.
   */
  private async rejectLenientJson(sql: SqlRunner): Promise<void> {
    const suspects = (await sql.rows(
      `SELECT sub AS seq, raw FROM judged WHERE suspect AND reason IS DISTINCT FROM 'malformed_json'`,
    )) as { seq: number; raw: string }[];
    const bad: number[] = [];
    for (const suspect of suspects) {
      try {
        JSON.parse(suspect.raw);
      } catch {
        bad.push(suspect.seq);
      }
    }
    if (bad.length === 0) return;
    await sql.run(`UPDATE judged SET reason = 'malformed_json', field = NULL,
        message = 'the text is not valid JSON (RFC 8259)', unknown_fields = NULL, event_time = NULL
      WHERE sub IN (${bad.join(", ")})`);
  }

  /** Properties objects DuckDB could not map in bulk are mapped from the record's exact text. */
  private async resolveProperties(sql: SqlRunner): Promise<void> {
    const pending = (await sql.rows(
      `SELECT sub AS seq, raw FROM judged WHERE properties_pending AND reason IS NULL`,
    )) as { seq: number; raw: string }[];
    if (pending.length === 0) return;
    await sql.run(`CREATE TABLE property_entries (seq DOUBLE, k VARCHAR, v VARCHAR, ord INTEGER)`);
    const rows: [number, string, string, number][] = [];
    for (const p of pending) {
      for (const [i, [k, v]] of (propertiesFromText(p.raw, "properties") ?? []).entries())
        rows.push([p.seq, k, v, i]);
    }
    await sql.appendRows("property_entries", rows, ["DOUBLE", "VARCHAR", "VARCHAR", "INTEGER"]);
    await sql.run(`UPDATE judged SET properties = e.m FROM (
        SELECT seq, map_from_entries(list({'k': k, 'v': v} ORDER BY ord)) AS m FROM property_entries GROUP BY seq) e
      WHERE judged.sub = e.seq`);
  }

  /**
   * Rewrites every partition that gains rows, plus every partition holding rows of a session that gains
   * events (its event_sequence may shift). Rows of other sessions keep their values.
   */
  private async writePartitions(
    sql: SqlRunner,
    existingFiles: string[],
    haveExisting: boolean,
    fullRefresh: boolean,
    manifest: CommitManifest,
  ): Promise<void> {
    const { storage } = this.options;
    const partitionOf = (key: string): string => key.split("/").slice(1, 4).join("/");
    const yearMonthDay = `strftime(event_time, '%Y') AS year, strftime(event_time, '%m') AS month,
      strftime(event_time, '%d') AS day`;
    const processed = `TIMESTAMP '${this.processingTime.toISOString().replace("T", " ").replace("Z", "")}'`;
    const newColumns = outputColumns
      .map((c) =>
        c === "event_sequence"
          ? "NULL::BIGINT AS event_sequence"
          : c === "is_session_start"
            ? "NULL::BOOLEAN AS is_session_start"
            : c === "processed_timestamp"
              ? `${processed} AS processed_timestamp`
              : c,
      )
      .join(", ");
    // rid identifies a row for the sequence join below: a new row's seq (≥ 0), an old row's -1 - rowid.
    const fresh = `SELECT ${newColumns}, ${yearMonthDay}, true AS resequence, sub AS rid FROM judged WHERE reason IS NULL`;

    let oldFiles: string[] = [];
    let source = fresh;
    if (haveExisting && !fullRefresh) {
      await sql.run(`CREATE TABLE touched_sessions AS
        SELECT DISTINCT session_id FROM judged WHERE reason IS NULL AND session_id IS NOT NULL`);
      const affected = new Set(
        (
          await sql.rows(`SELECT DISTINCT year, month, day FROM (
            SELECT ${yearMonthDay} FROM judged WHERE reason IS NULL
            UNION ALL SELECT year, month, day FROM existing_ids
              WHERE session_id IN (SELECT session_id FROM touched_sessions))`)
        ).map((r) => `year=${r.year}/month=${r.month}/day=${r.day}`),
      );
      oldFiles = existingFiles.filter((key) => affected.has(partitionOf(key)));
      if (oldFiles.length > 0) {
        await sql.run(
          `CREATE TABLE old_rows AS SELECT * FROM ${parquetReader(await this.localFiles(oldFiles))}`,
        );
        this.report.rowsRewritten = await sql.count("old_rows");
        source = `SELECT ${outputColumns.join(", ")}, year, month, day,
            session_id IN (SELECT session_id FROM touched_sessions) AS resequence, -1 - rowid AS rid FROM old_rows
          UNION ALL ${fresh}`;
      }
    } else if (fullRefresh) {
      oldFiles = existingFiles;
    }

    // Sequence numbers come from a narrow window (row id, session, time, id) joined back by row id: a
    // window over the full rows would sort every column of every row.
    await sql.run(`CREATE TABLE output_source AS ${source}`);
    await sql.run(`CREATE TABLE sequences AS
      SELECT rid, row_number() OVER (PARTITION BY session_id ORDER BY event_time, event_id) AS seq_no
      FROM output_source WHERE resequence AND session_id IS NOT NULL`);
    const sequence = `CASE WHEN o.session_id IS NULL THEN NULL WHEN o.resequence THEN s.seq_no ELSE o.event_sequence END`;
    const select = outputColumns
      .map((c) =>
        c === "event_sequence"
          ? `(${sequence})::BIGINT AS event_sequence`
          : c === "is_session_start"
            ? `CASE WHEN o.session_id IS NULL THEN NULL ELSE (${sequence}) = 1 END AS is_session_start`
            : `o.${c}`,
      )
      .join(", ");
    const joined = `SELECT ${select}, o.year, o.month, o.day FROM output_source o LEFT JOIN sequences s USING (rid)`;
    const outDir = join(this.scratch, "out");
    await this.copyPartitions(sql, joined, outDir);

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

  /**
   * Writes rows as Parquet, one folder per partition. DuckDB cannot split files while partitioning, so a
   * partition with more than `maxRowsPerFile` rows is written on its own, split into files of that size:
   * no file grows past a few hundred MB however busy a day is.
   */
  private async copyPartitions(sql: SqlRunner, rowsSql: string, outDir: string): Promise<void> {
    const maxRows = this.options.config.maxRowsPerFile;
    const rowGroup = Math.min(122_880, maxRows);
    const options = `FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${rowGroup}`;
    const pattern = `FILENAME_PATTERN 'part-${this.report.runId}-{i}'`;
    await sql.run(`CREATE TEMP VIEW output_rows AS ${rowsSql}`);
    const big = (await sql.rows(`SELECT year, month, day FROM output_source
      GROUP BY ALL HAVING count(*) > ${maxRows}`)) as { year: string; month: string; day: string }[];
    if (big.length === 0) {
      await sql.run(
        `COPY output_rows TO ${quotedString(outDir)} (${options}, PARTITION_BY (year, month, day), ${pattern})`,
      );
      return;
    }
    // The sequence numbers need every row of a session at once: compute them once, then split the writes.
    await sql.run(`CREATE TEMP TABLE output_final AS SELECT * FROM output_rows`);
    const isBig = big
      .map((p) => `(year = '${p.year}' AND month = '${p.month}' AND day = '${p.day}')`)
      .join(" OR ");
    await sql.run(`COPY (SELECT * FROM output_final WHERE NOT (${isBig})) TO ${quotedString(outDir)}
      (${options}, PARTITION_BY (year, month, day), ${pattern}, OVERWRITE_OR_IGNORE)`);
    for (const p of big) {
      const dir = join(outDir, `year=${p.year}`, `month=${p.month}`, `day=${p.day}`);
      await mkdir(dir, { recursive: true }); // COPY creates the last folder only
      await sql.run(`COPY (SELECT * EXCLUDE (year, month, day) FROM output_final
          WHERE year = '${p.year}' AND month = '${p.month}' AND day = '${p.day}')
        TO ${quotedString(dir)} (${options}, ${pattern}, ROW_GROUPS_PER_FILE ${Math.ceil(maxRows / rowGroup)})`);
      // File rotation can leave a last file with no rows: it would only cost readers an open.
      const empty =
        await sql.rows(`SELECT file_name FROM parquet_file_metadata(${quotedString(`${dir}/*.parquet`)})
        WHERE num_rows = 0`);
      for (const row of empty) await rm(String(row.file_name), { force: true });
    }
  }

  /** One NDJSON object of rejects per run, in source order, under errors/transform/year=…/month=…/day=… (run date). */
  private async writeRejects(sql: SqlRunner, manifest: CommitManifest): Promise<void> {
    const { storage } = this.options;
    if (this.report.records.rejected === 0) return;
    const path = join(this.scratch, "rejects.ndjson");
    const line = `to_json({'reason': j.reason, 'field': j.field, 'message': j.message, 'source': s.key,
      'line': j.line, 'raw': j.raw})`;
    // Lines are complete JSON texts already, so the CSV writer is told to add nothing (no quotes, no escapes).
    await sql.run(`COPY (
        SELECT text FROM (
          SELECT j.obj, j.line, j.sub AS seq, ${line} AS text FROM judged j JOIN sources s USING (obj) WHERE j.reason IS NOT NULL
          UNION ALL SELECT obj, line, -1, text FROM node_rejects)
        ORDER BY obj, line, seq)
      TO ${quotedString(path)} (FORMAT csv, HEADER false, QUOTE '', ESCAPE '', DELIMITER ${quotedString(stagingColumnSeparator)})`);
    const relativeKey = `transform/${datePartitionPath(this.processingTime)}${this.report.runId}.ndjson`;
    const staged = `${stagingPrefix("errors", this.report.runId)}${relativeKey}`;
    const info = await storage.moveFileIn("errors", staged, path);
    this.report.bytesWritten += info.size;
    manifest.publish.push({ bucket: "errors", from: staged, to: `errors/${relativeKey}` });
    this.report.errorObjects.push(`errors/${relativeKey}`);
  }

  /** Local paths DuckDB can read for objects of the transformed bucket (downloaded once when storage is remote). */
  private async localFiles(keys: string[]): Promise<string[]> {
    const { storage } = this.options;
    const out: string[] = [];
    for (const key of keys) {
      const local = storage.localPath("transformed", key) ?? this.downloaded.get(key);
      if (local) {
        out.push(local);
        continue;
      }
      const target = join(this.scratch, "cache", ...key.split("/"));
      await mkdir(join(target, ".."), { recursive: true });
      await pipeline(await storage.readStream("transformed", key), createWriteStream(target));
      this.downloaded.set(key, target);
      out.push(target);
    }
    return out;
  }
}

/** A relation over a staging file written by StagingWriter. */
function stagedReader(path: string): string {
  return `read_csv(${quotedString(path)},
      columns = {'seq': 'DOUBLE', 'obj': 'INTEGER', 'line': 'INTEGER', 'checked': 'BOOLEAN', 'raw': 'VARCHAR'},
      delim = ${quotedString(stagingColumnSeparator)}, quote = '', escape = '', header = false, auto_detect = false, new_line = '\\n',
      max_line_size = ${limits.maxRecordBytes * 2 + 64})`;
}

/** A relation over transformed Parquet files, partition keys typed as strings (as Athena and Glue see them). */
function parquetReader(files: string[], columns?: string[]): string {
  const list = `[${files.map(quotedString).join(", ")}]`;
  const relation = `read_parquet(${list}, hive_partitioning = true,
    hive_types = {'year': VARCHAR, 'month': VARCHAR, 'day': VARCHAR}, union_by_name = true)`;
  return columns ? `(SELECT ${columns.join(", ")}, year, month, day FROM ${relation})` : relation;
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
