import type { QueryParam, RunOptions } from "../query/query-engine.js";
import type { QueryResult } from "../query/query-result.js";
import type { EnginePool } from "../query/engine-pool.js";

/** Answers kept; a dashboard view is 9 of them. */
const maxEntries = 500;

/**
 * The dashboard's answers, kept until the warehouse changes: the same range and filters shown again
 * (another tab, back to a range, a reload) cost nothing. Keyed by the statement and its bound values;
 * emptied whenever the engine pool re-reads the catalog (a crawl, a transform, a replaced file), so a
 * cached answer is never older than the data the engines would read. The workbench does not use it.
 */
export class ResultCache {
  private readonly entries = new Map<string, Promise<QueryResult>>();
  private version = -1;

  constructor(private readonly pool: EnginePool) {}

  async run(sql: string, options: RunOptions = {}): Promise<QueryResult> {
    await this.pool.refreshIfChanged();
    if (this.pool.version !== this.version) {
      this.entries.clear();
      this.version = this.pool.version;
    }
    const key = JSON.stringify([sql, options.params ?? ([] as QueryParam[])]);
    const hit = this.entries.get(key);
    if (hit) {
      // Most recently used last, so the oldest is evicted first.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const answer = this.pool.run(sql, options);
    this.entries.set(key, answer);
    // A failed answer is not kept: the next request tries again.
    answer.catch(() => this.entries.get(key) === answer && this.entries.delete(key));
    if (this.entries.size > maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return answer;
  }
}
