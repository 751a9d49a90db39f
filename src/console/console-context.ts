import type { LiveEventSource } from "../collector/recent-events.js";
import type { ClickstreamConfig } from "../config/config-schema.js";
import type { Storage } from "../storage/storage.js";
import type { DashboardQueries } from "./dashboard-queries.js";
import type { DataQuality } from "./data-quality.js";
import type { EnginePool } from "../query/engine-pool.js";
import type { QueryHistory } from "./query-history.js";
import type { ResultCache } from "./result-cache.js";

/** What the console's routes share: the warehouse, its engines and the console's own state. */
export interface ConsoleContext {
  storage: Storage;
  config: Readonly<Pick<ClickstreamConfig, "catalog" | "query" | "warehouse">>;
  pool: EnginePool;
  /** The dashboard's statements go through it (the workbench's go to the pool directly). */
  dashboardResults: ResultCache;
  dashboard: DashboardQueries;
  history: QueryHistory;
  quality: DataQuality;
  live: LiveEventSource;
}
