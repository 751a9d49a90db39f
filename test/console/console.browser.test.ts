import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "../support/chromium-launch.js";
import { errorCodes } from "../../src/errors/error-codes.js";
import { chromium, requireTool } from "../support/optional-suite.js";
import {
  bin,
  consoleWarehouse,
  expectedFigures,
  sameFigure,
  startConsoleProcess,
  type ConsoleProcess,
  type Filters,
} from "./console-fixture.js";

const run = promisify(execFile);
const tileKeys = [
  "visitors",
  "sessions",
  "pageviews",
  "bounce_rate",
  "avg_session_duration_s",
  "conversion_rate",
  "revenue",
] as const;

let warehouse: string;
let server: ConsoleProcess | undefined;
let browser: Browser | undefined;
/** Every console error and uncaught page error of every page this file opens. */
const pageProblems: string[] = [];

before(async () => {
  if (chromium.missing()) return;
  warehouse = await consoleWarehouse();
  server = await startConsoleProcess(warehouse);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/**
 * A new page on the console. `expectedStatus`: an HTTP error status the test provokes on purpose
 * (Chromium logs every 4xx answer as a console error); any other console error is a problem.
 */
async function open(
  path: string,
  viewport = { width: 1280, height: 800 },
  expectedStatus?: number,
): Promise<Page> {
  const page = await browser!.newPage({ viewport });
  page.on("console", (message) => {
    const expected = expectedStatus && message.text().includes(`status of ${expectedStatus} `);
    if ((message.type() === "error" || message.type() === "warning") && !expected)
      pageProblems.push(`${path}: ${message.type()}: ${message.text()}`);
  });
  page.on("pageerror", (error) => pageProblems.push(`${path}: uncaught ${error.message}`));
  await page.goto(`${server!.url}${path}`);
  return page;
}

async function dashboardReady(page: Page): Promise<void> {
  await page.waitForSelector('html[data-dashboard="ready"]', { timeout: 20_000 });
}

/** The tiles' raw values (`data-value`) and previous-period values (`data-previous`). */
async function tiles(
  page: Page,
): Promise<{ now: Record<string, number | null>; before: Record<string, number | null> }> {
  const read = async (attribute: string) =>
    Object.fromEntries(
      await Promise.all(
        tileKeys.map(async (key) => {
          const text = await page.getAttribute(`[data-testid="tile-${key}"]`, attribute);
          return [key, text === null || text === "" ? null : Number(text)] as const;
        }),
      ),
    );
  return { now: await read("data-value"), before: await read("data-previous") };
}

async function assertTiles(
  page: Page,
  from: string,
  to: string,
  previous: [string, string],
  filters: Filters = {},
) {
  const shown = await tiles(page);
  const expected = await expectedFigures(warehouse, from, to, filters);
  const expectedBefore = await expectedFigures(warehouse, previous[0], previous[1], filters);
  for (const key of tileKeys) {
    assert.ok(
      sameFigure(shown.now[key]!, expected[key]),
      `${key} ${from}…${to} ${JSON.stringify(filters)}: ${shown.now[key]} vs ${expected[key]}`,
    );
    assert.ok(
      sameFigure(shown.before[key]!, expectedBefore[key]),
      `previous ${key}: ${shown.before[key]} vs ${expectedBefore[key]}`,
    );
  }
}

/** Replaces the editor's text and runs it with Ctrl+Enter. */
async function runInEditor(page: Page, sql: string): Promise<void> {
  await page.click(".cm-content");
  await page.keyboard.press("ControlOrMeta+a");
  // Deleting first: Chromium's native replace of styled text adds a style attribute the CSP refuses.
  await page.keyboard.press("Backspace");
  await page.keyboard.insertText(sql);
  await page.keyboard.press("Escape"); // close a completion popup, if any
  await page.keyboard.press("ControlOrMeta+Enter");
}

test("the dashboard's tiles equal an independent SQL computation over the Parquet (default range: last 7 days)", async (t) => {
  if (!requireTool(t, chromium)) return;
  const page = await open("/");
  await dashboardReady(page);
  await assertTiles(page, "2026-11-06", "2026-11-12", ["2026-10-30", "2026-11-05"]);
  assert.equal(await page.inputValue('input[type="date"] >> nth=0'), "2026-11-06");
  assert.match((await page.textContent(".toolbar .note")) ?? "", /UTC/);
  assert.equal(
    await page.locator('[data-testid="panel-timeseries"] .uplot').count(),
    1,
    "the chart is drawn",
  );
  assert.ok((await page.locator('[data-testid="panel-devices"] tbody tr').count()) >= 3);
  await page.close();
});

test("changing the range and a filter changes the tiles correctly", async (t) => {
  if (!requireTool(t, chromium)) return;
  const page = await open("/");
  await dashboardReady(page);
  await page.getByRole("button", { name: "Last day" }).click();
  await page.waitForFunction(() => location.hash.includes("from=2026-11-12"));
  await dashboardReady(page);
  await assertTiles(page, "2026-11-12", "2026-11-12", ["2026-11-11", "2026-11-11"]);
  assert.match((await page.textContent('[data-testid="panel-timeseries"] h2')) ?? "", /per hour/);

  await page.getByRole("button", { name: "Last 7 days" }).click();
  await page.waitForFunction(() => location.hash.includes("from=2026-11-06"));
  await dashboardReady(page);
  await page.locator('[data-testid="panel-devices"]').getByRole("button", { name: "mobile" }).click();
  await page.waitForFunction(() => location.hash.includes("device=mobile"));
  await dashboardReady(page);
  await assertTiles(page, "2026-11-06", "2026-11-12", ["2026-10-30", "2026-11-05"], { device: "mobile" });
  assert.deepEqual(
    await page.locator('[data-testid="panel-devices"] tbody td:first-child').allTextContents(),
    ["mobile"],
  );
  await page.locator('[data-testid="panel-top-pages"]').getByRole("button", { name: "/home" }).click();
  await page.waitForFunction(() => location.hash.includes("page=%2Fhome"));
  await dashboardReady(page);
  await assertTiles(page, "2026-11-06", "2026-11-12", ["2026-10-30", "2026-11-05"], {
    device: "mobile",
    page: "/home",
  });
  await page.click('[data-filter="device"]');
  await page.waitForFunction(() => !location.hash.includes("device="));
  await dashboardReady(page);
  await assertTiles(page, "2026-11-06", "2026-11-12", ["2026-10-30", "2026-11-05"], { page: "/home" });
  await page.close();
});

test("the workbench runs a named query and shows its rows; the CSV download equals `clickstream query --format csv`", async (t) => {
  if (!requireTool(t, chromium)) return;
  const page = await open("/#/workbench");
  await page.waitForSelector('[data-testid="sql-editor"]');
  await page.waitForSelector('[data-testid="catalog"] >> text=clickstream_db');
  const option = await page
    .locator('[data-testid="named-queries"] option', { hasText: "Daily active users" })
    .getAttribute("value");
  await page.selectOption('[data-testid="named-queries"]', option!);
  await page.waitForFunction(() =>
    document.querySelector(".cm-content")?.textContent?.includes("daily_active_users"),
  );
  await page.click('[data-testid="run"]');
  await page.waitForSelector('[data-testid="result-grid"]');
  const cli = await run(process.execPath, [
    bin,
    "query",
    "--warehouse",
    warehouse,
    "--file",
    "queries/athena_queries.sql",
    "--name",
    "Daily active users",
    "--format",
    "json",
  ]);
  const expected = JSON.parse(cli.stdout) as Record<string, unknown>[];
  const headers = await page.locator('[data-testid="result-grid"] thead th').allTextContents();
  assert.deepEqual(
    headers.map((h) => h.trim()),
    Object.keys(expected[0]!),
  );
  const firstColumn = await page
    .locator('[data-testid="result-grid"] tbody tr td:first-child')
    .allTextContents();
  assert.deepEqual(
    firstColumn,
    expected.map((r) => String(r.event_date)),
  );
  assert.equal(await page.textContent('[data-testid="result-count"]'), `${expected.length} rows`);

  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.click('[data-testid="download-csv"]'),
  ]);
  const csv = await readFile((await download.path())!, "utf8");
  const cliCsv = await run(process.execPath, [
    bin,
    "query",
    "--warehouse",
    warehouse,
    "--file",
    "queries/athena_queries.sql",
    "--name",
    "Daily active users",
    "--format",
    "csv",
  ]);
  assert.equal(csv, cliCsv.stdout);

  // The grid sorts by a column on click.
  await page.click('[data-testid="result-grid"] thead th:first-child button');
  await page.click('[data-testid="result-grid"] thead th:first-child button');
  const sorted = await page.locator('[data-testid="result-grid"] tbody tr td:first-child').allTextContents();
  assert.deepEqual(sorted, [...firstColumn].reverse());
  await page.close();
});

