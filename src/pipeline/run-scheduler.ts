import { runCrawler, type CrawlReport } from "../catalog/crawler.js";
import type { ClickstreamConfig } from "../config/config-schema.js";
import { isClickstreamError } from "../errors/clickstream-error.js";
import type { Storage } from "../storage/storage.js";
import type { RunReport } from "../table/run-report.js";
import { runTransform } from "../transform/run-transform.js";
import type { PipelineMetrics } from "./pipeline-metrics.js";
import { plural } from "../format/human-format.js";

/** One run of the chain, as `GET /status` and the log line show it. */
export interface ChainRun {
  readonly trigger: string;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly status: "succeeded" | "no_new_data" | "failed";
  readonly transform?: Pick<
    RunReport,
    "runId" | "objectsProcessed" | "records" | "rejectedByReason" | "lateObjects"
  >;
  readonly crawl?: { partitionsAdded: number };
  readonly error?: { code: string; message: string };
}

export interface SchedulerOptions {
  readonly storage: Storage;
  readonly config: ClickstreamConfig;
  readonly metrics: PipelineMetrics;
  /** Writes one line per run. */
  readonly log: (line: string) => void;
}

/**
 * The local trigger chain: transform, then crawl after a transform that wrote something, as the AWS
 * deployment's Glue triggers run the job on a schedule and the crawler after each successful job run.
 * Runs never overlap: a trigger during a run asks for one more run right after it (several triggers
 * then count as one, like a coalescing queue).
 */
export class RunScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** What asked for a run while one was in progress (one more run serves them all). */
  private readonly again = new Set<string>();
  private stopped = false;
  readonly history: ChainRun[] = [];
  nextRunAt: Date | undefined;

  constructor(private readonly options: SchedulerOptions) {}

  /** Starts the schedule: a first run now, then one every `pipeline.everyMs`. */
  start(): void {
    this.trigger("start");
    this.schedule();
  }

  /** Runs the chain now, or right after the run in progress. */
  trigger(reason: string): void {
    if (this.stopped) return;
    if (this.running) {
      this.again.add(reason);
      return;
    }
    this.running = this.loop(reason).finally(() => (this.running = undefined));
  }

  get busy(): boolean {
    return this.running !== undefined;
  }

  /** Stops scheduling; resolves once the run in progress (if any) has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.nextRunAt = undefined;
    this.again.clear();
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    const every = this.options.config.pipeline.everyMs;
    this.nextRunAt = new Date(Date.now() + every);
    this.timer = setTimeout(() => {
      this.trigger("schedule");
      this.schedule();
    }, every);
    this.timer.unref();
  }

  private async loop(reason: string): Promise<void> {
    let trigger: string | undefined = reason;
    while (trigger !== undefined && !this.stopped) {
      await this.runOnce(trigger);
      trigger = this.again.size > 0 ? [...this.again].join("+") : undefined;
      this.again.clear();
    }
  }

  private async runOnce(trigger: string): Promise<void> {
    const { storage, config, metrics, log } = this.options;
    const started = new Date();
    let run: ChainRun;
    try {
      const t0 = performance.now();
      const report = await runTransform({ storage, config: config.transform, workDir: config.warehouse.dir });
      metrics.recordTransform(report, (performance.now() - t0) / 1000);
      let crawl: CrawlReport | undefined;
      if (report.status === "succeeded") {
        const t1 = performance.now();
        crawl = await runCrawler({ storage, config });
        metrics.duration.observe({ step: "crawl" }, (performance.now() - t1) / 1000);
      }
      run = {
        trigger,
        startedAt: started.toISOString(),
        durationMs: Date.now() - started.getTime(),
        status: report.status,
        transform: {
          runId: report.runId,
          objectsProcessed: report.objectsProcessed,
          records: report.records,
          rejectedByReason: report.rejectedByReason,
          ...(report.lateObjects ? { lateObjects: report.lateObjects } : {}),
        },
        ...(crawl
          ? { crawl: { partitionsAdded: crawl.tables.reduce((n, t) => n + t.partitionsAdded.length, 0) } }
          : {}),
      };
      // A run that found nothing is no success to count: the two are told apart, as the run line does.
      metrics.runs.inc({ status: report.status });
      metrics.lastSuccess.set(Date.now() / 1000);
    } catch (error) {
      run = {
        trigger,
        startedAt: started.toISOString(),
        durationMs: Date.now() - started.getTime(),
        status: "failed",
        error: {
          code: isClickstreamError(error) ? error.code : "CS_ERR_INTERNAL",
          message: error instanceof Error ? error.message : String(error),
        },
      };
      metrics.runs.inc({ status: "failed" });
    }
    this.history.push(run);
    if (this.history.length > 50) this.history.shift();
    log(describeRun(run));
  }
}

/** The one line a run prints. */
export function describeRun(run: ChainRun): string {
  const seconds = (run.durationMs / 1000).toFixed(1);
  if (run.status === "failed")
    return `run (${run.trigger}) failed after ${seconds} s: ${run.error!.code}: ${run.error!.message}`;
  const t = run.transform!;
  if (run.status === "no_new_data") return `run (${run.trigger}): no new raw objects (${seconds} s)`;
  const added = run.crawl ? `, ${plural(run.crawl.partitionsAdded, "new partition")} catalogued` : "";
  const late = t.lateObjects?.found
    ? `, ${t.lateObjects.found} of them uploaded late into sealed day folders (${t.lateObjects.folders.join(", ")})`
    : "";
  return (
    `run (${run.trigger}) ${t.runId}: ${plural(t.objectsProcessed, "object")}${late}, read ${t.records.read} = ` +
    `written ${t.records.written} + rejected ${t.records.rejected}${added} in ${seconds} s`
  );
}
