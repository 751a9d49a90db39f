import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { LocalStorage } from "../../src/storage/local-storage.js";
import { awsCliV2, awsCliV2Path, pythonSide, requireTool, venvPython } from "../support/optional-suite.js";
import { isolatedAwsCliEnv, serveProcess, type ServeProcess } from "../support/serve-process.js";
import { tempDir } from "../support/temp-dir.js";
import { readRaw } from "./collector-fixture.js";

/**
 * The README's `aws firehose put-record` example, taken from README.md itself so the two cannot drift, run
 * against a real collector (`clickstream serve`) with both AWS CLI majors: PyPI's v1 (in .venv, from
 * glue/requirements-dev.txt) and Debian's v2 (the `awscli` package, installed by .ci/run). The only change
 * made to the printed commands is the collector's address: the test's collector listens on a free port.
 */

const exec = promisify(execFile);
const root = fileURLToPath(new URL("../../../", import.meta.url));
const readmeEndpoint = "http://127.0.0.1:4573";

/** The example's lines: the event file, the put-record command, and the fallback for v2 without `@=`. */
function readmeExample(): { event: string; makeFile: string; putRecord: string; v2Fallback: string } {
  const lines = readFileSync(join(root, "README.md"), "utf8").split("\n");
  const makeFileAt = lines.findIndex((l) => l.startsWith("printf ") && l.endsWith("> event.json"));
  assert.ok(makeFileAt >= 0, "README: the line writing event.json");
  const commandAt = lines.findIndex((l) => l.includes("aws firehose put-record"));
  assert.equal(commandAt, makeFileAt + 1, "README: put-record right after the event file");
  let end = commandAt;
  while (lines[end]!.endsWith("\\")) end++;
  const putRecord = lines.slice(commandAt, end + 1).join("\n");
  assert.match(putRecord, /--record Data@=fileb:\/\/event\.json$/);
  const fallback = /^# AWS CLI v2 older than .*: (--record "Data=\$\(base64 -w0 event\.json\)")$/.exec(
    lines[end + 1] ?? "",
  );
  assert.ok(fallback, "README: the v2 fallback right after the command");
  const event = /printf '%s\\n' '(\{.*\})' > event\.json$/.exec(lines[makeFileAt]!)?.[1];
  assert.ok(event, "README: the event is a single-quoted JSON object");
  return {
    event,
    makeFile: lines[makeFileAt]!,
    putRecord,
    v2Fallback: putRecord.replace("--record Data@=fileb://event.json", fallback[1]!),
  };
}

/** `clickstream serve` on a free port over a fresh warehouse. */
const serve = (): Promise<ServeProcess> => serveProcess("clickstream-readme-cli-");

/** Runs the README's lines with bash, the chosen `aws` first on PATH; returns the raw records stored. */
async function runExample(awsDir: string, command: string): Promise<{ records: string[]; stdout: string }> {
  const example = readmeExample();
  const collector = await serve();
  const cwd = await tempDir("clickstream-readme-cwd-");
  try {
    const script = `${example.makeFile}\n${command.replace(readmeEndpoint, collector.url)}\n`;
    const { stdout } = await exec("bash", ["-euo", "pipefail", "-c", script], {
      cwd,
      env: isolatedAwsCliEnv(`${awsDir}:${process.env.PATH}`, cwd),
      timeout: 60_000,
    });
    await collector.stop();
    const objects = await readRaw(new LocalStorage(collector.warehouse));
    return { records: objects.flatMap((o) => o.lines), stdout };
  } finally {
    await collector.stop();
  }
}

describe("README: `aws firehose put-record` against the collector, as printed", () => {
  it("AWS CLI v1 (PyPI's awscli, in .venv): Data@=fileb:// arrives as the event itself", async (t) => {
    if (!requireTool(t, pythonSide)) return;
    const venvBin = dirname(venvPython);
    const version = await exec(join(venvBin, "aws"), ["--version"]);
    assert.match(version.stdout + version.stderr, /^aws-cli\/1\./);
    const example = readmeExample();
    const { records, stdout } = await runExample(venvBin, example.putRecord);
    assert.match(stdout, /"RecordId"/);
    assert.deepEqual(records, [example.event]);
  });

  it("AWS CLI v2 (Debian's awscli): the README's fallback for a v2 without @= arrives as the event itself", async (t) => {
    if (!requireTool(t, awsCliV2)) return;
    const example = readmeExample();
    const { records, stdout } = await runExample(dirname(awsCliV2Path), example.v2Fallback);
    assert.match(stdout, /"RecordId"/);
    assert.deepEqual(records, [example.event]);
  });
});
