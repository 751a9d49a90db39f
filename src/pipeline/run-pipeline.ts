import { resolve } from "node:path";
import type { ClickstreamConfig } from "../config/config-schema.js";
import type { RunningCollector } from "../collector/collector-server.js";
import type { RunningConsole } from "../console/console-server.js";
import type { Storage } from "../storage/storage.js";
import { startAdminServer, type AdminServer } from "./admin-server.js";
import { PipelineMetrics } from "./pipeline-metrics.js";
import { RunScheduler } from "./run-scheduler.js";
import type { LogOutput } from "../terminal/log-output.js";

export interface RunningPipeline {
  readonly collector: RunningCollector;
  /** The web console, fed live by this collector (undefined when `consolePort` is -1). */
  readonly console: RunningConsole | undefined;
  readonly scheduler: RunScheduler;
  readonly admin: AdminServer | undefined;
  /** Stops accepting, flushes the collector, lets a running transform finish (or exits past the grace). */
  shutdown(): Promise<void>;
}

export interface PipelineOptions {
  readonly storage: Storage;
  readonly config: ClickstreamConfig;
  readonly log: (line: string) => void;
  /** Where the collector's and the console's servers log (the command's --log-format); default pino JSON. */
  readonly logOutput?: LogOutput;
  /** Quiet collector and console (tests). */
  readonly quiet?: boolean;
  /** The console's port (0 = any free port, -1 = no console); default `console.port`. */
  readonly consolePort?: number;
}

/**
 * `clickstream pipeline`: one process that runs the collector and, on a schedule and on demand, the
 * transform then the crawler: the local twin of Firehose plus the Glue trigger chain.
 */
export async function startPipeline(options: PipelineOptions): Promise<RunningPipeline> {
  const { storage, config, log } = options;
  const { defaultWalDir, startCollector } = await import("../collector/collector-server.js");
  const { awsEndpoints } = await import("../endpoints/aws-endpoints.js");
  const walDir = resolve(config.collector.walDir ?? defaultWalDir(config.warehouse.dir));
  const collector = await startCollector({
    storage,
    services: awsEndpoints({ storage, config }),
    walDir,
    config: config.collector,
    listenNames: { port: "--port", host: "--host" },
    // The pipeline's WAL is its warehouse's: a second pipeline needs a warehouse of its own.
    walDirName: "--warehouse (or collector.walDir in a --config file)",
    ...serverLogger(options),
  });
  const metrics = new PipelineMetrics(collector.metrics.registry);
  const scheduler = new RunScheduler({ storage, config, metrics, log });
  let admin: AdminServer | undefined;
  let consoleServer: RunningConsole | undefined;
  try {
    admin =
      config.pipeline.adminPort >= 0
        ? await startAdminServer(scheduler, config.pipeline.adminPort)
        : undefined;
    const consolePort = options.consolePort ?? config.console.port;
    if (consolePort >= 0) {
      const { startConsoleServer } = await import("../console/console-server.js");
      consoleServer = await startConsoleServer({
        storage,
        config,
        port: consolePort,
        // The live panel shows what this collector accepts, as it accepts it.
        liveEvents: collector.recentEvents,
        listenNames: {
          port: "--console-port",
          host: "console.host (in a --config file)",
          token: "console.token (in a --config file)",
        },
        ...serverLogger(options),
      });
    }
  } catch (error) {
    await admin?.close();
    await collector.close();
    throw error;
  }
  scheduler.start();
  let stopping: Promise<void> | undefined;
  return {
    collector,
    console: consoleServer,
    scheduler,
    admin,
    shutdown: () =>
      (stopping ??= (async () => {
        // Stop taking events first, delivering everything acknowledged; then let the chain finish.
        await collector.close();
        await admin?.close();
        await consoleServer?.close();
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

function serverLogger(options: PipelineOptions): { logger?: LogOutput | false } {
  if (options.quiet) return { logger: false };
  return options.logOutput ? { logger: options.logOutput } : {};
}
