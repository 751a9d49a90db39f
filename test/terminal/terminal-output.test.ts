import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describeCrawl } from "../../src/cli/commands/crawl-command.js";
import type { CrawlReport } from "../../src/catalog/crawler.js";
import { LocalStorage } from "../../src/storage/local-storage.js";
import { rawObjectKey } from "../../src/storage/warehouse-layout.js";
import { event, ndjson } from "../support/sample-events.js";
import { terminalText } from "../../src/terminal/terminal-text.js";
import { tempDir } from "../support/temp-dir.js";

const run = promisify(execFile);
const bin = fileURLToPath(new URL("../../../bin/clickstream", import.meta.url));

async function cli(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args]);
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

// What event data can carry to an operator's terminal: a title change, a screen clear, a C1 CSI, a bidi override.
const hostile = "\x1b]0;pwned\x07\x1b[2J\u009b31m\u202e";

/** Fails when the text would reach the terminal with a control character (other than its line breaks). */
function assertShown(text: string): void {
  assert.equal(text, terminalText(text), "a control character reached the terminal");
}

test("transform's summary and query's table show escapes, never the control characters; json and csv stay exact", async () => {
  const warehouse = await tempDir();
  const storage = new LocalStorage(warehouse);
  const key = rawObjectKey({ stream: "t", arrival: new Date("2026-11-05T10:00:00Z"), uuid: "u1" });
  await storage.writeAtomic(
    "raw",
    key,
    ndjson([event("e1", "s1", "2026-11-05T10:00:00Z", { [`x${hostile}`]: 1 })]),
  );
  const transform = await cli("transform", "--warehouse", warehouse, "--now", "2026-11-06T00:00:00Z");
  assert.equal(transform.code, 0, transform.stderr);
  assertShown(transform.stdout);
  assert.match(transform.stdout, /unknown fields dropped: x\\x1b\]0;pwned\\x07\\x1b\[2J\\x9b31m\\u202e 1/);

  const sql = `SELECT '${hostile}' AS "v${hostile}"`;
  const table = await cli("query", "--warehouse", warehouse, sql);
  assert.equal(table.code, 0, table.stderr);
  assertShown(table.stdout);
  assert.match(table.stdout, /\| v\\x1b\]0;pwned\\x07/);
  assert.match(table.stdout, /\| \\x1b\]0;pwned\\x07\\x1b\[2J\\x9b31m\\u202e +\|/);
  const json = await cli("query", "--warehouse", warehouse, "--format", "json", sql);
  assert.deepEqual(JSON.parse(json.stdout), [{ [`v${hostile}`]: hostile }]);
  assert.equal(json.stdout, `${JSON.stringify([{ [`v${hostile}`]: hostile }], null, 2)}\n`);
  const csv = await cli("query", "--warehouse", warehouse, "--format", "csv", sql);
  assert.equal(csv.stdout, `v${hostile}\r\n${hostile}\r\n`);
});

test("error messages that quote data show escapes", async () => {
  const warehouse = await tempDir();
  const refused = await cli("query", "--warehouse", warehouse, `SELECT * FROM "t${hostile}"`);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /error CS_ERR_/);
  assertShown(refused.stderr);
});

test("crawl's summary shows escapes for names from the data", () => {
  const report = {
    database: "clickstream_db",
    databaseCreated: false,
    tables: [
      {
        name: "transformed",
        action: "updated",
        files: 1,
        rows: 1,
        bytes: 1,
        partitionsAdded: [`year=2026/month=11/day=0${hostile}`],
        partitionsUpdated: [],
        partitionsMissing: [],
        columnsAdded: [{ Name: `c${hostile}`, Type: "string" }],
        columnsWidened: [],
        typeConflicts: [],
        columnsMissing: [],
      },
    ],
    skippedObjects: [{ key: `transformed/x${hostile}.parquet`, reason: "not Parquet" }],
  } as unknown as CrawlReport;
  const text = describeCrawl(report);
  assertShown(text);
  assert.match(text, /columns added: c\\x1b\]0;pwned\\x07\\x1b\[2J\\x9b31m\\u202e string/);
});
