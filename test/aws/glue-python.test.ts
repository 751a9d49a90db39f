import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { tempDir } from "../support/temp-dir.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const python = ["python3", "python"].find(
  (bin) => spawnSync(bin, ["--version"], { stdio: "ignore" }).status === 0,
);

describe("glue/ (Python, run by npm test)", () => {
  it("the rules module passes its unit tests and the golden vectors (python3 -m unittest)", (t) => {
    if (!python) return t.skip("python3 is not installed");
    const result = spawnSync(python, ["-m", "unittest", "discover", "-s", "glue/tests", "-v"], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
      timeout: 120_000,
    });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, /test_rules_vectors .* ok/);
    assert.match(result.stderr, /test_framing_vectors .* ok/);
    assert.doesNotMatch(result.stderr, /skipped/, "the vectors must be present and run");
  });

  it("every Glue script compiles (python3 -m py_compile)", async (t) => {
    if (!python) return t.skip("python3 is not installed");
    const scripts = readdirSync(join(root, "glue"))
      .filter((f) => f.endsWith(".py"))
      .map((f) => join("glue", f));
    assert.ok(scripts.includes(join("glue", "clickstream_transform.py")));
    // The bytecode goes to a temp folder, so no __pycache__ is left in the tree.
    const result = spawnSync(python, ["-m", "py_compile", ...scripts], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, PYTHONPYCACHEPREFIX: await tempDir("clickstream-pycache-") },
    });
    assert.equal(result.status, 0, result.stderr);
  });
});
