import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DuckDBInstance, quotedString } from "@duckdb/node-api";
import { runCrawler } from "../../src/catalog/crawler.js";
import { parseConfig } from "../../src/config/load-config.js";
import { LocalStorage } from "../../src/storage/local-storage.js";
import { runTransform } from "../../src/transform/run-transform.js";
import { tempDir } from "../support/temp-dir.js";
import {
  generateEvents,
  writeTransformedFixture,
  type FixtureEvent,
} from "../support/transformed-fixture.js";

export const bin = fileURLToPath(new URL("../../../bin/clickstream", import.meta.url));

/**
 * A warehouse of the given events, written as Parquet, then transformed (the transform's first run
 * over a table without a sessions table builds it from the events) and crawled.
 */
export async function fixtureWarehouse(
  events: FixtureEvent[],
  prefix = "clickstream-console-",
): Promise<string> {
  const dir = await tempDir(prefix);
  const storage = new LocalStorage(dir);
  await writeTransformedFixture(storage, events);
  await runTransform({ storage, config: parseConfig({}).transform, workDir: dir });
  await runCrawler({ storage, config: parseConfig({ warehouse: { dir } }) });
  return dir;
}

/** Ten days of events (2026-11-03 … 2026-11-12), written as Parquet, transformed and crawled. */
export function consoleWarehouse(): Promise<string> {
  return fixtureWarehouse(generateEvents({ seed: 11, startDate: "2026-11-03", days: 10, users: 60 }));
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
 * The tiles computed independently of queries/dashboard.sql and of the sessions table: bare DuckDB over
 * the events' Parquet files, written out here. The figures are over the sessions that start in the
 * range (their first event's date), whole; a visitor is the first event's anonymous_id property, else
 * its user_id. A device or source filter keeps the sessions whose first event has it; an event type or
 * page filter, those with such an event in the range.
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
    const values: string[] = [from, to, from, to];
    const condition = (sql: string, value: string | undefined): void => {
      if (!value) return;
      conditions.push(sql);
      values.push(value);
    };
    condition("device = ?", filters.device);
    condition(
      "coalesce(nullif(regexp_extract(first_referrer, '^[a-z]+://([^/:?#]+)', 1), ''), first_referrer, '(direct)') = ?",
      filters.referrer,
    );
    condition("session_id IN (SELECT session_id FROM ranged WHERE event_type = ?)", filters.event_type);
    condition(
      "session_id IN (SELECT session_id FROM ranged WHERE regexp_extract(page_url, '^[a-z]+://[^/]+(/[^?#]*)', 1) = ?)",
      filters.page,
    );
    const reader = await connection.runAndReadAll(
      `WITH events AS (SELECT * FROM read_parquet(${glob}, hive_partitioning = false) WHERE session_id IS NOT NULL),
       ranged AS (SELECT * FROM events WHERE event_date BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)),
       whole AS (SELECT session_id, count(*) AS n, epoch_ms(max(event_time)) - epoch_ms(min(event_time)) AS ms,
                    bool_or(event_type = 'purchase') AS bought, min(event_date) AS start_date,
                    count(*) FILTER (WHERE event_type = 'page_view') AS pageviews,
                    coalesce(sum(price * quantity) FILTER (WHERE event_type = 'purchase'), 0) AS revenue,
                    arg_min_null(coalesce(properties['anonymous_id'], user_id), (event_time, event_id)) AS visitor,
                    arg_min_null(device_type, (event_time, event_id)) AS device,
                    arg_min_null(referrer, (event_time, event_id)) AS first_referrer
             FROM events GROUP BY session_id),
       s AS (SELECT * FROM whole WHERE start_date BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)
             ${conditions.map((c) => `AND ${c}`).join(" ")})
       SELECT count(DISTINCT visitor) AS visitors,
              count(*) AS sessions,
              coalesce(sum(pageviews), 0) AS pageviews,
              avg(CASE WHEN n = 1 THEN 1.0 ELSE 0.0 END) AS bounce_rate,
              avg(ms / 1000.0) AS avg_session_duration_s,
              avg(CASE WHEN bought THEN 1.0 ELSE 0.0 END) AS conversion_rate,
              coalesce(sum(revenue), 0) AS revenue
       FROM s`,
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
        // A console that does not exit within 10 s of SIGTERM is killed, so a stuck one cannot hang the suite.
        const force = setTimeout(() => child.kill("SIGKILL"), 10_000);
        child.once("exit", () => {
          clearTimeout(force);
          resolve();
        });
        child.kill("SIGTERM");
      }),
  };
}
