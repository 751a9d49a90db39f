import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, it } from "node:test";
import { tempDir } from "../support/temp-dir.js";
import { readErrors, readTransformed } from "../support/warehouse-reader.js";

const exec = promisify(execFile);
const cli = fileURLToPath(new URL("../../../bin/clickstream", import.meta.url));

describe("clickstream demo (npm start)", () => {
  it("runs collector → raw → transform → crawl → queries end to end and every count adds up", async () => {
    const warehouse = join(await tempDir(), "demo-warehouse");
    const { stdout, stderr } = await exec(process.execPath, [
      cli,
      "demo",
      "--warehouse",
      warehouse,
      "--events",
      "3000",
    ]);
    assert.equal(stderr, "", "no warnings or errors on stderr");
    const read = /transform: read (\d+) = written (\d+) \+ rejected (\d+)/.exec(stdout);
    assert.ok(read, stdout);
    const [readCount, written, rejected] = read.slice(1).map(Number) as [number, number, number];
    assert.equal(readCount, written + rejected);
    // 33 sample events + 3000 generated, less the one record over 1,000 KiB the collector refuses.
    assert.equal(readCount, 33 + 3000 - 1);
    assert.equal((await readTransformed(warehouse)).length, written);
    assert.equal((await readErrors(warehouse)).length, rejected);
    for (const title of ["Event type distribution", "Daily active users", "Purchase funnel"]) {
      assert.match(stdout, new RegExp(`-- Query \\d+: ${title}`));
    }
    assert.match(stdout, /\| 2026-11-24 \|/);

    // A second run starts again from a clean demo warehouse (same counts, no duplicates).
    const again = await exec(process.execPath, [cli, "demo", "--warehouse", warehouse, "--events", "3000"]);
    assert.match(
      again.stdout,
      new RegExp(`transform: read ${readCount} = written ${written} \\+ rejected ${rejected}`),
    );
  });

  it("refuses to wipe a folder a demo did not create", async () => {
    const warehouse = await tempDir();
    await writeFile(join(warehouse, "precious.txt"), "keep me");
    await assert.rejects(
      exec(process.execPath, [cli, "demo", "--warehouse", warehouse]),
      (error: { stderr: string }) => {
        assert.match(error.stderr, /CS_ERR_INVALID_ARGUMENT/);
        assert.match(error.stderr, /did not create/);
        return true;
      },
    );
  });
});
