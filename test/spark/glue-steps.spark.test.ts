import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { pythonSide, requireTool, venvPython } from "../support/optional-suite.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));

/** The step classes of glue/tests/spark_steps_test.py: each must run and pass. */
const suites = [
  "SchemaTest",
  "FrameTest",
  "DedupeTest",
  "PartitionTest",
  "SequenceTest",
  "SessionsTest",
  "SessionsRunTest",
  "RejectsAndCountsTest",
  "ContractReachesTheFilesTest",
];

describe("the Glue job's steps (DataFrame → DataFrame) on small local frames", () => {
  it("every step passes its Python tests on real Spark (one SparkSession)", (t) => {
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
        "spark_steps_test.py",
        "-v",
      ],
      {
        cwd: root,
        encoding: "utf8",
        env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
        timeout: 600_000,
      },
    );
    const summary = result.stderr.split("\n").filter((l) => / \.\.\. |^Ran |^OK|^FAILED/.test(l));
    assert.equal(result.status, 0, `${summary.join("\n")}\n${result.stderr.slice(-4000)}`);
    for (const suite of suites)
      assert.match(result.stderr, new RegExp(`\\.${suite}\\.test_\\w+\\) \\.\\.\\. ok`), `${suite} ran`);
    // Spark's log interleaves with unittest's per-test lines: the totals are what count.
    const ran = /\nRan (\d+) tests? in /.exec(result.stderr);
    assert.ok(ran && Number(ran[1]) >= 24, `at least 24 step tests ran: ${ran?.[0] ?? "none"}`);
    assert.match(result.stderr, /\nOK\s*$/);
    assert.doesNotMatch(result.stderr, /skipped/);
  });
});
