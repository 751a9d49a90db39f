import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ClickstreamError } from "../errors/clickstream-error.js";
import type { QueryParam, RunOptions } from "../query/query-engine.js";
import { parseQueryFile } from "../query/query-file.js";
import type { QueryResult } from "../query/query-result.js";
import { toObjects } from "../query/result-formatter.js";
import { filteredStatement } from "./filtered-dashboard-sql.js";
import { packageRoot } from "./package-paths.js";
import type { DayRange, FilterName, OverviewAnswer, OverviewFigures, PanelAnswer } from "./api-types.js";

/** The dashboard's SQL: one named statement per panel, Athena dialect, the range as two bound parameters. */
export const dashboardSqlFile = join(packageRoot, "queries", "dashboard.sql");
/**
 * The same statements over the sessions the filters keep (six parameters), generated from dashboard.sql
 * (filtered-dashboard-sql.ts): separate statements because the filter costs a pass over the range's
 * sessions, which no engine optimises away when no filter is set.
 */
export const filteredDashboardSqlFile = join(packageRoot, "queries", "dashboard-filtered.sql");

/** Filters of the dashboard, in the order of the statements' parameters 3–6. */
const filterNames = ["event_type", "device", "referrer", "page"] as const satisfies readonly FilterName[];

/** A date range (inclusive, UTC event dates) and the filters; '' = no filter. */
export interface DashboardQuery {
  from: string;
  to: string;
  filters: Record<FilterName, string>;
}

/** Panels beside the tiles, each one statement of dashboard.sql. */
export const panelStatements = {
  pages: "top pages",
  sources: "sources",
  devices: "devices",
  "event-types": "event types",
  categories: "product categories",
  funnel: "funnel",
} as const;
export type PanelName = keyof typeof panelStatements | "timeseries";

const overviewKeys = [
  "visitors",
  "sessions",
  "pageviews",
  "bounce_rate",
  "avg_session_duration_s",
  "conversion_rate",
  "revenue",
] as const satisfies readonly (keyof OverviewFigures)[];

/** Anything that runs a statement with bound parameters (the engine pool). */
export interface StatementRunner {
  run(sql: string, options?: RunOptions): Promise<QueryResult>;
}

const dayMs = 86_400_000;
/** Ranges up to this many days get an hourly time series, longer ones a daily one. */
const hourlyUpToDays = 2;
/** Longest range accepted: a year and a day covers every comparison the page offers. */
const maxRangeDays = 366;
const maxFilterLength = 2048;

export class DashboardQueries {
  private constructor(
    private readonly plain: Map<string, string>,
    private readonly filtered: Map<string, string>,
    /** The filtered statements for device and source filters alone: no pass over the events. */
    private readonly sessionFiltered: Map<string, string>,
  ) {}

  static async load(): Promise<DashboardQueries> {
    const plain = await loadStatements(dashboardSqlFile);
    const filtered = new Map([...plain].map(([name, sql]) => [name, filteredStatement(sql, name)]));
    const sessionFiltered = new Map(
      [...plain].map(([name, sql]) => [name, filteredStatement(sql, name, false)]),
    );
    return new DashboardQueries(plain, filtered, sessionFiltered);
  }

  /** The tiles for a range and the same figures for the period of equal length just before it. */
  async overview(runner: StatementRunner, query: DashboardQuery): Promise<OverviewAnswer> {
    const previous = previousRange(query);
    const sql = this.sql("overview", query);
    const [now, before] = await Promise.all([
      runner.run(sql, { params: params(query) }),
      runner.run(sql, { params: params({ ...query, ...previous }) }),
    ]);
    return {
      ...figures(now),
      previous: figures(before),
      range: { from: query.from, to: query.to },
      previous_range: previous,
    };
  }

  /** One panel's rows as objects; the time series says whether its buckets are hours or days. */
  async panel(
    runner: StatementRunner,
    name: PanelName,
    query: DashboardQuery,
  ): Promise<PanelAnswer & { panel: PanelName }> {
    if (name === "timeseries") {
      const granularity = rangeDays(query) <= hourlyUpToDays ? "hour" : "day";
      const sql = this.sql(granularity === "hour" ? "timeseries hourly" : "timeseries daily", query);
      return {
        panel: name,
        granularity,
        rows: toObjects(await runner.run(sql, { params: params(query) })),
      };
    }
    const sql = this.sql(panelStatements[name], query);
    const result = await runner.run(sql, { params: params(query) });
    return { panel: name, rows: toObjects(result) };
  }

