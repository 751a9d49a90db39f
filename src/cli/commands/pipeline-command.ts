import { Command, Option } from "commander";
import { loadConfig } from "../../config/load-config.js";
import { createStorage } from "../../storage/create-storage.js";
import {
  action,
  configOption,
  stopSignal,
  untilStopped,
  warehouseOption,
  withExamples,
} from "../cli-support.js";
import { durationFlag, integerFlag } from "../flag-parsers.js";
import { createLogOutput, type LogFormat } from "../../terminal/log-output.js";
import { logFormatOption } from "../cli-support.js";

interface PipelineFlags {
  warehouse?: string;
  config?: string;
  every?: number;
  host?: string;
  port?: number;
  adminPort?: number;
  consolePort?: number;
  logFormat?: LogFormat;
  outputs?: string;
}

/** `clickstream pipeline`: the collector plus transform → crawl on a schedule, in one process. */
export function pipelineCommand(): Command {
  const command = new Command("pipeline")
    .description(
      "Run the pipeline for real: the collector, transform then crawl every few minutes (like the Glue trigger chain on AWS, never two runs at once), and the web console with the collector's live events. SIGHUP or POST http://127.0.0.1:<admin port>/run (with the header X-Clickstream-Admin: 1) starts a run now; SIGTERM stops accepting events, flushes them, lets a running transform finish and exits 0.",
    )
    .addOption(warehouseOption())
    .addOption(configOption())
    .addOption(
      new Option(
        "--every <duration>",
        "how often to run transform → crawl, e.g. 30s, 5m, 1h (default 5m)",
      ).argParser(durationFlag("--every", { minMs: 1000 })),
    )
    .addOption(new Option("--host <host>", "collector address (default 127.0.0.1, or collector.host)"))
    .addOption(
      new Option("--port <port>", "collector port (default 4573; 0 = any free port)").argParser(
        integerFlag("--port", { max: 65535 }),
      ),
    )
    .addOption(
      new Option(
        "--admin-port <port>",
        "loopback-only admin port: POST /run, GET /status (default 4575; 0 = any free port; -1 = none)",
      ).argParser(integerFlag("--admin-port", { min: -1, max: 65535 })),
    )
    .addOption(
      new Option(
        "--console-port <port>",
        "the web console's port (default 4574, or console.port; 0 = any free port; -1 = no console)",
      ).argParser(integerFlag("--console-port", { min: -1, max: 65535 })),
    )
    .addOption(logFormatOption())
    .addOption(
      new Option(
        "--outputs <file>",
        "write the local stack's names (buckets, workgroup, database, stream, job, crawler) to FILE in the shape of `terraform output -json`, for scripts written for a deployment; never replaces a file naming a real one",
      ),
    )
    .action(
      action(async (flags: PipelineFlags) => {
        const config = loadConfig({
          file: flags.config,
          overrides: {
            warehouse: { dir: flags.warehouse },
            collector: { host: flags.host, port: flags.port },
            pipeline: { everyMs: flags.every, adminPort: flags.adminPort },
          },
        });
        const storage = createStorage(config);
        if (flags.outputs !== undefined) {
          // Before listening: a refused file stops the command before anything runs.
          const { writeLocalOutputs } = await import("../../endpoints/local-outputs.js");
          await writeLocalOutputs(flags.outputs, config);
        }
        const { startPipeline } = await import("../../pipeline/run-pipeline.js");
        const logOutput = createLogOutput(flags.logFormat ?? "text");
        const stopping = stopSignal();
        const log = (line: string): void => logOutput.line(line);
        const pipeline = await startPipeline({
          storage,
          config,
          log,
          logOutput,
          ...(flags.consolePort === undefined ? {} : { consolePort: flags.consolePort }),
        });
        log(
          `pipeline: collector on ${pipeline.collector.url}, transform → crawl every ${config.pipeline.everyMs / 1000} s` +
            (pipeline.admin ? `, admin on ${pipeline.admin.url} (POST /run, GET /status)` : "") +
            (pipeline.console ? `, console on ${pipeline.console.url}` : ""),
        );
        process.on("SIGHUP", () => pipeline.scheduler.trigger("SIGHUP"));
        await untilStopped(
          stopping,
          () => pipeline.shutdown(),
          (signal) => log(`${signal}: no more events accepted; flushing, waiting for a running transform…`),
          log,
        );
        log("pipeline stopped");
      }),
    );
  return withExamples(command, [
    "clickstream pipeline",
    "clickstream pipeline --warehouse ./warehouse --every 5m --port 4573",
    "kill -HUP <pid>                                                      # run transform → crawl now",
    "curl -X POST -H 'X-Clickstream-Admin: 1' http://127.0.0.1:4575/run   # the same, from a script",
    "curl http://127.0.0.1:4575/status                                    # schedule and last runs",
  ]);
}
