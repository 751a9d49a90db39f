import { resolve } from "node:path";
import type { ClickstreamConfig } from "../config/config-schema.js";
import type { RunningCollector } from "../collector/collector-server.js";
import type { Storage } from "../storage/storage.js";
import { startAdminServer, type AdminServer } from "./admin-server.js";
import { PipelineMetrics } from "./pipeline-metrics.js";
import { RunScheduler } from "./run-scheduler.js";

export interface RunningPipeline {
  readonly collector: RunningCollector;
  readonly scheduler: RunScheduler;
  readonly admin: AdminServer | undefined;
  /** Stops accepting, flushes the collector, lets a running transform finish (or exits past the grace). */
  shutdown(): Promise<void>;
}

export interface PipelineOptions {
  readonly storage: Storage;
  readonly config: ClickstreamConfig;
  readonly log: (line: string) => void;
  /** Quiet collector (tests). */
  readonly quiet?: boolean;
}

/**
 * `clickstream pipeline`: one process that runs the collector and, on a schedule and on demand, the
 * transform then the crawler: the local twin of Firehose plus the Glue trigger chain.
 */
export async function startPipeline(options: PipelineOptions): Promise<RunningPipeline> {
  const { storage, config, log } = options;
  const { defaultWalDir, startCollector } = await import("../collector/collector-server.js");
  const walDir = resolve(config.collector.walDir ?? defaultWalDir(config.warehouse.dir));
  const collector = await startCollector({
    storage,
    walDir,
    config: config.collector,
    ...(options.quiet ? { logger: false as const } : {}),
  });
  const metrics = new PipelineMetrics(collector.metrics.registry);
  const scheduler = new RunScheduler({ storage, config, metrics, log });
  let admin: AdminServer | undefined;
  try {
    admin =
      config.pipeline.adminPort >= 0
        ? await startAdminServer(scheduler, config.pipeline.adminPort)
        : undefined;
  } catch (error) {
    await collector.close();
    throw error;
  }
  scheduler.start();
  let stopping: Promise<void> | undefined;
  return {
    collector,
    scheduler,
    admin,
    shutdown: () =>
      (stopping ??= (async () => {
        // Stop taking events first, delivering everything acknowledged; then let the chain finish.
        await collector.close();
        await admin?.close();
        const grace = config.pipeline.shutdownGraceMs;
        let timer: NodeJS.Timeout | undefined;
        const finished = await Promise.race([
          scheduler.stop().then(() => true),
          new Promise<boolean>((r) => (timer = setTimeout(() => r(false), grace))),
        ]);
        clearTimeout(timer);
        if (!finished) {
          // The run has not reached its commit point or is applying it: exiting leaves staging (removed
          // by the next run) or a committed manifest (rolled forward by the next run). Nothing is lost.
          log(`the running transform did not finish within ${grace} ms; leaving it to the next run`);
        }
      })()),
  };
}
