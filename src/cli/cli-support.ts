import { Option, type Command } from "commander";
import { isClickstreamError } from "../errors/clickstream-error.js";

/** `--warehouse DIR`, defaulting to $CLICKSTREAM_WAREHOUSE, then ./warehouse. */
export function warehouseOption(): Option {
  return new Option("--warehouse <dir>", "warehouse folder")
    .env("CLICKSTREAM_WAREHOUSE")
    .default("./warehouse");
}

/** `--config FILE`: a JSON file of settings (see docs/configuration in the README); validated strictly. */
export function configOption(): Option {
  return new Option("--config <file>", "JSON config file (unknown keys are rejected)").env(
    "CLICKSTREAM_CONFIG",
  );
}

/** Parses a positive integer flag value with a clear message. */
export function parseIntFlag(name: string, min = 0): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min)
      throw new Error(`${name} must be an integer ≥ ${min}, got "${value}"`);
    return n;
  };
}

/** Parses a number flag in [min, max]. */
export function parseNumberFlag(name: string, min: number, max: number): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || n > max) {
      throw new Error(`${name} must be a number in [${min}, ${max}], got "${value}"`);
    }
    return n;
  };
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

export function reportError(error: unknown): void {
  if (isClickstreamError(error)) {
    process.stderr.write(`error ${error.code}: ${error.message}\n  fix: ${error.fix}\n`);
  } else {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`error CS_ERR_INTERNAL: ${message}\n`);
  }
}

/** Adds the commands' shared help footer. */
export function withExamples(command: Command, examples: string[]): Command {
  return command.addHelpText("after", `\nExamples:\n${examples.map((e) => `  $ ${e}`).join("\n")}\n`);
}
