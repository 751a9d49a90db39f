import type { FastifyInstance } from "fastify";
import { CatalogStore } from "../catalog/catalog-store.js";
import { ClickstreamError } from "../errors/clickstream-error.js";
import type { ConsoleContext } from "./console-context.js";
import {
  defaultRange,
  panelStatements,
  parseDashboardQuery,
  previousRange,
  type PanelName,
} from "./dashboard-queries.js";
import { partitionKeys } from "../contract/data-contract.js";
import type { RangeAnswer } from "./api-types.js";

const panels = new Set<string>(["timeseries", ...Object.keys(panelStatements)]);

/**
 * The dashboard's JSON: the tiles (`GET /api/overview`, the shape scripts and tests read), one panel
 * per request (`GET /api/panel/:name`) so the page fires them in parallel and draws each as it
 * arrives, and the range of days that have data (`GET /api/range`, for the default range).
 */
export function registerDashboardRoutes(app: FastifyInstance, context: ConsoleContext): void {
  app.get("/api/range", async (): Promise<RangeAnswer> => {
    const days = await partitionDays(context);
    if (days.length === 0) return { first: null, last: null, default: null, previous: null };
    const range = defaultRange(days[0]!, days.at(-1)!);
    return { first: days[0]!, last: days.at(-1)!, default: range, previous: previousRange(range) };
  });

  app.get("/api/overview", async (request) => {
    const query = parseDashboardQuery(request.query as Record<string, unknown>);
    return context.dashboard.overview(context.dashboardResults, query);
  });

  app.get<{ Params: { name: string } }>("/api/panel/:name", async (request) => {
    const { name } = request.params;
    if (!panels.has(name)) {
      throw new ClickstreamError(
        "CS_ERR_CONSOLE_NOT_FOUND",
        `no panel ${JSON.stringify(name)} (panels: ${[...panels].join(", ")})`,
      );
    }
    const query = parseDashboardQuery(request.query as Record<string, unknown>);
    return context.dashboard.panel(context.dashboardResults, name as PanelName, query);
  });
}

/** Event dates of the catalogued partitions of the dashboard's table, ascending. */
async function partitionDays(context: ConsoleContext): Promise<string[]> {
  const db = context.config.catalog.databaseName;
  const store = new CatalogStore(context.storage);
  if (!(await store.getDatabase(db))) return [];
  const table = `${context.config.catalog.tablePrefix}transformed`;
  const keys = (await store.getTable(db, table))?.PartitionKeys.map((k) => k.Name) ?? [];
  // The contract's partition keys (year, month, day) in its order, as positions in the catalogued table's.
  const positions = partitionKeys.map((k) => keys.indexOf(k));
  if (positions.some((i) => i < 0)) return [];
  const days = (await store.getPartitions(db, table)).Partitions.map((p) =>
    positions.map((i) => p.Values[i]).join("-"),
  ).filter((day) => /^\d{4}-\d{2}-\d{2}$/.test(day));
  return [...new Set(days)].sort();
}
