import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Command, type Option } from "commander";
import { registerCommands } from "../../src/cli/commands/index.js";
import { tempDir } from "../support/temp-dir.js";

const run = promisify(execFile);
const bin = fileURLToPath(new URL("../../../bin/clickstream", import.meta.url));

async function cli(args: string[], cwd: string): Promise<{ code: number; stderr: string; stdout: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { cwd, timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function refuses(option: Option, value: string): boolean {
  try {
    option.parseArg!(value, option.defaultValue);
    return false;
  } catch {
    return true;
  }
}

/** Every flag that takes a typed value (a parser or a list of choices), per command, read from the CLI itself. */
function typedFlags(): { command: string; flag: string; bad: string; needsArgument: boolean }[] {
  const program = new Command();
  registerCommands(program);
  return program.commands.flatMap((command) =>
    command.options
      // A parser that takes any text (--param collects strings) is no typed flag.
      .filter((o: Option) => o.argChoices !== undefined || (o.parseArg !== undefined && refuses(o, "abc")))
      .map((o: Option) => ({
        command: command.name(),
        flag: o.long!,
        bad: o.argChoices ? "bogus" : "abc",
        needsArgument: command.registeredArguments.some((a) => a.required),
      })),
  );
}

test("a bad value for any typed flag of any command: the code, the fix, exit 1, no stack trace", async () => {
  const cwd = await tempDir();
  const flags = typedFlags();
  // Every command has some: this catches a registry that stopped listing them.
  assert.deepEqual([...new Set(flags.map((f) => f.command))].sort(), [
    "catalog",
    "compact",
    "console",
    "crawl",
    "demo",
    "generate",
    "pipeline",
    "query",
    "send",
    "serve",
    "transform",
  ]);
  const failures: string[] = [];
  const queue = [...flags];
  const worker = async (): Promise<void> => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const { command, flag, bad, needsArgument } = next;
      // The value is refused while the flags are parsed: nothing runs, so any warehouse path will do.
      const args = [command, flag, bad, ...(needsArgument ? ["file.json"] : []), "--warehouse", cwd];
      const result = await cli(args, cwd);
      const problems = [
        result.code === 1 ? "" : `exit ${result.code}`,
        /^error CS_ERR_INVALID_ARGUMENT: /m.test(result.stderr) ? "" : "no CS_ERR_INVALID_ARGUMENT",
        /\n {2}fix: \S/.test(result.stderr) ? "" : "no fix",
        result.stderr.includes(flag) ? "" : "the flag is not named",
        /\n\s+at \S+ \(/.test(result.stderr) ? "a stack trace" : "",
      ].filter(Boolean);
      if (problems.length > 0) failures.push(`${args.join(" ")}: ${problems.join(", ")}\n${result.stderr}`);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  assert.deepEqual(failures, []);
  assert.ok(flags.length >= 20, `${flags.length} typed flags`);
});

test("the issue's example and commander's own refusals carry the code and fix too", async () => {
  const cwd = await tempDir();
  for (const args of [
    ["transform", "--wait-ms", "abc"],
    ["query", "--bogus", "SELECT 1"],
    ["send"],
    ["query", "--now", "yesterday", "SELECT 1"],
    ["serve", "--port", "65536"],
    ["generate", "--events", "1.5"],
  ]) {
    const result = await cli(args, cwd);
    assert.equal(result.code, 1, args.join(" "));
    assert.match(
      result.stderr,
      /^error CS_ERR_INVALID_ARGUMENT: Invalid argument: [\s\S]+?\n {2}fix: /m,
      args.join(" "),
    );
    assert.doesNotMatch(result.stderr, /\n\s+at /, args.join(" "));
  }
});
