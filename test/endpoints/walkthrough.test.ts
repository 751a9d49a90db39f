import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmod, copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parseConfig } from "../../src/config/load-config.js";
import { writeLocalOutputs } from "../../src/endpoints/local-outputs.js";
import { awsCliV2, awsCliV2Path, pythonClients, requireTool, venvPython } from "../support/optional-suite.js";
import { isolatedAwsCliEnv, serveProcess } from "../support/serve-process.js";
import { tempDir } from "../support/temp-dir.js";
import { credentials, region } from "./endpoints-fixture.js";

const exec = promisify(execFile);
const root = fileURLToPath(new URL("../../../", import.meta.url));
const script = join(root, "test", "endpoints", "walkthrough.sh");
const bin = join(root, "bin", "clickstream");

/** The output names infra/outputs.tf declares. */
async function terraformOutputNames(): Promise<string[]> {
  const tf = await readFile(join(root, "infra", "outputs.tf"), "utf8");
  return [...tf.matchAll(/^output "([a-z_]+)"/gm)].map((m) => m[1]!).sort();
}

/**
 * Runs the walk-through script in a folder holding sample-data/ and the terraform-outputs.json that
 * `clickstream <command> --outputs` wrote, with `awsDir`'s `aws` first on PATH; compares the count with
 * `clickstream query` on the same warehouse.
 */
async function walkThrough(
  command: "serve" | "pipeline",
  aws: (url: string, cwd: string) => Promise<{ path: string; env: NodeJS.ProcessEnv }>,
): Promise<void> {
  const cwd = await tempDir("clickstream-walkthrough-");
  await mkdir(join(cwd, "sample-data"));
  await copyFile(
    join(root, "sample-data", "sample_events.json"),
    join(cwd, "sample-data", "sample_events.json"),
  );
  const outputs = join(cwd, "terraform-outputs.json");
  const args = ["--outputs", outputs];
  // The pipeline's own schedule stays out of the way: one run at start (on an empty warehouse), none after.
  if (command === "pipeline") args.push("--every", "1h", "--console-port", "-1", "--admin-port", "-1");
  const served = await serveProcess("clickstream-walkthrough-wh-", { command, args });
  try {
    const written = JSON.parse(await readFile(outputs, "utf8")) as Record<
      string,
      { type: unknown; value: unknown }
    >;
    assert.deepEqual(
      Object.keys(written).sort(),
      await terraformOutputNames(),
      "the keys of infra/outputs.tf",
    );
    // The pipeline's first run (at start, over an empty raw/) is over before the upload, so the
    // walk-through's own job run is the one that transforms the file.
    if (command === "pipeline") await served.waitForLog(/run \(start\)/);
    const cli = await aws(served.url, cwd);
    const { stdout } = await exec("bash", [script], {
      cwd,
      timeout: 240_000,
      env: {
        ...isolatedAwsCliEnv(`${cli.path}:${process.env.PATH}`, cwd),
        AWS_DEFAULT_REGION: region,
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        ...cli.env,
      },
    });
    const answers = Object.fromEntries(
      stdout
        .split("\n")
        .filter((l) => /^[A-Z_]+=/.test(l))
        .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
    const local = await exec(process.execPath, [
      bin,
      "query",
      "--warehouse",
      served.warehouse,
      "--format",
      "json",
      "SELECT count(*) AS n FROM transformed",
    ]);
    const [row] = JSON.parse(local.stdout) as { n: number }[];
    assert.ok(row!.n > 0, "the sample events reached the table");
    assert.deepEqual(answers, {
      JOB_STATE: "SUCCEEDED",
      LAST_CRAWL: "SUCCEEDED",
      ROWS: "11",
      COUNT: String(row!.n),
    });
  } finally {
    await served.stop();
  }
}

describe("the walk-through, verbatim, against the local stack", () => {
  test("AWS CLI v1 (PyPI's awscli) with AWS_ENDPOINT_URL, against clickstream pipeline --outputs", async (t) => {
    if (!requireTool(t, pythonClients)) return;
    await walkThrough("pipeline", async (url) => ({
      path: dirname(venvPython),
      env: { AWS_ENDPOINT_URL: url },
    }));
  });

  test("AWS CLI v2 (Debian's awscli) with --endpoint-url, against clickstream serve --outputs", async (t) => {
    if (!requireTool(t, awsCliV2)) return;
    await walkThrough("serve", async (url, cwd) => {
      // v2 before 2.13 does not read AWS_ENDPOINT_URL: an `aws` that passes --endpoint-url on every call.
      const dir = join(cwd, "aws-v2");
      await mkdir(dir);
      await writeFile(join(dir, "aws"), `#!/bin/sh\nexec ${awsCliV2Path} --endpoint-url ${url} "$@"\n`);
      await chmod(join(dir, "aws"), 0o755);
      return { path: dir, env: {} };
    });
  });
});

describe("--outputs FILE", () => {
  test("rewrites its own file; refuses one that names a real deployment, or is not an outputs file", async () => {
    const dir = await tempDir("clickstream-outputs-");
    const config = parseConfig({});
    const file = join(dir, "terraform-outputs.json");
    await writeLocalOutputs(file, config);
    const first = await readFile(file, "utf8");
    const parsed = JSON.parse(first) as Record<string, { sensitive: boolean; type: unknown; value: unknown }>;
    assert.deepEqual(parsed.raw_bucket_name, {
      sensitive: false,
      type: "string",
      value: "clickstream-pipeline-raw-000000000000-us-east-1",
    });
    assert.equal(parsed.glue_job_name!.value, "clickstream-pipeline-transform-job");
    assert.equal(parsed.crawler_name!.value, "clickstream-pipeline-crawler");
    assert.equal(parsed.firehose_stream_name!.value, "clickstream-pipeline-stream");
    assert.deepEqual(parsed.named_queries!.type, ["map", "string"]);
    await writeLocalOutputs(file, config);
    assert.equal(await readFile(file, "utf8"), first, "its own file is replaced");

    const real = JSON.stringify({
      ...parsed,
      raw_bucket_name: {
        sensitive: false,
        type: "string",
        value: "clickstream-pipeline-raw-123456789012-eu-west-1",
      },
    });
    await writeFile(file, real);
    const refused = await exec(process.execPath, [
      bin,
      "serve",
      "--warehouse",
      dir,
      "--port",
      "0",
      "--outputs",
      file,
    ]).then(
      () => undefined,
      (error: { stderr: string; code: number }) => error,
    );
    assert.ok(refused, "serve refuses to start");
    assert.match(refused.stderr, /CS_ERR_OUTPUTS_NOT_LOCAL/);
    assert.match(refused.stderr, /123456789012/);
    assert.equal(await readFile(file, "utf8"), real, "the deployment's file is untouched");

    await writeFile(file, "not json");
    await assert.rejects(writeLocalOutputs(file, config), { code: "CS_ERR_OUTPUTS_NOT_LOCAL" });
    assert.equal(await readFile(file, "utf8"), "not json");
  });
});
