import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { appendFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { fileURLToPath } from "node:url";

/**
 * Suites that need something beyond `npm install` (the Python side: pyspark, moto, checkov; Debian's
 * Chromium) skip on a machine without it, loudly: each skip is logged for scripts/run-tests.mjs, which
 * prints one line naming the skipped suites and the command that enables them. In CI
 * (CLICKSTREAM_REQUIRE_OPTIONAL=1, set by .ci/run) a missing tool fails the test instead: CI never skips.
 */
export interface OptionalTool {
  /** Short name shown in the skip line ("python side", "chromium"). */
  readonly name: string;
  /** The one command that makes it available. */
  readonly enable: string;
  /** Undefined when available; otherwise why not. */
  readonly missing: () => string | undefined;
}

const root = fileURLToPath(new URL("../../../", import.meta.url));

/** The project's virtualenv (`npm run setup:python`), as every Python-backed suite uses it. */
export const venvPython = join(root, ".venv", "bin", "python");
/** Checkov, in a virtualenv of its own inside .venv/ (its pinned dependencies clash with the runtime's). */
export const venvCheckov = join(root, ".venv", "checkov", "bin", "checkov");

const memo = new Map<string, string | undefined>();
const once = (key: string, check: () => string | undefined): (() => string | undefined) => {
  return () => {
    if (!memo.has(key)) memo.set(key, check());
    return memo.get(key);
  };
};

/** pyspark, boto3, moto and the AWS CLI v1 in `.venv`, checkov in `.venv/checkov`, plus a Java runtime for Spark. */
export const pythonSide: OptionalTool = {
  name: "python side (pyspark, moto, checkov)",
  enable: "npm run setup:python",
  missing: once("python", () => {
    if (!existsSync(venvPython)) return `${venvPython} does not exist`;
    const probe = spawnSync(venvPython, ["-c", "import pyspark, boto3, moto, awscli"], {
      encoding: "utf8",
    });
    if (probe.status !== 0) return `the virtualenv lacks a module: ${probe.stderr.trim().split("\n").pop()}`;
    if (!existsSync(venvCheckov)) return `${venvCheckov} does not exist`;
    if (spawnSync("java", ["-version"], { stdio: "ignore" }).status !== 0) return "no java on PATH";
    return undefined;
  }),
};

/** boto3 (and PyAthena, for the endpoints' client tests) in `.venv`: the Python clients of the AWS endpoints. */
export const pythonClients: OptionalTool = {
  name: "python clients (boto3, PyAthena, SQLAlchemy)",
  enable: "npm run setup:python",
  missing: once("python-clients", () => {
    if (!existsSync(venvPython)) return `${venvPython} does not exist`;
    const probe = spawnSync(venvPython, ["-c", "import boto3, pyathena, sqlalchemy"], { encoding: "utf8" });
    return probe.status === 0
      ? undefined
      : `the virtualenv lacks a module: ${probe.stderr.trim().split("\n").pop()}`;
  }),
};

/** awswrangler (AWS SDK for pandas, with pandas and pyarrow) in `.venv`, for the endpoints' notebook-style test. */
export const awsWrangler: OptionalTool = {
  name: "python clients (awswrangler)",
  enable: "npm run setup:python",
  missing: once("awswrangler", () => {
    if (!existsSync(venvPython)) return `${venvPython} does not exist`;
    const probe = spawnSync(venvPython, ["-c", "import awswrangler"], { encoding: "utf8" });
    return probe.status === 0
      ? undefined
      : `the virtualenv lacks a module: ${probe.stderr.trim().split("\n").pop()}`;
  }),
};

/** dbt (dbt-core with the dbt-athena adapter) in `.venv`, for the endpoints' examples/dbt/ test. */
export const venvDbt = join(root, ".venv", "bin", "dbt");
export const dbtAthena: OptionalTool = {
  name: "python clients (dbt-athena)",
  enable: "npm run setup:python",
  missing: once("dbt-athena", () => {
    if (!existsSync(venvDbt)) return `${venvDbt} does not exist`;
    const probe = spawnSync(venvPython, ["-c", "import dbt.adapters.athena"], { encoding: "utf8" });
    return probe.status === 0
      ? undefined
      : `the virtualenv lacks a module: ${probe.stderr.trim().split("\n").pop()}`;
  }),
};

/** Debian's Chromium, driven by playwright-core (its own browser download does not work here). */
export const chromiumPath = process.env.CLICKSTREAM_CHROMIUM ?? "/usr/bin/chromium";
export const chromium: OptionalTool = {
  name: "browser (chromium)",
  enable: "sudo apt-get install -y chromium",
  missing: once("chromium", () => (existsSync(chromiumPath) ? undefined : `${chromiumPath} not found`)),
};

/** Where `terraform init -plugin-dir` finds the AWS provider offline (this machine and CI have 5.100 there). */
export const terraformPluginDir = process.env.CLICKSTREAM_TF_PLUGIN_DIR ?? "/opt/tf-plugins";

/** Terraform on PATH and the hashicorp/aws provider in the local plugin folder, newest version first. */
export function terraformAwsProviders(): string[] {
  const dir = join(terraformPluginDir, "registry.terraform.io", "hashicorp", "aws");
  return existsSync(dir) ? readdirSync(dir).sort((a, b) => b.localeCompare(a, "en", { numeric: true })) : [];
}
export const terraform: OptionalTool = {
  name: "terraform with the AWS provider",
  enable: `install terraform >= 1.5.7 and put hashicorp/aws in ${terraformPluginDir} (or set CLICKSTREAM_TF_PLUGIN_DIR)`,
  missing: once("terraform", () => {
    if (spawnSync("terraform", ["version"], { stdio: "ignore" }).status !== 0) return "no terraform on PATH";
    return terraformAwsProviders().length > 0
      ? undefined
      : `no hashicorp/aws provider in ${terraformPluginDir}`;
  }),
};

/** Debian's AWS CLI v2 (`awscli` package), next to PyPI's v1 in `.venv`: the README's example runs on both. */
export const awsCliV2Path = process.env.CLICKSTREAM_AWS_CLI_V2 ?? "/usr/bin/aws";
export const awsCliV2: OptionalTool = {
  name: "AWS CLI v2",
  enable: "sudo apt-get install -y awscli",
  missing: once("aws-cli-v2", () => {
    const version = spawnSync(awsCliV2Path, ["--version"], { encoding: "utf8" });
    if (version.status !== 0) return `${awsCliV2Path} not found`;
    return /^aws-cli\/2\./.test(version.stdout)
      ? undefined
      : `${awsCliV2Path} is not v2: ${version.stdout.trim()}`;
  }),
};

/**
 * True when the tool is there. Otherwise skips the test (logging the skip for the summary line), or,
 * in CI, fails it.
 */
export function requireTool(t: TestContext, tool: OptionalTool): boolean {
  const why = tool.missing();
  if (why === undefined) return true;
  if (process.env.CLICKSTREAM_REQUIRE_OPTIONAL === "1") {
    assert.fail(
      `${tool.name} is required here (CLICKSTREAM_REQUIRE_OPTIONAL=1): ${why}; run: ${tool.enable}`,
    );
  }
  const log = process.env.CLICKSTREAM_SKIP_LOG;
  if (log)
    appendFileSync(log, `${JSON.stringify({ tool: tool.name, enable: tool.enable, test: t.fullName })}\n`);
  t.skip(`${tool.name} not available (${why}); enable with: ${tool.enable}`);
  return false;
}

/** A small tmpfs mounted for a test: a real device that fills up (needs root, as CI has). */
export const tmpfsMount: OptionalTool = {
  name: "tmpfs mounts (root)",
  enable: "run the tests as root (CI does)",
  missing: once("tmpfs", () => {
    if (process.getuid?.() !== 0) return "not root";
    const dir = mkdtempSync(join(tmpdir(), "clickstream-tmpfs-probe-"));
    try {
      const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir], {
        encoding: "utf8",
      });
      if (mounted.status !== 0) return `mount failed: ${mounted.stderr.trim()}`;
      spawnSync("umount", [dir]);
      return undefined;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }),
};
