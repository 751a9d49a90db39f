import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "../support/chromium-launch.js";
import { chromium, requireTool } from "../support/optional-suite.js";
import { tempDir } from "../support/temp-dir.js";
import { bin, startConsoleProcess, type ConsoleProcess } from "./console-fixture.js";

// The console's layout as a first-time user meets it: three days with every kind of rejected record (the
// data-quality panel's longest reason names), at a phone's width and at a laptop's.
const run = promisify(execFile);
let server: ConsoleProcess | undefined;
let browser: Browser | undefined;

before(async () => {
  if (chromium.missing()) return;
  const warehouse = await tempDir("clickstream-layout-");
  const cli = (...args: string[]) => run(process.execPath, [bin, ...args, "--warehouse", warehouse]);
  await cli(
    ...["generate", "--events", "3000", "--users", "200", "--days", "3", "--start", "2026-11-22"],
    ...["--dirty", "0.05", "--seed", "7"],
  );
  await cli("transform");
  await cli("crawl");
  server = await startConsoleProcess(warehouse);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function open(path: string, width: number): Promise<Page> {
  const page = await browser!.newPage({ viewport: { width, height: 800 } });
  await page.goto(`${server!.url}/${path}`);
  return page;
}

async function dashboard(width: number): Promise<Page> {
  const page = await open("", width);
  await page.waitForSelector('html[data-dashboard="ready"]', { timeout: 20_000 });
  await page.waitForSelector('[data-testid="quality-reasons"]');
  await page.waitForSelector('[data-testid="live-row"]');
  return page;
}

async function runInEditor(page: Page, sql: string): Promise<void> {
  await page.click(".cm-content");
  await page.keyboard.press("ControlOrMeta+a");
  await page.keyboard.press("Backspace");
  await page.keyboard.insertText(sql);
  await page.keyboard.press("Escape");
  await page.keyboard.press("ControlOrMeta+Enter");
}

/** Lines an element's text takes (its height over its line height). */
const linesOf = (page: Page, selector: string): Promise<number[]> =>
  page.locator(selector).evaluateAll((elements) =>
    elements.map((e) => {
      const style = getComputedStyle(e);
      const line = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.2;
      const box = e.getBoundingClientRect();
      const padding = parseFloat(style.paddingTop) + parseFloat(style.paddingBottom);
      return Math.round((box.height - padding) / line);
    }),
  );

const scrollWidth = (page: Page) =>
  page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, viewport: window.innerWidth }));

test("at 390 px nothing scrolls sideways and every data-quality reason shows whole", async (t) => {
  if (!requireTool(t, chromium)) return;
  const page = await dashboard(390);
  const { scroll, viewport } = await scrollWidth(page);
  assert.ok(scroll <= viewport, `dashboard ${scroll} px wide in a ${viewport} px viewport`);
  const reasons = await page.locator('[data-testid="quality-reasons"] button').evaluateAll((buttons) =>
    buttons.map((b) => {
      const panel = b.closest("section")!.getBoundingClientRect();
      const box = b.getBoundingClientRect();
      return {
        text: b.textContent ?? "",
        whole: b.scrollWidth <= b.clientWidth + 1 && box.right <= panel.right && box.left >= panel.left,
        lines: b.getClientRects().length,
      };
    }),
  );
  assert.ok(
    reasons.some((r) => r.text.startsWith("timestamp_out_of_range")),
    JSON.stringify(reasons),
  );
  for (const r of reasons) {
    assert.ok(r.whole, `${r.text} cut`);
    assert.equal(r.lines, 1, `${r.text} on one line`);
  }
  // The figures and the run day stay on one line at this width too.
  for (const n of await linesOf(page, ".tile .value")) assert.equal(n, 1);
  for (const n of await linesOf(page, '[data-testid="panel-quality"] td.run-day')) assert.equal(n, 1);

  const workbench = await open("#/workbench", 390);
  await workbench.waitForSelector('[data-testid="sql-editor"]');
  await runInEditor(workbench, "SELECT event_id, session_id, event_time, page_url FROM transformed LIMIT 20");
  await workbench.waitForSelector('[data-testid="result-grid"] tbody tr');
  const wide = await scrollWidth(workbench);
  assert.ok(wide.scroll <= wide.viewport, `workbench ${wide.scroll} px wide in ${wide.viewport} px`);
  await Promise.all([page.close(), workbench.close()]);
});

