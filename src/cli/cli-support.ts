import { statSync } from "node:fs";
import { resolve } from "node:path";
import { Option, type Command } from "commander";
import {
  bucketsFromOutputs,
  defaultTerraformOutputsFile,
  readTerraformOutputs,
} from "../aws/terraform-outputs.js";
import type { ClickstreamConfig } from "../config/config-schema.js";
import { loadConfig } from "../config/load-config.js";
import { ClickstreamError, isClickstreamError } from "../errors/clickstream-error.js";
import { createStorage } from "../storage/create-storage.js";
import type { Storage } from "../storage/storage.js";
import { urlFlag } from "./flag-parsers.js";
import { terminalText, writeTerminal } from "../terminal/terminal-text.js";
import { logFormats } from "../terminal/log-output.js";

/** `--warehouse DIR`, defaulting to $CLICKSTREAM_WAREHOUSE, then ./warehouse. */
export function warehouseOption(): Option {
  // No commander default: a default here would override `warehouse.dir` from a --config file.
  return new Option(
    "--warehouse <dir>",
    "warehouse folder (default: the config's warehouse.dir, ./warehouse)",
  ).env("CLICKSTREAM_WAREHOUSE");
}

/** `--log-format text|json` of the long-running commands: readable lines by default, pino's JSON lines for a log shipper. */
export function logFormatOption(): Option {
  return new Option(
    "--log-format <format>",
    "log lines on stderr: text (readable) or json (one object per line)",
  )
    .choices(logFormats)
    .default("text");
}

/** `--config FILE`: a JSON file of settings (see docs/configuration in the README); validated strictly. */
export function configOption(): Option {
  return new Option("--config <file>", "JSON config file (unknown keys are rejected)").env(
    "CLICKSTREAM_CONFIG",
  );
}

/** Runs a command action, turning errors into a message with the code and the documented fix, and exit code 1. */
export function action<A extends unknown[]>(
  fn: (...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (error) {
      reportError(error);
      process.exitCode = process.exitCode && process.exitCode !== 0 ? process.exitCode : 1;
    }
  };
}

/** Prints an error with its code and documented fix (to stderr unless told where). */
export function reportError(
  error: unknown,
  write: (text: string) => void = (text) => process.stderr.write(text),
): void {
  // Messages quote SQL, keys and values: their control characters are shown, not sent to the terminal.
  if (isClickstreamError(error)) {
    write(terminalText(`error ${error.code}: ${error.message}\n  fix: ${error.fix}\n`));
  } else {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    write(terminalText(`error CS_ERR_INTERNAL: ${message}\n`));
  }
}

/** Adds the commands' shared help footer. */
export function withExamples(command: Command, examples: string[]): Command {
  return command.addHelpText("after", `\nExamples:\n${examples.map((e) => `  $ ${e}`).join("\n")}\n`);
}

/** Flags of commands that read or write the warehouse: where its buckets live. */
export interface StorageFlags {
  warehouse?: string;
  config?: string;
  storage?: "local" | "s3";
  endpoint?: string;
  region?: string;
  terraformOutputs?: string;
}

/**
 * `--storage local|s3`, `--endpoint URL`, `--region NAME`, `--terraform-outputs FILE`: add them to a
 * command with `for (const o of storageOptions()) cmd.addOption(o)`, next to warehouseOption().
 */
export function storageOptions(): Option[] {
  return [
    new Option("--storage <kind>", "where the buckets live: a local warehouse folder or S3")
      .choices(["local", "s3"])
      .env("CLICKSTREAM_STORAGE"),
    new Option(
      "--endpoint <url>",
      "S3-compatible endpoint (with --storage s3; omit for AWS S3); with --engine glue|athena, the endpoint of every AWS call (a local `clickstream serve`, LocalStack)",
    )
      .env("CLICKSTREAM_S3_ENDPOINT")
      .argParser(urlFlag("--endpoint")),
    new Option(
      "--region <name>",
      "AWS region (default: the deployment's, from terraform-outputs.json; otherwise $AWS_REGION)",
    ),
    new Option(
      "--terraform-outputs <file>",
      "bucket names of an AWS deployment, written by ./deploy.sh",
    ).default(defaultTerraformOutputsFile),
  ];
}

/**
 * Refuses a local warehouse folder that does not exist: the commands that read a warehouse would otherwise
 * create a mistyped `--warehouse` and report it empty. Only serve, pipeline, generate and demo create one.
 * S3 storage is not checked (its `warehouse.dir` is only a scratch folder).
 */
export function assertWarehouseExists(config: Pick<ClickstreamConfig, "warehouse">): void {
  if (config.warehouse.storage !== "local") return;
  const dir = resolve(config.warehouse.dir);
  const stats = statSync(dir, { throwIfNoEntry: false });
  if (stats?.isDirectory()) return;
  throw new ClickstreamError(
    "CS_ERR_WAREHOUSE_NOT_FOUND",
    stats ? `${dir} is not a folder` : `${dir} does not exist`,
  );
}

/**
 * The validated config and the storage the flags name, for commands that read a warehouse (it must exist,
 * assertWarehouseExists). With `--storage s3` and no `warehouse.buckets` in the config file, the bucket
 * names come from terraform-outputs.json.
 */
export async function storageFromOptions(
  flags: StorageFlags,
  /** The command's own config overrides (other sections), merged over the config file's values: flags win. */
  overrides: Record<string, unknown> = {},
): Promise<{ config: Readonly<ClickstreamConfig>; storage: Storage }> {
  const warehouse: Record<string, unknown> = {
    dir: flags.warehouse,
    storage: flags.storage,
    endpoint: flags.endpoint,
    region: flags.region,
  };
  let config = loadConfig({ file: flags.config, overrides: { ...overrides, warehouse } });
  if (config.warehouse.storage === "s3" && !config.warehouse.buckets) {
    const outputs = await readTerraformOutputs(flags.terraformOutputs ?? defaultTerraformOutputsFile);
    warehouse.buckets = bucketsFromOutputs(outputs);
    warehouse.region = flags.region ?? config.warehouse.region ?? outputs.region;
    config = loadConfig({ file: flags.config, overrides: { ...overrides, warehouse } });
  }
  assertWarehouseExists(config);
  return { config, storage: createStorage(config) };
}

/**
 * Waits for `signal` (stopSignal()), then runs `stop` (say what it does in `onSignal`); a failing stop
 * is reported and sets exit code 1. For the long-running commands (serve, console, pipeline).
 */
export async function untilStopped(
  signal: Promise<NodeJS.Signals>,
  stop: () => Promise<void>,
  onSignal: (signal: NodeJS.Signals) => void = () => undefined,
  log: (line: string) => void = (line) => writeTerminal(process.stderr, `${line}\n`),
): Promise<void> {
  onSignal(await signal);
  try {
    await stop();
  } catch (error) {
    log(`error while stopping: ${String(error)}`);
    process.exitCode = 1;
  }
}

/**
 * The first SIGTERM or SIGINT. Call it before a server starts: a signal that arrives while it starts
 * (after it said it listens, before the command waits) then stops it cleanly instead of killing it.
 */
export function stopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
}
