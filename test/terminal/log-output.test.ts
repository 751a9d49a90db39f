import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { tempDir } from "../support/temp-dir.js";

const bin = fileURLToPath(new URL("../../../bin/clickstream", import.meta.url));

/** `clickstream serve` until it says it listens; then SIGTERM; what it wrote on each stream. */
async function serveOnce(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const warehouse = await tempDir("clickstream-log-");
  const child = spawn(process.execPath, [bin, "serve", "--warehouse", warehouse, "--port", "0", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      if (/collector listening on/.test(stderr)) resolve();
    });
    child.once("exit", (code) => reject(new Error(`serve exited (${code}): ${stderr}`)));
  });
  child.kill("SIGTERM");
  await exited;
  return { stdout, stderr };
}

test("serve logs readable lines by default: no JSON objects, the URL once, nothing on stdout", async () => {
  const { stdout, stderr } = await serveOnce([]);
  assert.equal(stdout, "");
  const lines = stderr.trim().split("\n");
  for (const line of lines) {
    assert.match(line, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z /, line);
    assert.doesNotMatch(line, /^\S+ \{/, `a JSON line in the readable log: ${line}`);
  }
  const listening = lines.find((l) => l.includes("collector listening on"))!;
  assert.equal(listening.match(/http:\/\/127\.0\.0\.1:\d+/g)?.length, 1, listening);
  assert.ok(
    lines.some((l) => l.includes("SIGTERM: flushing buffers and stopping")),
    stderr,
  );
});

test("serve --log-format json: every line is one JSON object with level, time and msg", async () => {
  const { stdout, stderr } = await serveOnce(["--log-format", "json"]);
  assert.equal(stdout, "");
  const records = stderr
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { level: number; time: number; msg: string; url?: string });
  for (const r of records) {
    assert.equal(typeof r.level, "number");
    assert.equal(typeof r.time, "number");
    assert.equal(typeof r.msg, "string");
  }
  assert.match(records.find((r) => r.msg.startsWith("collector listening on"))?.url ?? "", /^http:\/\//);
  assert.ok(records.some((r) => r.msg.startsWith("SIGTERM: flushing")));
});

test("an unknown --log-format is refused with the choices", async () => {
  const child = spawn(process.execPath, [bin, "serve", "--log-format", "xml"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  assert.notEqual(code, 0);
  assert.match(stderr, /--log-format/);
  assert.match(stderr, /text, json|"text", "json"/);
});