test("at 1280 px a duration, a run day and a grid's UUIDs and timestamps each take one line", async (t) => {
  if (!requireTool(t, chromium)) return;
  const page = await dashboard(1280);
  for (const n of await linesOf(page, ".tile .value")) assert.equal(n, 1);
  assert.match((await page.textContent('[data-testid="tile-avg_session_duration_s"] .value')) ?? "", /s$/);
  for (const n of await linesOf(page, '[data-testid="panel-quality"] td.run-day')) assert.equal(n, 1);
  await page.close();

  const workbench = await open("#/workbench", 1280);
  await workbench.waitForSelector('[data-testid="sql-editor"]');
  await runInEditor(
    workbench,
    "SELECT event_id, session_id, user_id, event_time, processed_timestamp, page_url FROM transformed LIMIT 20",
  );
  await workbench.waitForSelector('[data-testid="result-grid"] tbody tr');
  const cells = await linesOf(workbench, '[data-testid="result-grid"] tbody td');
  assert.equal(cells.length, 120);
  assert.deepEqual([...new Set(cells)], [1], "every cell on one line");
  // A value cut short keeps its whole text as the cell's title.
  const titled = await workbench
    .locator('[data-testid="result-grid"] tbody td')
    .evaluateAll((tds) => tds.every((td) => td.getAttribute("title") === td.textContent));
  assert.ok(titled);
  await workbench.close();
});

test("a bar chart of many categories draws the largest ones and one 'other', labels apart", async (t) => {
  if (!requireTool(t, chromium)) return;
  const page = await open("#/workbench", 1280);
  await page.waitForSelector('[data-testid="sql-editor"]');
  await runInEditor(page, "SELECT event_id, count(*) AS n FROM transformed GROUP BY 1");
  await page.waitForSelector('[data-testid="result-grid"] tbody tr');
  await page.getByRole("tab", { name: "Chart" }).click();
  await page.waitForSelector(".uplot");
  assert.match(
    (await page.textContent('[data-testid="chart-note"]')) ?? "",
    /The 19 largest of \d+ by n; the other \d+ summed as one bar/,
  );
  const chart = page.locator(".chart");
  const ticks = ((await chart.getAttribute("data-x-ticks")) ?? "").split("|").filter(Boolean);
  const space = Number(await chart.getAttribute("data-tick-space"));
  const width = await chart.evaluate((e) => e.clientWidth);
  assert.ok(ticks.length >= 2 && ticks.length <= 20, ticks.join(","));
  assert.ok(ticks.length * space <= width, `${ticks.length} labels of ${space} px in ${width} px`);
  assert.ok(
    ticks.every((label) => label.length <= 14),
    ticks.join(","),
  );
  await page.close();
});

test("the named-query menu names the query it opened, and lets go of it once the SQL is edited", async (t) => {
  if (!requireTool(t, chromium)) return;
  const page = await open("#/workbench", 1280);
  await page.waitForSelector('[data-testid="named-queries"] option[value="2"]', { state: "attached" });
  await page.selectOption('[data-testid="named-queries"]', "2");
  assert.equal(await page.inputValue('[data-testid="named-queries"]'), "2");
  await page.click(".cm-content");
  await page.keyboard.press("ControlOrMeta+End");
  await page.keyboard.insertText(" ");
  assert.equal(await page.inputValue('[data-testid="named-queries"]'), "");
  assert.match(
    (await page.locator('[data-testid="named-queries"] option:checked').textContent()) ?? "",
    /Open a named query/,
  );
  await page.close();
});
