import { resolve } from "node:path";
import { Command, Option } from "commander";
import { loadConfig } from "../../config/load-config.js";
import { createStorage } from "../../storage/create-storage.js";
import { createLogOutput, type LogFormat } from "../../terminal/log-output.js";
import {
  action,
  configOption,
  logFormatOption,
  stopSignal,
  untilStopped,
  warehouseOption,
  withExamples,
} from "../cli-support.js";
import { integerFlag } from "../flag-parsers.js";

interface ServeFlags {
  warehouse?: string;
  config?: string;
  host?: string;
  port?: number;
  walDir?: string;
  logFormat?: LogFormat;
  outputs?: string;
}

/** `clickstream serve`: the collector, a local twin of Kinesis Data Firehose (Direct PUT → raw/). */
export function serveCommand(): Command {
  const command = new Command("serve")
    .description(
      "Run the collector: a durable, Firehose-compatible HTTP ingest (Firehose API on POST /, JSON on POST /v1/events) that lands raw events in <warehouse>/raw/; the same port answers Athena, Glue (the Data Catalog, the transform job, the crawler), S3 (reads, uploads into raw/) and STS over the warehouse (docs/aws-endpoints.md)",
    )
    .addOption(warehouseOption())
    .addOption(configOption())
    .addOption(new Option("--host <host>", "address to listen on (default 127.0.0.1, or collector.host)"))
    .addOption(
      new Option(
        "--port <port>",
        "port to listen on; 0 = any free port (default 4573, or collector.port)",
      ).argParser(integerFlag("--port", { max: 65535 })),
    )
    .addOption(
      new Option("--wal-dir <dir>", "write-ahead log folder (default <warehouse>/_state/collector/wal)"),
    )
    .addOption(logFormatOption())
    .addOption(
      new Option(
        "--outputs <file>",
        "write the local stack's names (buckets, workgroup, database, stream, job, crawler) to FILE in the shape of `terraform output -json`, for scripts written for a deployment; never replaces a file naming a real one",
      ),
    )
    .action(
      action(async (flags: ServeFlags) => {
        const config = loadConfig({
          file: flags.config,
          overrides: {
            warehouse: { dir: flags.warehouse },
            collector: { host: flags.host, port: flags.port, walDir: flags.walDir },
          },
        });
        const storage = createStorage(config);
        if (flags.outputs !== undefined) {
          // Before listening: a refused file stops the command before anything runs.
          const { writeLocalOutputs } = await import("../../endpoints/local-outputs.js");
          await writeLocalOutputs(flags.outputs, config);
        }
        const logOutput = createLogOutput(flags.logFormat ?? "text");
        const stopping = stopSignal();
        const { defaultWalDir, startCollector } = await import("../../collector/collector-server.js");
        const { awsEndpoints } = await import("../../endpoints/aws-endpoints.js");
        const walDir = resolve(config.collector.walDir ?? defaultWalDir(config.warehouse.dir));
        const collector = await startCollector({
          services: awsEndpoints({ storage, config }),
          storage,
          walDir,
          config: config.collector,
          listenNames: { port: "--port", host: "--host" },
          walDirName: "--wal-dir",
          logger: logOutput,
        });
        await untilStopped(
          stopping,
          () => collector.close(),
          (signal) => logOutput.line(`${signal}: flushing buffers and stopping…`),
        );
      }),
    );
  return withExamples(command, [
    "clickstream serve",
    "clickstream serve --warehouse ./warehouse --port 4573",
    "clickstream serve --config clickstream.json --host 0.0.0.0",
    // Whole events (the contract's required fields), so the transform accepts what these send.
    `curl -X POST localhost:4573/v1/events -H 'content-type: application/json' -d '{"event_id":"e1","user_id":"u1","event_type":"page_view","timestamp":"2026-11-24T10:00:00Z"}'`,
    `printf '%s\\n' '{"event_id":"e2","user_id":"u1","event_type":"login","timestamp":"2026-11-24T10:00:00Z"}' > event.json`,
    // Data@=fileb:// sends the file's bytes with AWS CLI v1 and v2 alike; a base64 Data= v1 stores as text.
    "AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local aws firehose put-record --region us-east-1 --endpoint-url http://127.0.0.1:4573 --delivery-stream-name clickstream-pipeline-stream --record Data@=fileb://event.json",
  ]);
}
