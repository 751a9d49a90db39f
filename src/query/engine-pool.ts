import { availableParallelism } from "node:os";
import type { ClickstreamConfig } from "../config/config-schema.js";
import { openQueryEngine, type QueryEngine, type RunOptions, type ScanProfile } from "./query-engine.js";
import type { QueryResult } from "./query-result.js";
import type { Storage } from "../storage/storage.js";
import { stateKeys } from "../storage/warehouse-layout.js";

/**
 * The catalog's files: a crawl changes them. A transform's commit is noticed by the engines themselves
 * (each follows the table's snapshot, query-engine.ts), which the pool asks between statements.
 */
const watched = (key: string): boolean => key.startsWith(stateKeys.catalogPrefix);

/** How often (at most) the watched keys are listed again; queries in between reuse the last look. */
const recheckIntervalMs = 1000;

export interface EnginePoolOptions {
  storage: Storage;
  config: Pick<ClickstreamConfig, "catalog" | "query" | "warehouse">;
  /** Engines (DuckDB instances) answering at once. */
  size: number;
  /** Each result says what its query read (openQueryEngine's `profileScans`). */
  profileScans?: boolean;
}

/**
 * Several query engines over one warehouse, so queries (the dashboard's, the local Athena's) run in parallel, kept current
 * for a long-running console: before a query (at most once a second), every engine re-reads the
 * catalog when a crawl changed it, and otherwise follows the table's snapshot when a transform or a
 * compaction committed since.
 */
export class EnginePool {
  private readonly pending: number[];
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

  /** Makes the next query look at the catalog again at once (a writer of the catalog calls it after a write). */
  catalogChanged(): void {
    this.checkedAt = 0;
  }

  /** Re-reads the catalog now if it changed since the last look (also done before every query). */
  async refreshIfChanged(): Promise<void> {
    if (Date.now() - this.checkedAt < recheckIntervalMs) return this.checking;
    this.checking ??= (async () => {
      try {
        const now = await this.currentSignature();
        if (now !== this.signature) {
          await Promise.all(this.engines.map((engine) => engine.refresh()));
          this.signature = now;
        } else {
          await Promise.all(this.engines.map((engine) => engine.follow()));
        }
        this.checkedAt = Date.now();
      } finally {
        this.checking = undefined;
      }
    })();
    return this.checking;
  }

  /** Changes whenever an engine rebuilt its views (after a crawl, a transform or a replaced file). */
  get version(): number {
    return this.engines.reduce((sum, engine) => sum + engine.viewsVersion, 0);
  }

  close(): void {
    for (const engine of this.engines) engine.close();
  }

  // A file replaced between the last look and the read is retried by the engine itself, on the new snapshot.
  private async withEngine<T>(fn: (engine: QueryEngine) => Promise<T>): Promise<T> {
    await this.refreshIfChanged();
    return this.onLeastBusy(fn);
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

  private async currentSignature(): Promise<string> {
    const parts: string[] = [];
    for await (const object of this.storage.list("state", stateKeys.catalogPrefix)) {
      if (watched(object.key)) parts.push(`${object.key}:${object.size}:${object.lastModified.getTime()}`);
    }
    return parts.join("\n");
  }
}
