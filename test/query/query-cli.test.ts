import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { LocalStorage } from "../../src/storage/local-storage.js";
import { tempDir } from "../support/temp-dir.js";
import { generateEvents, writeTransformedFixture } from "../support/transformed-fixture.js";

const run = promisify(execFile);
const bin = fileURLToPath(new URL("../../../bin/clickstream", import.meta.url));
const queries = fileURLToPath(new URL("../../../queries/athena_queries.sql", import.meta.url));
const events = generateEvents({ seed: 5, startDate: "2026-11-03", days: 3, users: 10 });
let warehouse: string;

async function cli(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args, "--warehouse", warehouse]);
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

before(async () => {
  warehouse = await tempDir();
  await writeTransformedFixture(new LocalStorage(warehouse), events);
});

test("crawl --json reports what changed; catalog prints the catalog", async () => {
  const first = await cli("crawl", "--json");
  assert.equal(first.code, 0, first.stderr);
  const report = JSON.parse(first.stdout) as {
    tables: { name: string; action: string; partitionsAdded: string[] }[];
  };
  assert.equal(report.tables[0]!.action, "created");
  assert.equal(report.tables[0]!.partitionsAdded.length, 3);
  const second = JSON.parse((await cli("crawl", "--json")).stdout) as typeof report;
  assert.equal(second.tables[0]!.action, "unchanged");
  const catalog = await cli("catalog");
  assert.match(catalog.stdout, /table transformed \(EXTERNAL_TABLE, parquet, \d+ rows in 3 files\)/);
  assert.match(catalog.stdout, /day\s+string \(partition key\)/);
  const json = JSON.parse((await cli("catalog", "--json")).stdout) as {
    Tables: { Name: string; Partitions: unknown[] }[];
  }[];
  assert.equal(json[0]!.Tables[0]!.Partitions.length, 3);
});

test("query prints json and csv with types intact, and --output saves the CSV under athena-results/", async () => {
  const sql = "SELECT event_type, count(*) AS n FROM transformed GROUP BY 1 ORDER BY 2 DESC, 1";
  const expected = [...new Set(events.map((e) => e.event_type))]
    .map((t) => ({ event_type: t, n: events.filter((e) => e.event_type === t).length }))
    .sort((a, b) => b.n - a.n || (a.event_type < b.event_type ? -1 : 1));
  const json = await cli("query", "--format", "json", sql);
  assert.equal(json.code, 0, json.stderr);
  assert.deepEqual(JSON.parse(json.stdout), expected);

  const csv = await cli("query", "--format", "csv", "--output", sql);
  assert.equal(csv.code, 0, csv.stderr);
  assert.equal(csv.stdout, `event_type,n\r\n${expected.map((r) => `${r.event_type},${r.n}\r\n`).join("")}`);
  const key = /saved (athena-results\/[0-9a-f-]+\.csv)/.exec(csv.stderr)?.[1];
  assert.ok(key, csv.stderr);
  assert.equal(await readFile(join(warehouse, key), "utf8"), csv.stdout);
  const metadata = JSON.parse(await readFile(join(warehouse, `${key}.metadata`), "utf8")) as {
    Query: string;
    RowCount: number;
  };
  assert.equal(metadata.Query, sql);
  assert.equal(metadata.RowCount, expected.length);
});

test("query --file --name runs one named query; --now pins current_date", async () => {
  const result = await cli(
    "query",
    "--file",
    queries,
    "--name",
    "1",
    "--now",
    "2026-11-04T12:00:00Z",
    "--format",
    "json",
  );
  assert.equal(result.code, 0, result.stderr);
  const rows = JSON.parse(result.stdout) as { event_count: number }[];
  const total = rows.reduce((s, r) => s + r.event_count, 0);
  assert.equal(total, events.filter((e) => e.event_date === "2026-11-04").length);
  const all = await cli("query", "--file", queries, "--now", "2026-11-04T12:00:00Z");
  assert.equal(all.code, 0, all.stderr);
  assert.match(all.stdout, /-- Query 14: Top landing pages/);
  const json = await cli("query", "--file", queries, "--now", "2026-11-04T12:00:00Z", "--format", "json");
  const results = JSON.parse(json.stdout) as { query: string; title: string; rows: unknown[] }[];
  assert.equal(results.length, 14);
  assert.deepEqual(results[1]!.title, "Daily active users with events and sessions per user");
});

