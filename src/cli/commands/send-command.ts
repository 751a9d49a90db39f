import { Command, Option } from "commander";
import {
  assertAllSent,
  describeSend,
  localFirehoseEndpoint as localEndpoint,
  resolveFirehoseTarget,
  sendToFirehose,
} from "../../aws/firehose-target.js";
import { defaultStreamName } from "../../storage/warehouse-layout.js";
import { action, withExamples } from "../cli-support.js";
import { integerFlag, urlFlag } from "../flag-parsers.js";
import { writeTerminal } from "../../terminal/terminal-text.js";

interface SendFlags {
  endpoint?: string;
  stream?: string;
  region?: string;
  firehose?: boolean;
  outputs: string;
  concurrency: number;
  progress: boolean;
}

/** `clickstream send FILE…`: PutRecordBatch through the official AWS SDK, to the collector or to real Firehose. */
export function sendCommand(): Command {
  const command = new Command("send")
    .description(
      "Send event files (JSON array or NDJSON, optionally gzipped) to a Firehose delivery stream with PutRecordBatch: the local collector by default, real AWS with --firehose",
    )
    .argument("<files...>", "event files: JSON array, NDJSON, or either gzipped")
    .addOption(
      new Option(
        "--endpoint <url>",
        `Firehose endpoint (default ${localEndpoint}; AWS's with --firehose)`,
      ).argParser(urlFlag("--endpoint")),
    )
    .addOption(
      new Option(
        "--stream <name>",
        `delivery stream (default ${defaultStreamName}, or terraform's with --firehose)`,
      ),
    )
    .addOption(
      new Option("--region <region>", "AWS region (default us-east-1, or terraform's with --firehose)"),
    )
    .addOption(
      new Option(
        "--firehose",
        "send to real AWS Firehose: stream and region from terraform-outputs.json, AWS credentials from the usual chain",
      ),
    )
    .addOption(
      new Option("--outputs <file>", "Terraform outputs file read by --firehose").default(
        "terraform-outputs.json",
      ),
    )
    .addOption(
      new Option("--concurrency <n>", "PutRecordBatch calls in flight")
        .argParser(integerFlag("--concurrency", { min: 1 }))
        .default(4),
    )
    .addOption(new Option("--no-progress", "no progress bar"))
    .action(
      action(async (files: string[], flags: SendFlags) => {
        const target = await resolveFirehoseTarget(flags);
        const { countEventFileRecords, readEventFile } = await import("../../aws/firehose-sender.js");
        const total = flags.progress && process.stderr.isTTY ? await countEventFileRecords(files) : undefined;
        const counts = await sendToFirehose(target, readFiles(files, readEventFile), {
          total,
          concurrency: flags.concurrency,
          progress: flags.progress,
        });
        writeTerminal(process.stdout, describeSend(target, counts));
        assertAllSent(counts);
      }),
    );
  return withExamples(command, [
    "clickstream send sample-data/sample_events.json",
    "clickstream send events.ndjson.gz --endpoint http://127.0.0.1:4573 --stream clickstream-pipeline-stream",
    "clickstream send day1.ndjson day2.ndjson --firehose",
  ]);
}

async function* readFiles(
  files: string[],
  read: (path: string) => AsyncGenerator<string>,
): AsyncGenerator<string> {
  for (const file of files) yield* read(file);
}
