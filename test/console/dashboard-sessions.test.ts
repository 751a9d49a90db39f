// test tier: slow (builds a 1M-event warehouse)
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { parseConfig } from "../../src/config/load-config.js";
import { dashboardSqlFile } from "../../src/console/dashboard-queries.js";
import { openQueryEngine } from "../../src/query/query-engine.js";
import { parseQueryFile } from "../../src/query/query-file.js";
import { LocalStorage } from "../../src/storage/local-storage.js";
import { tempDir } from "../support/temp-dir.js";
import { bin, expectedFigures, sameFigure } from "./console-fixture.js";

const run = promisify(execFile);
const baselineFile = fileURLToPath(
  new URL("../../../bench/baselines/dashboard-over-events.sql", import.meta.url),
);

const cli = (warehouse: string, ...args: string[]) =>
  run(process.execPath, [bin, ...args, "--warehouse", warehouse], { maxBuffer: 64 * 1024 * 1024 });

/**
 * Every statement of queries/dashboard.sql (sessions read from the sessions table) against the same
 * statement computed from the events alone (bench/baselines/dashboard-over-events.sql, the previous
 * release's dashboard), over the warehouse's whole range: the same rows, counts exactly, doubles to
 * 1e-9 (the sums add in another order).
 */
async function assertSameDashboard(warehouse: string, tilesAsBefore: boolean): Promise<void> {
  const config = parseConfig({ warehouse: { dir: warehouse } });
  const engine = await openQueryEngine({ storage: new LocalStorage(warehouse), config });
  try {
    const days = (await engine.run("SELECT min(event_date), max(event_date) FROM transformed")).rows[0]!.map(
      String,
    );
    const baseline = new Map(
      parseQueryFile(await readFile(baselineFile, "utf8")).map((s) => [s.title, s.sql]),
    );
    const statements = parseQueryFile(await readFile(dashboardSqlFile, "utf8"));
    assert.equal(statements.length, baseline.size);
    let sessionRows = 0;
    for (const statement of statements) {
      const expected = (await engine.run(baseline.get(statement.title)!, { params: days })).rows;
      if (statement.title === "overview") {
        // The tiles, against an independent computation of the rule (visitors by the first event's
        // anonymous_id, else user_id; sessions whole), and, where no session lacks an id or changes
        // user, against the previous release's figures too.
        const figures = await expectedFigures(warehouse, days[0]!, days[1]!);
        const [row] = (await engine.run(statement.sql, { params: days })).rows;
        sessionRows = Number(row![1]);
        Object.values(figures).forEach((value, c) =>
          assert.ok(sameFigure(Number(row![c]), value), `tile ${c}: ${String(row![c])} vs ${value}`),
        );
        if (!tilesAsBefore) continue;
      }
      // The previous funnel grouped the events without a session_id as one more session.
      if (statement.title === "funnel" && !tilesAsBefore) continue;
      const actual = (await engine.run(statement.sql, { params: days })).rows;
      assert.equal(actual.length, expected.length, statement.title);
      actual.forEach((row, r) =>
        row.forEach((cell, c) => {
          const other = expected[r]![c];
          const same =
            typeof cell === "number" && typeof other === "number" ? sameFigure(cell, other) : cell === other;
          assert.ok(same, `${statement.title} row ${r} column ${c}: ${String(cell)} vs ${String(other)}`);
        }),
      );
    }
    const [count] = (await engine.run("SELECT count(*) FROM clickstream_db.sessions")).rows;
    assert.equal(Number(count![0]), sessionRows, "one row per session");
  } finally {
    engine.close();
  }
}

describe("the dashboard over the sessions table shows the figures computed from the events", () => {
  it("on the demo's warehouse", async () => {
    const warehouse = await tempDir("clickstream-demo-");
    await cli(warehouse, "demo");
    // The demo's sample holds 10 events without a session_id and 11 sessions whose user_id changes
    // (identify): the tiles count those by the visitor rule, and the previous funnel counted the events
    // without a session as one session; only they differ from before.
    await assertSameDashboard(warehouse, false);
  });

  it("on a generated 1M-event warehouse over 30 days", async () => {
    const warehouse = await tempDir("clickstream-1m-");
    await cli(
      warehouse,
      "generate",
      ...["--events", "1000000", "--users", "25000", "--days", "30", "--start", "2026-10-01"],
      ...["--seed", "7", "--events-per-object", "100000"],
    );
    await cli(warehouse, "transform");
    await cli(warehouse, "crawl");
    await assertSameDashboard(warehouse, true);
  });
});
