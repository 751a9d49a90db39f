import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { parseConfig } from "../../src/config/load-config.js";
import { LocalStorage } from "../../src/storage/local-storage.js";
import { losersTable } from "../../src/transform/dedupe-step.js";
import { replacedLinesTable } from "../../src/transform/fallback-step.js";
import { lenientTable } from "../../src/transform/lenient-json-step.js";
import { propertyEntriesTable } from "../../src/transform/properties-step.js";
import { framingRejectsTable } from "../../src/transform/framing-rejects.js";
import { textFilesTable } from "../../src/transform/frame-step.js";
import { eventCategoriesTable } from "../../src/transform/judge-step.js";
import { buildRulesSql, judgedTable } from "../../src/transform/record-rules-sql.js";
import { runTransform } from "../../src/transform/run-transform.js";
import {
  candidateFilesTable,
  filesToRewriteTable,
  lateSequenceTable,
  rewritesTable,
  sessionsBeforeTable,
} from "../../src/transform/sequence-step.js";
import type { SqlRunner } from "../../src/transform/sql-runner.js";
import type { TableDefinition } from "../../src/transform/table-definition.js";
import { sourcesTable } from "../../src/transform/write-step.js";
import { tempDir } from "../support/temp-dir.js";

/** Every declared table the session still holds when the write step is done. */
const declared: readonly TableDefinition[] = [
  textFilesTable,
  eventCategoriesTable,
  judgedTable,
  framingRejectsTable,
  replacedLinesTable,
  lenientTable,
  propertyEntriesTable,
  losersTable,
  sessionsBeforeTable,
  rewritesTable,
  filesToRewriteTable,
  candidateFilesTable,
  lateSequenceTable,
  sourcesTable,
];
/** Tables made from a query (CREATE TABLE … AS): their columns are the query's, declared nowhere else. */
const derived = new Set([
  "touched_sessions",
  "late_sessions",
  "late_old_rows",
  "run_ids",
  "run_clock",
  "output_final",
]);

type Described = [string, string][];

async function describeTable(sql: SqlRunner, name: string): Promise<Described> {
  return (await sql.rows(`DESCRIBE ${name}`)).map((r) => [String(r.column_name), String(r.column_type)]);
}

const rules = JSON.parse(
  readFileSync(new URL("../../../test/vectors/rules.json", import.meta.url), "utf8"),
) as { now: string; cases: { raw: string; pad?: unknown }[] };

const event = (id: string, time: string): string =>
  JSON.stringify({ event_id: id, user_id: "u1", session_id: "s1", event_type: "page_view", timestamp: time });

describe("the run's tables are created from their declarations", () => {
  it("DESCRIBE of every table in a real run equals its declaration", async () => {
    const warehouse = await tempDir();
    const storage = new LocalStorage(warehouse);
    const config = parseConfig({}).transform;
    const seen = new Map<string, Described>();
    const onTables = async (sql: SqlRunner): Promise<void> => {
      for (const row of await sql.rows(`SELECT table_name FROM duckdb_tables() ORDER BY table_name`)) {
        const name = String(row.table_name);
        seen.set(name, await describeTable(sql, name));
      }
    };
    // The rule vectors (exact numbers, properties, lenient JSON), a duplicate, a line that is not UTF-8
    // and one that is not one object: the per-record path's tables too.
    const text = [
      ...rules.cases.filter((c) => c.pad === undefined).map((c) => c.raw),
      event("dup-1", "2026-11-25T11:00:00Z"),
      event("dup-1", "2026-11-25T11:00:01Z"),
      '[{"event_id":"arr-1","user_id":"u1","event_type":"page_view","timestamp":"2026-11-25T11:00:00Z"}]',
    ].join("\n");
    const body = Buffer.concat([Buffer.from(text + "\n"), Buffer.from([0xff, 0xfe, 0x0a])]);
    await storage.writeAtomic("raw", "raw/year=2026/month=11/day=25/first", body);
    const now = new Date(rules.now);
    await runTransform({ storage, config, workDir: warehouse, now, onTables });
    // A late event in a session the table holds: the sequence step's tables for rewrites.
    await storage.writeAtomic(
      "raw",
      "raw/year=2026/month=11/day=25/second",
      Buffer.from(event("late-1", "2026-11-25T09:00:00Z") + "\n"),
    );
    const first = new Map(seen);
    seen.clear();
    await runTransform({ storage, config, workDir: warehouse, now, onTables });

    for (const [run, tables] of [
      ["first", first],
      ["second", seen],
    ] as const) {
      for (const [name, columns] of tables) {
        if (derived.has(name)) continue;
        const table = declared.find((t) => t.name === name);
        assert.ok(table, `${run} run: table ${name} has no declaration`);
        assert.deepEqual(columns, Object.entries(table.columns), `${run} run: ${name}`);
      }
    }
    // exact_lines, partly_text and bad_lines are dropped within their step, lines within its batch.
    for (const table of declared) {
      assert.ok(first.has(table.name) || seen.has(table.name), `${table.name} was made`);
    }
  });

  it("the rules SQL selects exactly judged's declared columns", async () => {
    const seen: Described[] = [];
    const warehouse = await tempDir();
    const storage = new LocalStorage(warehouse);
    await storage.writeAtomic(
      "raw",
      "raw/year=2026/month=11/day=25/one",
      Buffer.from(event("a", "2026-11-25T10:00:00Z")),
    );
    const empty = `(SELECT NULL::INTEGER AS obj, NULL::INTEGER AS line, NULL::INTEGER AS sub,
      NULL::BOOLEAN AS checked, NULL::VARCHAR AS raw, NULL::VARCHAR AS kind WHERE false)`;
    await runTransform({
      storage,
      config: parseConfig({}).transform,
      workDir: warehouse,
      onTables: async (sql) => {
        await sql.run(`CREATE TEMP TABLE rules_output AS ${buildRulesSql(empty)}`, {
          max_event_ms: 0,
          tolerance_hours: 0,
          other_category: "other",
        });
        seen.push(await describeTable(sql, "rules_output"));
      },
    });
    const byName = (columns: Described): Described => [...columns].sort(([a], [b]) => (a < b ? -1 : 1));
    assert.deepEqual(byName(seen[0]!), byName(Object.entries(judgedTable.columns)));
  });
});
