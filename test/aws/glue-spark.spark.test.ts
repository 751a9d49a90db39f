import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { pythonSide, requireTool, venvPython } from "../support/optional-suite.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));

describe("glue/ on real Spark (Python tests sharing one SparkSession)", () => {
  it("the job's boto3 calls on moto S3, rowsRewritten's meaning, the Glue entry with the awsglue stand-in", (t) => {
    if (!requireTool(t, pythonSide)) return;
    const result = spawnSync(
      venvPython,
      [
        "-W",
        "ignore::ResourceWarning",
        "-m",
        "unittest",
        "discover",
        "-s",
        "glue/tests",
        "-p",
        "spark_test_*.py",
        "-v",
      ],
      {
        cwd: root,
        encoding: "utf8",
        env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1", AWS_DEFAULT_REGION: "us-east-1" },
        timeout: 600_000,
      },
    );
    const summary = result.stderr.split("\n").filter((l) => / \.\.\. |^Ran |^OK|^FAILED/.test(l));
    assert.equal(result.status, 0, `${summary.join("\n")}\n${result.stderr.slice(-4000)}`);
    for (const name of [
      "test_state_ledger_report_and_rejects_go_through_boto3",
      "test_counts_existing_rows_whose_sequence_changed",
      "test_init_bookmarked_discovery_run_then_commit",
      "test_a_failed_run_never_commits_the_bookmark",
      "test_table_columns_and_spark_types_are_the_contracts",
    ]) {
      assert.ok(result.stderr.includes(name), `${name} ran`);
    }
    // Spark's log interleaves with unittest's per-test lines: the totals are what count.
    assert.match(result.stderr, /\nRan 5 tests in /);
    assert.match(result.stderr, /\nOK\s*$/);
    assert.doesNotMatch(result.stderr, /skipped/);
  });
});