test("refused and failing statements exit 1 with the error code and the fix", async () => {
  const refused = await cli("query", "COPY (SELECT 1) TO '/tmp/x.csv'");
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /error CS_ERR_QUERY_FORBIDDEN: .*COPY/);
  assert.match(refused.stderr, /fix: /);
  const missing = await cli("query", "--file", queries, "--name", "nope");
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /CS_ERR_QUERY_NOT_FOUND/);
});

test("query --file reports each statement's outcome, runs the rest, and exits 1 if any failed", async () => {
  const file = join(await tempDir(), "mixed.sql");
  await writeFile(
    file,
    [
      "-- Query 1: Count\nSELECT count(*) AS n FROM transformed;",
      "-- Query 2: Statistics\nANALYZE TABLE transformed COMPUTE STATISTICS;",
      "-- Query 3: Not Athena\nSELECT strftime(DATE '2026-11-05', '%Y') AS y;",
      "-- Query 4: Types\nSELECT count(DISTINCT event_type) AS types FROM transformed;",
    ].join("\n\n"),
  );
  const table = await cli("query", "--file", file);
  assert.equal(table.code, 1, table.stderr);
  assert.match(table.stdout, /-- Query 1: Count[\s\S]*\b(\d+)\b[\s\S]*-- Query 4: Types/);
  assert.match(table.stdout, new RegExp(`\\b${events.length}\\b`));
  assert.match(table.stdout, new RegExp(`\\b${new Set(events.map((e) => e.event_type)).size}\\b`));
  assert.match(table.stderr, /-- Query 2: Statistics\nerror CS_ERR_QUERY_FORBIDDEN: .*ANALYZE/);
  assert.match(table.stderr, /-- Query 3: Not Athena\nerror CS_ERR_QUERY_UNSUPPORTED: .*strftime/);
  assert.match(table.stderr, /2 of 4 statements failed: Query 2: Statistics; Query 3: Not Athena/);
  assert.doesNotMatch(table.stderr, /\n\s+at /, "no stack trace");

  const json = await cli("query", "--file", file, "--format", "json");
  assert.equal(json.code, 1);
  const results = JSON.parse(json.stdout) as { query: string; rows?: unknown[]; error?: { code: string } }[];
  assert.deepEqual(
    results.map((r) => [r.query, r.rows?.length ?? null, r.error?.code ?? null]),
    [
      ["1", 1, null],
      ["2", null, "CS_ERR_QUERY_FORBIDDEN"],
      ["3", null, "CS_ERR_QUERY_UNSUPPORTED"],
      ["4", 1, null],
    ],
  );
});

test("query --format csv writes cells as they are; --spreadsheet-safe neutralises formulas", async () => {
  const sql = `SELECT '=HYPERLINK("http://evil.example","x")' AS link, -5 AS n`;
  const exact = await cli("query", "--format", "csv", sql);
  assert.equal(exact.code, 0, exact.stderr);
  assert.equal(exact.stdout, 'link,n\r\n"=HYPERLINK(""http://evil.example"",""x"")",-5\r\n');
  const safe = await cli("query", "--format", "csv", "--spreadsheet-safe", sql);
  assert.equal(safe.code, 0, safe.stderr);
  assert.equal(safe.stdout, 'link,n\r\n"\'=HYPERLINK(""http://evil.example"",""x"")",-5\r\n');
  const help = await cli("query", "--help");
  assert.match(help.stdout, /--spreadsheet-safe/);
  const notCsv = await cli("query", "--spreadsheet-safe", sql);
  assert.equal(notCsv.code, 1);
  assert.match(notCsv.stderr, /CS_ERR_INVALID_ARGUMENT.*--spreadsheet-safe/);
});

test("query --output saves its result and metadata readable by their owner only", async () => {
  const saved = await cli("query", "--output", "--format", "csv", "SELECT 1 AS one");
  assert.equal(saved.code, 0, saved.stderr);
  const key = /saved (athena-results\/\S+\.csv)/.exec(saved.stderr)?.[1];
  assert.ok(key, saved.stderr);
  const mode = async (path: string): Promise<number> => (await stat(join(warehouse, path))).mode & 0o777;
  assert.equal(await mode(key), 0o600);
  assert.equal(await mode(`${key}.metadata`), 0o600);
  assert.equal(await mode("athena-results"), 0o700);
});
