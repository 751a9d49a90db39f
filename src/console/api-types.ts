/**
 * The console's wire types: what each `/api/…` route answers. The server's routes are typed with
 * them and the web front-end imports them (type-only, so nothing of the server reaches the bundle),
 * so a field added on one side and not the other fails the build instead of drifting.
 */

/** `GET /api/range`: the event days the catalog holds and the range the dashboard opens on. */
export interface RangeAnswer {
  first: string | null;
  last: string | null;
  default: DayRange | null;
  previous: DayRange | null;
}

/** Inclusive range of UTC days, `YYYY-MM-DD`. */
export interface DayRange {
  from: string;
  to: string;
}

/** The headline figures of the dashboard (null: nothing to compute it from). */
export interface OverviewFigures {
  visitors: number | null;
  sessions: number | null;
  pageviews: number | null;
  bounce_rate: number | null;
  avg_session_duration_s: number | null;
  conversion_rate: number | null;
  revenue: number | null;
}

/** `GET /api/overview`: the figures of the range and of the period before it. */
export interface OverviewAnswer extends OverviewFigures {
  previous: OverviewFigures;
  range: DayRange;
  previous_range: DayRange;
}

/** The dashboard's filters (query parameters of the overview and the panels). */
export type FilterName = "event_type" | "device" | "referrer" | "page";

type PanelRows = Record<string, unknown>[];

/** `GET /api/panel/:name`. */
export interface PanelAnswer {
  rows: PanelRows;
  granularity?: "hour" | "day";
}

/** One UTC day of transform runs, for the data-quality panel. */
export interface QualityDay {
  /** UTC day the transform ran (rejects are counted when they are found, not by event date). */
  day: string;
  runs: number;
  read: number;
  written: number;
  rejected: number;
  byReason: Record<string, number>;
}

/** `GET /api/quality`. */
export interface QualityAnswer {
  source: string;
  days: QualityDay[];
}

/** One line of errors/, as the data-quality panel shows it. */
export interface RejectSample {
  reason: string;
  field: string | null;
  message: string;
  source: string;
  line: number | null;
  raw: string;
}

/** `GET /api/quality/rejects`. */
export interface RejectsAnswer {
  source: string;
  rejects: RejectSample[];
}

/** One record as the collector saw it, for the live panel. */
interface LiveEventRow {
  receivedAt: string;
  source: string;
  state: "accepted" | "rejected" | "pending";
  reason?: string;
  message?: string;
  text: string;
}

/** `GET /api/live`. */
export interface LiveAnswer {
  source: string;
  events: LiveEventRow[];
}

/** `GET /api/catalog`: databases, tables, columns and partitions from the crawler's catalog. */
export interface CatalogAnswer {
  defaultDatabase: string;
  databases: {
    name: string;
    tables: {
      name: string;
      location: string;
      columns: ColumnInfo[];
      partitionKeys: ColumnInfo[];
      partitions: {
        values: string[];
        name: string;
        fileCount: number;
        rowCount: number;
        sizeBytes: number;
      }[];
    }[];
  }[];
  limits: { maxResultRows: number; timeoutMs: number };
}

interface ColumnInfo {
  name: string;
  type: string;
}

/** `GET /api/named-queries`: the statements of queries/athena_queries.sql. */
export interface NamedQueriesAnswer {
  file: string;
  queries: { number: string; title: string | null; sql: string }[];
}

/** `POST /api/query`. */
export interface QueryAnswer {
  columns: ColumnInfo[];
  rows: unknown[][];
  stats: { queryId: string; durationMs: number; rows: number; resultKey: string };
}

/** One workbench query, as the history lists it (Athena's console shows the same columns). */
export interface HistoryEntry {
  id: string;
  sql: string;
  status: "running" | "succeeded" | "failed" | "cancelled";
  startedAt: string;
  durationMs: number | null;
  rows: number | null;
  /** Bytes of the Parquet files the query read (from its profile), once known; 0 for catalog statements. */
  bytesScanned: number | null;
  filesScanned: number | null;
  /** `athena-results/<id>.csv` for a succeeded query. */
  resultKey: string | null;
  errorCode: string | null;
  errorMessage: string | null;
}

/** `GET /api/history`. */
export interface HistoryAnswer {
  entries: readonly HistoryEntry[];
}
