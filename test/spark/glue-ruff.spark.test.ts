import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { requireTool, type OptionalTool } from "../support/optional-suite.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const ruffBin = join(root, ".venv", "bin", "ruff");

/** ruff, pinned in glue/requirements-dev.txt and installed into .venv by `npm run setup:python`. */
const ruff: OptionalTool = {
  name: "ruff (in .venv)",
  enable: "npm run setup:python",
  missing: () => {
    if (!existsSync(ruffBin)) return `${ruffBin} does not exist`;
    return spawnSync(ruffBin, ["--version"], { stdio: "ignore" }).status === 0
      ? undefined
      : `${ruffBin} --version failed`;
  },
};

function runRuff(args: string[]): { status: number | null; output: string } {
  const result = spawnSync(ruffBin, args, {
    cwd: root,
    encoding: "utf8",
    timeout: 60_000,
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

// Spark tier: it needs the Python side only, and CI runs the tier once (ruff's verdict does not depend on Node).
describe("glue/ under ruff (glue/ruff.toml)", () => {
  it("lints clean: ruff check glue", (t) => {
    if (!requireTool(t, ruff)) return;
    const { status, output } = runRuff(["check", "--no-cache", "glue"]);
    assert.equal(status, 0, output);
  });

  it("is formatted: ruff format --check glue", (t) => {
    if (!requireTool(t, ruff)) return;
    const { status, output } = runRuff(["format", "--check", "--no-cache", "glue"]);
    assert.equal(status, 0, `${output}\nfix with: .venv/bin/ruff format glue`);
  });
});
