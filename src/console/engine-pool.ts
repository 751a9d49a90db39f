import { availableParallelism } from "node:os";
import type { ClickstreamConfig } from "../config/config-schema.js";
import {
  openQueryEngine,
  type QueryEngine,
  type RunOptions,
  type ScanProfile,
} from "../query/query-engine.js";
import type { QueryResult } from "../query/query-result.js";
import { vanishedFile } from "../query/vanished-file.js";
import type { Storage } from "../storage/storage.js";
import { stateKeys } from "../storage/warehouse-layout.js";

/**
 * Keys whose change means the engines' file lists may be stale: the catalog (a crawl) and what a
 * transform or compaction writes when it commits (the table snapshot, the bookmark, the commit
 * manifest, its run report).
 */
const { transform } = stateKeys;
const watchedKeys = new Set<string>([
  transform.snapshot,
  transform.bookmark,
  transform.legacyBookmark,
  transform.manifest,
  transform.lastRun,
]);
const watched = (key: string): boolean =>
  key.startsWith(stateKeys.catalogPrefix) || key.startsWith(transform.runsPrefix) || watchedKeys.has(key);

/** How often (at most) the watched keys are listed again; queries in between reuse the last look. */
const recheckIntervalMs = 1000;

export interface EnginePoolOptions {
  storage: Storage;
  config: Pick<ClickstreamConfig, "catalog" | "query" | "warehouse">;
  /** Engines (DuckDB instances) answering at once. */
  size: number;
}

/**
 * Several query engines over one warehouse, so the dashboard's queries run in parallel, kept current
 * for a long-running console: before a query, when the catalog or the transform's run reports changed
 * (a crawl, a transform or a compaction happened), every engine re-reads the catalog and file list;
 * a query that fails because a file vanished under it (replaced between two looks) is retried once
 * after such a refresh.
 */
export class EnginePool {
  private readonly pending: number[];
  /** Bumped whenever the engines re-read the catalog: answers computed before may be stale. */
  private generation = 0;
  private signature = "";
  private checkedAt = 0;
  private checking: Promise<void> | undefined;

  private constructor(
    private readonly engines: QueryEngine[],
    private readonly storage: Storage,
  ) {
    this.pending = engines.map(() => 0);
  }

  static async open(options: EnginePoolOptions): Promise<EnginePool> {
    // The engines share the cores: unless configured, each gets its share of them (measured: on 2 cores,
    // two 1-thread engines spend a quarter less CPU on the dashboard than two 2-thread ones).
    const threads =
      options.config.query.duckdbThreads || Math.max(1, Math.floor(availableParallelism() / options.size));
    const config = { ...options.config, query: { ...options.config.query, duckdbThreads: threads } };
    const engines: QueryEngine[] = [];
    try {
      for (let i = 0; i < options.size; i++) engines.push(await openQueryEngine({ ...options, config }));
    } catch (error) {
      for (const engine of engines) engine.close();
      throw error;
    }
    const pool = new EnginePool(engines, options.storage);
    pool.signature = await pool.currentSignature();
    pool.checkedAt = Date.now();
    return pool;
  }

  /** Runs one statement on the least busy engine. */
  run(sql: string, options: RunOptions = {}): Promise<QueryResult> {
    return this.withEngine((engine) => engine.run(sql, options));
  }

  /** Which files a query reads (EXPLAIN ANALYZE), for bytes scanned. */
  profile(sql: string, options: RunOptions = {}): Promise<ScanProfile> {
    return this.withEngine((engine) => engine.profile(sql, options));
  }

  /** Re-reads the catalog now if it changed since the last look (also done before every query). */
  async refreshIfChanged(): Promise<void> {
    if (Date.now() - this.checkedAt < recheckIntervalMs) return this.checking;
    this.checking ??= (async () => {
      try {
        const now = await this.currentSignature();
        if (now !== this.signature) {
          await this.refreshAll();
          this.signature = now;
        }
        this.checkedAt = Date.now();
      } finally {
        this.checking = undefined;
      }
    })();
    return this.checking;
  }

  /** Changes whenever the engines re-read the catalog (after a crawl, a transform or a replaced file). */
  get version(): number {
    return this.generation;
  }

  close(): void {
    for (const engine of this.engines) engine.close();
  }

  private async withEngine<T>(fn: (engine: QueryEngine) => Promise<T>): Promise<T> {
    await this.refreshIfChanged();
    try {
      return await this.onLeastBusy(fn);
    } catch (error) {
      if (!vanishedFile(error)) throw error;
      // Files were replaced between the last look and the read: look again, then try once more.
      await this.refreshAll();
      this.signature = await this.currentSignature();
      return this.onLeastBusy(fn);
    }
  }

  private async onLeastBusy<T>(fn: (engine: QueryEngine) => Promise<T>): Promise<T> {
    const index = this.pending.indexOf(Math.min(...this.pending));
    this.pending[index]!++;
    try {
      return await fn(this.engines[index]!);
    } finally {
      this.pending[index]!--;
    }
  }

  private async refreshAll(): Promise<void> {
    this.generation++;
    await Promise.all(this.engines.map((engine) => engine.refresh()));
  }

  private async currentSignature(): Promise<string> {
    const parts: string[] = [];
    for await (const object of this.storage.list("state", stateKeys.root)) {
      if (watched(object.key)) parts.push(`${object.key}:${object.size}:${object.lastModified.getTime()}`);
    }
    return parts.join("\n");
  }
}