test("a refused statement shows its code and fix", async (t) => {
  if (!requireTool(t, chromium)) return;
  const page = await open("/#/workbench", undefined, 403);
  await page.waitForSelector('[data-testid="sql-editor"]');
  await runInEditor(page, "DROP TABLE transformed");
  await page.waitForSelector('[data-testid="error-code"]');
  assert.equal(await page.textContent('[data-testid="error-code"]'), "CS_ERR_QUERY_FORBIDDEN");
  assert.equal(await page.textContent('[data-testid="error-fix"]'), errorCodes.CS_ERR_QUERY_FORBIDDEN.fix);
  await page.close();
});

test("history survives a restart of the console", async (t) => {
  if (!requireTool(t, chromium)) return;
  await server!.stop();
  server = await startConsoleProcess(warehouse);
  const page = await open("/#/workbench");
  await page.waitForSelector('[data-testid="history-entry"]');
  const rows = await page.locator('[data-testid="history-entry"]').allTextContents();
  assert.ok(
    rows.some((r) => r.includes("failed") && r.includes("DROP TABLE transformed")),
    rows.join("\n"),
  );
  assert.ok(
    rows.some((r) => r.includes("succeeded") && r.includes("Daily active users")),
    rows.join("\n"),
  );
  await page.close();
});

test("readable on a phone-width window and in the dark theme; no console errors on any page", async (t) => {
  if (!requireTool(t, chromium)) return;
  for (const path of ["/", "/#/workbench"]) {
    const page = await open(path, { width: 390, height: 800 });
    if (path === "/") await dashboardReady(page);
    else await page.waitForSelector('[data-testid="sql-editor"]');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${path} is ${overflow}px wider than a phone`);
    await page.keyboard.press("Tab");
    assert.equal(
      await page.evaluate(() => document.activeElement?.className),
      "skip-link",
      "the keyboard starts at the skip link",
    );
    await page.getByRole("button", { name: /dark theme/ }).click();
    // Preact applies the theme in an effect, after the click's render: wait for it, do not race it.
    await page.waitForSelector('html[data-theme="dark"]', { state: "attached", timeout: 5000 });
    assert.equal(await page.getAttribute("html", "data-theme"), "dark");
    await page.close();
  }
  assert.deepEqual(pageProblems, []);
});
