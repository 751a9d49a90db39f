import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { dirname } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { pythonSide, requireTool, venvPython } from "../support/optional-suite.js";
import { isolatedAwsCliEnv, serveProcess } from "../support/serve-process.js";
import { tempDir } from "../support/temp-dir.js";

/**
 * The examples `clickstream serve --help` prints, taken from the help itself, run as printed against a real
 * collector; the transform then accepts every event they sent. Only the collector's address is changed.
 */

const exec = promisify(execFile);
const bin = fileURLToPath(new URL("../../../bin/clickstream", import.meta.url));
const helpPort = ":4573";

async function helpExamples(): Promise<string[]> {
  const { stdout } = await exec(process.execPath, [bin, "serve", "--help"]);
  const examples = stdout.slice(stdout.indexOf("Examples:"));
  return [...examples.matchAll(/^ {2}\$ (.+)$/gm)].map((m) => m[1]!);
}

/** Runs the lines with bash against `clickstream serve` on a free port, then transforms what arrived. */
async function sendAndTransform(
  lines: string[],
  path: string,
): Promise<{ read: number; written: number; rejected: number }> {
  const { url, warehouse, stop } = await serveProcess("clickstream-serve-help-");
  const port = `:${new URL(url).port}`;
  const cwd = await tempDir("clickstream-serve-help-cwd-");
  const script = lines.map((line) => line.replaceAll(helpPort, port)).join("\n");
  await exec("bash", ["-euo", "pipefail", "-c", script], {
    cwd,
    env: isolatedAwsCliEnv(path, cwd),
    timeout: 60_000,
  });
  await stop(); // flushes the buffers into raw/
  const { stdout } = await exec(process.execPath, [bin, "transform", "--warehouse", warehouse, "--json"]);
  return (JSON.parse(stdout) as { records: { read: number; written: number; rejected: number } }).records;
}

describe("`clickstream serve --help`: the examples send events the transform accepts", () => {
  it("the curl example", async () => {
    const curl = (await helpExamples()).filter((line) => line.startsWith("curl "));
    assert.equal(curl.length, 1, "one curl example");
    const records = await sendAndTransform(curl, process.env.PATH ?? "");
    assert.deepEqual(records, { read: 1, written: 1, rejected: 0 });
  });

  /** The put-record example and the line before it, which writes the file it sends. */
  async function awsExample(): Promise<string[]> {
    const examples = await helpExamples();
    const at = examples.findIndex((line) => line.includes("aws firehose put-record"));
    assert.ok(at > 0, "a put-record example after the line that writes its file");
    assert.match(examples[at]!, /--record Data@=fileb:\/\/\S+$/);
    assert.doesNotMatch(examples[at]!, /Data=[A-Za-z0-9+/]+=*(\s|$)/);
    return examples.slice(at - 1, at + 1);
  }

  it("the AWS CLI example with v1 (PyPI's awscli, in .venv): the file's bytes, not base64 text", async (t) => {
    const lines = await awsExample();
    if (!requireTool(t, pythonSide)) return;
    const records = await sendAndTransform(lines, `${dirname(venvPython)}:${process.env.PATH}`);
    assert.deepEqual(records, { read: 1, written: 1, rejected: 0 });
  });
});
