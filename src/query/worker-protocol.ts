import type { ServedTable } from "./catalog-views.js";

/**
 * What the query engine (query-worker-client.ts) and its worker process (query-worker.ts) say to each
 * other over the IPC channel, and the facts both sides need: a leaf, so neither loads the other's module.
 */

/** Athena's default catalog name, so `awsdatacatalog.clickstream_db.transformed` resolves too. */
export const catalogName = "awsdatacatalog";

/** A value bound to a `?` placeholder (DuckDB prepared statements; Athena execution parameters). */
export type QueryParam = string | number | boolean | null;

export interface SessionSettings {
  database: string;
  /** A folder only this session's process writes to; DuckDB spills into a fresh folder inside it. */
  tempRoot: string;
  threads: number;
  memoryLimitBytes: number;
  /** Profile every query (DuckDB's JSON profile, its scans), so a result says what it read without a second run. */
  profile?: boolean;
}

/** What the worker answers a run with: the result, and DuckDB's profile of it (JSON) when the session profiles. */
export interface WorkerResult {
  columns: { name: string; type: string }[];
  rows: unknown[][];
  plan?: string;
}

/** Caps one execution: rows, bytes of the serialised result, and time across execution and materialisation. */
export interface ExecutionLimits {
  maxRows: number;
  maxBytes: number;
  timeoutMs: number;
}

export type WorkerRequest =
  | { id: number; op: "open"; tables: ServedTable[]; settings: SessionSettings }
  | {
      id: number;
      op: "run";
      /** Parse checks to pass first, in order (the Athena text, then its DuckDB rewrite). */
      checks: { sql: string; dialect: "athena" | "duckdb" }[];
      sql: string;
      limits: ExecutionLimits;
      /** Values of the `?` placeholders, bound in order. */
      params: QueryParam[];
    }
  /** Stop what runs now (a cancellation); answered by the running request's failure. */
  | { id: number; op: "interrupt" };

export type WorkerReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: { code: string; message: string } };
