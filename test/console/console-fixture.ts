import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DuckDBInstance, quotedString } from "@duckdb/node-api";
import { runCrawler } from "../../src/catalog/crawler.js";
import { parseConfig } from "../../src/config/load-config.js";
import { LocalStorage } from "../../src/storage/local-storage.js";
import { tempDir } from "../support/temp-dir.js";
import { generateEvents, writeTransformedFixture } from "../support/transformed-fixture.js";

export const bin = fileURLToPath(new URL("../../../bin/clickstream", import.meta.url));

/** Ten days of events (2026-11-03 … 2026-11-12), written as Parquet and crawled. */
export async function consoleWarehouse(): Promise<string> {
  const dir = await tempDir("clickstream-console-");
  const storage = new LocalStorage(dir);
  await writeTransformedFixture(
    storage,
    generateEvents({ seed: 11, startDate: "2026-11-03", days: 10, users: 60 }),
  );
  await runCrawler({ storage, config: parseConfig({ warehouse: { dir } }) });
  return dir;
}

export interface Filters {
  event_type?: string;
  device?: string;
  referrer?: string;
  page?: string;
}

export interface Figures {
  visitors: number;
  sessions: number;
  pageviews: number;
  bounce_rate: number | null;
  avg_session_duration_s: number | null;
  conversion_rate: number | null;
  revenue: number;
}

/**
 * The tiles computed independently of queries/dashboard.sql: bare DuckDB over the Parquet files, dates
 * from event_date, the filters as "the session has a matching event", written out here.
 */
export async function expectedFigures(
  warehouse: string,
  from: string,
  to: string,
  filters: Filters = {},
): Promise<Figures> {
  const instance = await DuckDBInstance.create(":memory:", { threads: "1" });
  const connection = await instance.connect();
  try {
    const glob = quotedString(join(warehouse, "transformed", "**", "*.parquet"));
    const conditions: string[] = [];
    const values: string[] = [from, to];
    const condition = (sql: string, value: string | undefined): void => {
      if (!value) return;
      conditions.push(`bool_or(${sql} = ?)`);
      values.push(value);
    };
    condition("event_type", filters.event_type);
    condition("device_type", filters.device);
    condition("coalesce(regexp_extract(referrer, '^[a-z]+://([^/:?#]+)', 1), referrer)", filters.referrer);
    condition("regexp_extract(page_url, '^[a-z]+://[^/]+(/[^?#]*)', 1)", filters.page);
    const reader = await connection.runAndReadAll(
      `WITH ranged AS (
         SELECT * FROM read_parquet(${glob}, hive_partitioning = false)
         WHERE event_date BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)),
       kept AS (SELECT session_id FROM ranged GROUP BY session_id ${conditions.length ? `HAVING ${conditions.join(" AND ")}` : ""}),
       e AS (SELECT * FROM ranged WHERE session_id IN (SELECT session_id FROM kept)),
       s AS (SELECT session_id, count(*) AS n, epoch_ms(max(event_time)) - epoch_ms(min(event_time)) AS ms,
                    bool_or(event_type = 'purchase') AS bought
             FROM e WHERE session_id IS NOT NULL GROUP BY session_id)
       SELECT (SELECT count(DISTINCT coalesce(properties['anonymous_id'], user_id)) FROM e) AS visitors,
              (SELECT count(*) FROM s) AS sessions,
              (SELECT count(*) FILTER (WHERE event_type = 'page_view') FROM e) AS pageviews,
              (SELECT avg(CASE WHEN n = 1 THEN 1.0 ELSE 0.0 END) FROM s) AS bounce_rate,
              (SELECT avg(ms / 1000.0) FROM s) AS avg_session_duration_s,
              (SELECT avg(CASE WHEN bought THEN 1.0 ELSE 0.0 END) FROM s) AS conversion_rate,
              (SELECT coalesce(sum(price * quantity) FILTER (WHERE event_type = 'purchase'), 0) FROM e) AS revenue`,
      values,
    );
    const row = reader.getRowObjectsJS()[0]!;
    const num = (v: unknown): number | null => (v === null ? null : Number(v));
    return {
      visitors: Number(row.visitors),
      sessions: Number(row.sessions),
      pageviews: Number(row.pageviews),
      bounce_rate: num(row.bounce_rate),
      avg_session_duration_s: num(row.avg_session_duration_s),
      conversion_rate: num(row.conversion_rate),
      revenue: Number(row.revenue),
    };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Equal figures: counts exactly, fractions and sums of doubles to 1e-9 (their order of addition differs). */
export function sameFigure(actual: number | null, expected: number | null): boolean {
  if (actual === null || expected === null) return actual === expected;
  return Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected));
}

export interface ConsoleProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** `clickstream console --port 0` as a child process; resolves with its URL once it listens. */
export async function startConsoleProcess(warehouse: string, args: string[] = []): Promise<ConsoleProcess> {
  const child = spawn(process.execPath, [bin, "console", "--warehouse", warehouse, "--port", "0", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`console did not start: ${output}`)), 30_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /console on (http:\/\/[^/\s]+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`console exited with ${code}: ${output}`));
    });
  });
  return {
    url,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