  private sql(name: string, query: DashboardQuery): string {
    if (!filtered(query)) return this.plain.get(name)!;
    const eventFilters = query.filters.event_type !== "" || query.filters.page !== "";
    return (eventFilters ? this.filtered : this.sessionFiltered).get(name)!;
  }
}

async function loadStatements(file: string): Promise<Map<string, string>> {
  const statements = new Map(
    parseQueryFile(await readFile(file, "utf8")).map((s) => [s.title?.toLowerCase() ?? "", s.sql]),
  );
  for (const name of [
    "overview",
    "timeseries hourly",
    "timeseries daily",
    ...Object.values(panelStatements),
  ]) {
    if (!statements.has(name)) {
      throw new ClickstreamError("CS_ERR_INTERNAL", `${file} has no statement named "${name}"`);
    }
  }
  return statements;
}

const filtered = (query: DashboardQuery): boolean => filterNames.some((f) => query.filters[f] !== "");

export type Range = DayRange;

/**
 * Bound values of a dashboard statement: the range, then (when any is set) the four filters and the
 * range again (the sessions the filters keep).
 */
function params(query: DashboardQuery): QueryParam[] {
  return filtered(query)
    ? [query.from, query.to, ...filterNames.map((f) => query.filters[f]), query.from, query.to]
    : [query.from, query.to];
}

function figures(result: QueryResult): OverviewFigures {
  const row = toObjects(result)[0] ?? {};
  const value = (k: keyof OverviewFigures): number | null => {
    const v = row[k];
    return v === null || v === undefined ? null : Number(v);
  };
  const out = {} as OverviewFigures;
  for (const k of overviewKeys) out[k] = value(k);
  return out;
}

const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const dayOf = (date: string): number => Date.parse(`${date}T00:00:00Z`);

function rangeDays(query: Range): number {
  return (dayOf(query.to) - dayOf(query.from)) / dayMs + 1;
}

/** The period of the same number of days that ends the day before the range starts. */
export function previousRange(query: Range): Range {
  const days = rangeDays(query);
  return { from: isoDay(dayOf(query.from) - days * dayMs), to: isoDay(dayOf(query.from) - dayMs) };
}

/**
 * The last `days` days ending on `last` (the newest day with data), starting no earlier than `first`
 * (the oldest): a warehouse of one day opens on that day, not on six empty ones before it.
 */
export function defaultRange(first: string, last: string, days = 7): Range {
  return { from: isoDay(Math.max(dayOf(first), dayOf(last) - (days - 1) * dayMs)), to: last };
}

/** Validates `?from=&to=&event_type=&device=&referrer=&page=` from a request. */
export function parseDashboardQuery(raw: Record<string, unknown>): DashboardQuery {
  const date = (name: "from" | "to"): string => {
    const value = raw[name];
    if (typeof value !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(value) || isoDay(dayOf(value)) !== value) {
      throw new ClickstreamError(
        "CS_ERR_INVALID_ARGUMENT",
        `${name} must be a date YYYY-MM-DD, got ${JSON.stringify(value ?? null)}`,
      );
    }
    return value;
  };
  const from = date("from");
  const to = date("to");
  if (dayOf(to) < dayOf(from)) {
    throw new ClickstreamError("CS_ERR_INVALID_ARGUMENT", `to (${to}) is before from (${from})`);
  }
  if (rangeDays({ from, to }) > maxRangeDays) {
    throw new ClickstreamError("CS_ERR_INVALID_ARGUMENT", `the range is longer than ${maxRangeDays} days`);
  }
  const filters = {} as Record<FilterName, string>;
  for (const name of filterNames) {
    const value = raw[name] ?? "";
    if (typeof value !== "string" || value.length > maxFilterLength) {
      throw new ClickstreamError(
        "CS_ERR_INVALID_ARGUMENT",
        `${name} must be one string of at most ${maxFilterLength} characters`,
      );
    }
    filters[name] = value;
  }
  return { from, to, filters };
}
