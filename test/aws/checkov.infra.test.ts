import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { pythonSide, requireTool, venvCheckov } from "../support/optional-suite.js";

/**
 * Checkov (pinned in infra/requirements-checkov.txt) over infra/: no failed check, no --soft-fail, no
 * check skipped from the command line or a config file. The only skips are inline `#checkov:skip=` comments,
 * one check on one resource each, and docs/aws.md lists every one of them with its argument.
 */

const root = fileURLToPath(new URL("../../../", import.meta.url));
const infra = join(root, "infra");

interface CheckovResult {
  check_id: string;
  resource: string;
  check_result: { result: string; suppress_comment?: string };
}
interface CheckovReport {
  check_type: string;
  summary: { passed: number; failed: number; skipped: number; parsing_errors: number };
  results: { failed_checks: CheckovResult[]; skipped_checks: CheckovResult[] };
}

describe("Checkov over infra/", () => {
  it("finds no failed check; every skip is inline and documented in docs/aws.md", (t) => {
    if (!requireTool(t, pythonSide)) return;
    // Nothing may skip checks behind the test's back.
    for (const config of [".checkov.yml", ".checkov.yaml"])
      assert.ok(!existsSync(join(infra, config)) && !existsSync(join(root, config)), `no ${config}`);
    const run = spawnSync(
      venvCheckov,
      ["--directory", infra, "--framework", "terraform", "--output", "json", "--skip-download", "--compact"],
      // No API key: nothing is sent to a platform; checks are Checkov's own, bundled in the package.
      { encoding: "utf8", env: { ...process.env, BC_API_KEY: "", PRISMA_API_URL: "" }, timeout: 300_000 },
    );
    const report = JSON.parse(run.stdout) as CheckovReport;
    const failed = report.results.failed_checks.map((c) => `${c.check_id} ${c.resource}`);
    assert.deepEqual(failed, [], "failed checks");
    assert.equal(run.status, 0, run.stderr);
    assert.equal(report.summary.parsing_errors, 0);
    assert.ok(report.summary.passed > 100, `${report.summary.passed} checks passed`);

    const skipped = report.results.skipped_checks.map((c) => `${c.check_id} ${c.resource}`).sort();
    // Every skip Checkov reports comes from an inline comment in infra/.
    const inline = readdirSync(infra)
      .filter((f) => f.endsWith(".tf"))
      .flatMap((f) => [
        ...readFileSync(join(infra, f), "utf8").matchAll(/#checkov:skip=([A-Z0-9_]+):(.+)$/gm),
      ])
      .map((m) => m[1]!);
    assert.deepEqual([...new Set(skipped.map((s) => s.split(" ")[0]!))].sort(), [...new Set(inline)].sort());
    for (const c of report.results.skipped_checks)
      assert.ok(
        (c.check_result.suppress_comment ?? "").length > 20,
        `${c.check_id} on ${c.resource} has its reason inline`,
      );

    // docs/aws.md: one row per skipped check and resource, with the argument.
    const docs = readFileSync(join(root, "docs", "aws.md"), "utf8");
    const section = docs.slice(
      docs.indexOf("### Checkov"),
      docs.indexOf("\n### ", docs.indexOf("### Checkov") + 1),
    );
    const rows = [...section.matchAll(/^\| `(CKV2?_AWS_\d+)` \| `([^`]+)` \| (.{20,}) \|$/gm)].map(
      (m) => `${m[1]} ${m[2]}`,
    );
    assert.deepEqual(rows.sort(), skipped);
  });
});
