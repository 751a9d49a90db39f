import {
  GetCrawlerCommand,
  GetCrawlerMetricsCommand,
  StartCrawlerCommand,
  type Crawler,
  type CrawlerMetrics,
  type GlueClient,
} from "@aws-sdk/client-glue";
import { ClickstreamError } from "../errors/clickstream-error.js";
import { awsRequestError } from "./aws-clients.js";
import { pollUntil, type PollOptions } from "./poll-until.js";
import { createProgressDisplay, type ProgressDisplay } from "../terminal/progress-display.js";

export interface CrawlerRunOptions extends PollOptions {
  readonly client: GlueClient;
  readonly crawlerName: string;
  /** Progress output; `null` for none. Default: a display on stderr. */
  readonly display?: ProgressDisplay | null;
}

export interface CrawlerRunResult {
  readonly crawlerName: string;
  /** LastCrawl.Status of the crawl this call waited for (SUCCEEDED; COMPLETED from emulators, see below). */
  readonly status: string;
  /** Table counts of the crawl, from GetCrawlerMetrics (undefined when it could not be read). */
  readonly tablesCreated?: number;
  readonly tablesUpdated?: number;
  readonly tablesDeleted?: number;
  /** Why the table counts are missing, when they are. */
  readonly tableCountsProblem?: string;
  readonly lastRuntimeSeconds?: number;
  /** True when a crawl was already running and this call waited for it instead of starting one. */
  readonly joinedRunningCrawl: boolean;
}

/**
 * `clickstream crawl --engine glue`: StartCrawler, then GetCrawler (state) and GetCrawlerMetrics (time
 * left) until the crawler is READY again; the outcome is its LastCrawl. A crawl already running is waited
 * for rather than failed. Throws CS_ERR_AWS_CRAWLER_FAILED when the crawl did not succeed.
 * GetCrawlerMetrics only feeds the progress and the table counts: when it fails (no permission for it, or
 * an emulator without it, such as moto) the crawl is still followed to its end and the counts are
 * reported missing, with why, instead of failing a crawl that ran.
 */
export async function runGlueCrawler(options: CrawlerRunOptions): Promise<CrawlerRunResult> {
  const { client, crawlerName } = options;
  let joinedRunningCrawl = false;
  let previousStart: number | undefined;
  try {
    previousStart = (await getCrawler(client, crawlerName)).LastCrawl?.StartTime?.getTime();
    await client.send(new StartCrawlerCommand({ Name: crawlerName }));
  } catch (error) {
    if ((error as { name?: string }).name !== "CrawlerRunningException") {
      throw error instanceof ClickstreamError ? error : awsRequestError(`StartCrawler ${crawlerName}`, error);
    }
    joinedRunningCrawl = true;
  }

  const display =
    options.display === null
      ? undefined
      : (options.display ?? createProgressDisplay(`crawler ${crawlerName}`));
  let seenRunning = false;
  let metricsProblem: string | undefined;
  let finished: { crawler: Crawler; metrics: CrawlerMetrics | undefined };
  try {
    finished = await pollUntil(
      `Glue crawler ${crawlerName}`,
      { ...options, defaultIntervalMs: 5_000 },
      async () => {
        const crawler = await getCrawler(client, crawlerName);
        let metrics: CrawlerMetrics | undefined;
        if (metricsProblem === undefined) {
          try {
            metrics = await getMetrics(client, crawlerName);
          } catch (error) {
            metricsProblem = (error as Error).message;
          }
        }
        const state = crawler.State ?? "UNKNOWN";
        if (state !== "READY") seenRunning = true;
        const detail: { fraction?: number; note?: string } = {};
        if (
          metrics?.TimeLeftSeconds !== undefined &&
          !metrics.StillEstimating &&
          metrics.MedianRuntimeSeconds
        ) {
          detail.fraction =
            1 - metrics.TimeLeftSeconds / Math.max(metrics.MedianRuntimeSeconds, metrics.TimeLeftSeconds);
          detail.note = `~${Math.round(metrics.TimeLeftSeconds)}s left`;
        }
        display?.update(state, detail);
        // READY right after StartCrawler can be the previous crawl's state: wait until a new crawl shows up.
        const lastStart = crawler.LastCrawl?.StartTime?.getTime();
        const newCrawlDone = seenRunning || (lastStart !== undefined && lastStart !== previousStart);
        return state === "READY" && newCrawlDone ? { crawler, metrics } : undefined;
      },
    );
  } finally {
    display?.stop();
  }

  const last = finished.crawler.LastCrawl;
  const status: string = last?.Status ?? "UNKNOWN";
  // LastCrawl.Status is SUCCEEDED, CANCELLED or FAILED on AWS; COMPLETED is the crawl-history spelling of
  // success (ListCrawls), which moto reports in LastCrawl too.
  if (status !== "SUCCEEDED" && status !== "COMPLETED") {
    throw new ClickstreamError(
      "CS_ERR_AWS_CRAWLER_FAILED",
      `${crawlerName} crawl ended ${status}${last?.ErrorMessage ? `: ${last.ErrorMessage}` : ""}`,
    );
  }
  const m = finished.metrics;
  const counts = m
    ? {
        tablesCreated: m.TablesCreated ?? 0,
        tablesUpdated: m.TablesUpdated ?? 0,
        tablesDeleted: m.TablesDeleted ?? 0,
      }
    : { tableCountsProblem: metricsProblem ?? `GetCrawlerMetrics returned no metrics for ${crawlerName}` };
  return {
    crawlerName,
    status,
    ...counts,
    ...(m?.LastRuntimeSeconds !== undefined ? { lastRuntimeSeconds: m.LastRuntimeSeconds } : {}),
    joinedRunningCrawl,
  };
}

/** The summary printed after a crawl. */
export function formatCrawlerResult(result: CrawlerRunResult): string {
  const runtime =
    result.lastRuntimeSeconds !== undefined ? ` in ${result.lastRuntimeSeconds.toFixed(1)}s` : "";
  const counts =
    result.tablesCreated !== undefined
      ? `tables created ${result.tablesCreated}, updated ${result.tablesUpdated}, deleted ${result.tablesDeleted}`
      : `table counts unavailable: ${result.tableCountsProblem}`;
  return (
    `Glue crawler ${result.crawlerName}: ${result.status}${runtime}` +
    `${result.joinedRunningCrawl ? " (joined a crawl already running)" : ""}\n` +
    `  ${counts}\n`
  );
}

async function getCrawler(client: GlueClient, name: string): Promise<Crawler> {
  try {
    const crawler = (await client.send(new GetCrawlerCommand({ Name: name }))).Crawler;
    if (!crawler) throw new Error("GetCrawler returned no Crawler");
    return crawler;
  } catch (error) {
    throw awsRequestError(`GetCrawler ${name}`, error);
  }
}

async function getMetrics(client: GlueClient, name: string): Promise<CrawlerMetrics | undefined> {
  try {
    const out = await client.send(new GetCrawlerMetricsCommand({ CrawlerNameList: [name] }));
    return out.CrawlerMetricsList?.find((m) => m.CrawlerName === name);
  } catch (error) {
    throw awsRequestError(`GetCrawlerMetrics ${name}`, error);
  }
}
