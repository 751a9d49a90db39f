import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { runCrawler } from "../../src/catalog/crawler.js";
import { parseConfig } from "../../src/config/load-config.js";
import { LocalStorage } from "../../src/storage/local-storage.js";
import { datePartitionPath } from "../../src/storage/warehouse-layout.js";
import { runTransform } from "../../src/transform/run-transform.js";
import { launchChromium } from "../support/chromium-launch.js";
import { chromium, requireTool } from "../support/optional-suite.js";
import { tempDir } from "../support/temp-dir.js";
import { generateEvents, type FixtureEvent } from "../support/transformed-fixture.js";
import {
  consoleWarehouse,
  fixtureWarehouse,
  startConsoleProcess,
  type ConsoleProcess,
} from "./console-fixture.js";

// What a first-time user sees: a warehouse of one day (as a short demo writes), one of ten days, and one
// visit of the demo shop's (anonymous, then `identify`, then a purchase without product fields).
let oneDay: ConsoleProcess | undefined;
let tenDays: ConsoleProcess | undefined;
let identified: ConsoleProcess | undefined;
let browser: Browser | undefined;

before(async () => {
  if (chromium.missing()) return;
  const dir = await fixtureWarehouse(
    generateEvents({ seed: 5, startDate: "2026-11-24", days: 1 }),
    "clickstream-first-run-",
  );
  const visitDir = await fixtureWarehouse(identifyVisit(), "clickstream-identify-");
  [oneDay, tenDays, identified] = await Promise.all([
    startConsoleProcess(dir),
    consoleWarehouse().then((w) => startConsoleProcess(w)),
    startConsoleProcess(visitDir),
  ]);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await Promise.all([oneDay?.stop(), tenDays?.stop(), identified?.stop()]);
});

/** The demo shop's visit: user_id is the anonymous id until `identify('user-demo')`; the tracker sends the
 * anonymous id in properties on every event. The purchase carries price and quantity, no product fields. */
function identifyVisit(): FixtureEvent[] {
  const anonymous = "3f0c9a52-7a8e-4d5b-9c41-0d2b6f1e8a77";
  const steps: [string, string, Partial<FixtureEvent>][] = [
    ["page_view", anonymous, {}],
    [
      "product_view",
      anonymous,
      { product_id: "P100", product_name: "Trail Runner", product_category: "shoes" },
    ],
    ["login", "user-demo", {}],
    ["purchase", "user-demo", { price: 9.5, quantity: 1, has_price_data: true }],
  ];
  return steps.map(([type, user, extra], i) => {
    const time = new Date(Date.parse("2026-11-24T10:00:00Z") + i * 30_000).toISOString();
    return {
      event_id: `visit-${i}`,
      user_id: user,
      session_id: "session-visit",
      event_type: type,
      event_category: type === "purchase" ? "commerce" : "engagement",
      timestamp: time,
      event_time: time,
      event_date: "2026-11-24",
      hour: 10,
      page_url: "http://localhost:8080/checkout",
      referrer: null,
      product_id: null,
      product_name: null,
      product_category: null,
      device_type: "desktop",
      price: null,
      quantity: null,
      has_product_data: Boolean(extra.product_id),
      has_price_data: false,
      properties: { anonymous_id: anonymous },
      event_sequence: i + 1,
      is_session_start: i === 0,
      processed_timestamp: "2026-11-24T12:00:00.000Z",
      ...extra,
    };
  });
}

async function dashboard(server: ConsoleProcess, hash = ""): Promise<Page> {
  const page = await browser!.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${server.url}/${hash}`);
  await page.waitForSelector('html[data-dashboard="ready"]', { timeout: 20_000 });
  return page;
}

test("a warehouse of one day opens on that day, and the tiles say the period before has no data", async (t) => {
  if (!requireTool(t, chromium)) return;
  const page = await dashboard(oneDay!);
  assert.equal(await page.inputValue('input[type="date"] >> nth=0'), "2026-11-24");
  assert.equal(await page.inputValue('input[type="date"] >> nth=1'), "2026-11-24");
  assert.ok(Number(await page.getAttribute('[data-testid="tile-sessions"]', "data-value")) > 0);
  const changes = await page.locator(".tile .change").allTextContents();
  assert.equal(changes.length, 7);
  for (const text of changes) assert.equal(text.trim(), "no data in the period before");
  assert.match(
    (await page.textContent(".toolbar .note")) ?? "",
    /2026-11-23 – 2026-11-23, which has no data/,
  );
  await page.close();
});

test("a daily series is labelled by day, one tick per day at most, never by hour", async (t) => {
  if (!requireTool(t, chromium)) return;
  // Seven days ending on the last one, the first three of the period before empty: daily buckets.
  const page = await dashboard(tenDays!);
  assert.match((await page.textContent('[data-testid="panel-timeseries"] h2')) ?? "", /per day/);
  const ticks = ((await page.getAttribute('[data-testid="panel-timeseries"] .chart', "data-x-ticks")) ?? "")
    .split("|")
    .filter(Boolean);
  assert.ok(ticks.length >= 2, ticks.join(","));
  for (const tick of ticks) assert.match(tick, /^Nov \d{1,2}$/);
  assert.equal(new Set(ticks).size, ticks.length, `no day twice: ${ticks.join(",")}`);
  // A comparison with data reads as a change against a figure.
  assert.match((await page.textContent('[data-testid="tile-sessions"] .change')) ?? "", /vs \d/);
  await page.close();
});

test("a To before From is prevented by the picker and said once, beside it, in the browser's words", async (t) => {
  if (!requireTool(t, chromium)) return;
  const page = await dashboard(tenDays!);
  const [fromInput, toInput] = [
    page.locator('input[type="date"]').nth(0),
    page.locator('input[type="date"]').nth(1),
  ];
  const from = await fromInput.inputValue();
  // The picker's bounds: To never before From, From never after To.
  assert.equal(await toInput.getAttribute("min"), from);
  assert.equal(await fromInput.getAttribute("max"), await toInput.inputValue());

  // Typed past the bounds: one inline message, the address and the panels unchanged, no request sent.
  const requests: string[] = [];
  page.on("request", (r) => requests.push(r.url()));
  const hash = await page.evaluate(() => location.hash);
  await toInput.fill("2026-01-01");
  await page.waitForSelector('[data-testid="range-error"]');
  assert.match(
    (await page.textContent('[data-testid="range-error"]')) ?? "",
    /To \(2026-01-01\) is before From/,
  );
  assert.equal(await page.evaluate(() => location.hash), hash);
  assert.equal(await page.locator('[data-testid="error"]').count(), 0);
  assert.deepEqual(
    requests.filter((u) => u.includes("/api/overview") || u.includes("/api/panel")),
    [],
  );
  await page.close();

  // A shared address with the dates the wrong way round: the same single message, no nine red boxes.
  const shared = await browser!.newPage({ viewport: { width: 1280, height: 800 } });
  await shared.goto(`${tenDays!.url}/#/?from=2026-11-24&to=2026-11-20`);
  await shared.waitForSelector('[data-testid="range-error"]');
  assert.equal(await shared.locator('[data-testid="range-error"]').count(), 1);
  assert.equal(await shared.locator('[data-testid="error"]').count(), 0);

  // What the API answers a browser: web wording, no command-line advice.
  const answer = await shared.evaluate(async () => {
    const response = await fetch("/api/overview?from=2026-11-24&to=2026-11-20");
    return { status: response.status, body: (await response.json()) as { code: string; fix: string } };
  });
  assert.equal(answer.status, 400);
  assert.equal(answer.body.code, "CS_ERR_INVALID_ARGUMENT");
  assert.doesNotMatch(answer.body.fix, /clickstream|--help/);
  await shared.close();
});

test("a visit in which identify switches user_id counts one visitor (by the tracker's anonymous id)", async (t) => {
  if (!requireTool(t, chromium)) return;
  const page = await dashboard(identified!);
  assert.equal(await page.getAttribute('[data-testid="tile-visitors"]', "data-value"), "1");
  assert.equal(await page.getAttribute('[data-testid="tile-sessions"]', "data-value"), "1");
  // The order's 9.50 is revenue; Product categories counts only events with a category, and says so.
  assert.equal(Number(await page.getAttribute('[data-testid="tile-revenue"]', "data-value")), 9.5);
  const categories = page.locator('[data-testid="panel-product-categories"]');
  assert.equal(await categories.locator('td[data-column="purchases"]').first().textContent(), "0");
  assert.match(
    (await categories.locator(".note").first().textContent()) ?? "",
    /purchase without product fields .* counts in the Revenue tile, not here/,
  );
  await page.close();
});

async function runInEditor(page: Page, sql: string): Promise<void> {
  await page.click(".cm-content");
  await page.keyboard.press("ControlOrMeta+a");
  await page.keyboard.press("Backspace");
  await page.keyboard.insertText(sql);
  await page.keyboard.press("Escape"); // close a completion popup, if any
  await page.keyboard.press("ControlOrMeta+Enter");
}

async function workbenchError(
  page: Page,
  sql: string,
): Promise<{ code: string; message: string; mark: string | null }> {
  await runInEditor(page, sql);
  await page.waitForSelector('[data-testid="error-code"]');
  const mark = page.locator('[data-testid="error-mark"]');
  return {
    code: (await page.textContent('[data-testid="error-code"]')) ?? "",
    message: await page.locator('[data-testid="error-message"]').innerText(),
    mark: (await mark.count()) ? await mark.first().textContent() : null,
  };
}

test("workbench errors: a typo is a syntax error, DuckDB's caret keeps its line and the editor marks the place", async (t) => {
  if (!requireTool(t, chromium)) return;
  const page = await browser!.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${tenDays!.url}/#/workbench`);
  await page.waitForSelector('[data-testid="sql-editor"]');

  const typo = await workbenchError(page, "SELEC * FROM transformed");
  assert.equal(typo.code, "CS_ERR_QUERY_SYNTAX");
  assert.match(typo.message, /line 1:1: mismatched input 'SELEC' \(did you mean SELECT\?\)/);
  assert.doesNotMatch(typo.message, /not allowed/);
  assert.equal(typo.mark, "SELEC");

  // DuckDB's unknown column: its lines kept, the caret under the column, the column marked in the editor.
  const column = await workbenchError(page, "SELECT event_type,\n       nosuch\nFROM transformed");
  assert.equal(column.code, "CS_ERR_QUERY_FAILED");
  const lines = column.message.split("\n");
  const excerpt = lines.findIndex((l) => l.startsWith("LINE 2:"));
  assert.ok(excerpt > 0, column.message);
  assert.equal(lines[excerpt]!.indexOf("nosuch"), lines[excerpt + 1]!.indexOf("^"), column.message);
  assert.equal(column.mark, "nosuch");
  assert.equal(
    await page.evaluate(() =>
      getComputedStyle(document.querySelector(".error-detail")!).fontFamily.includes("mono"),
    ),
    true,
    "the excerpt and its caret in a fixed-width font",
  );

  // An unfinished statement: the message gives the position it promises (the end), and the editor marks it.
  const end = await workbenchError(page, "SELECT event_type\nFROM transformed\nWHERE");
  assert.equal(end.code, "CS_ERR_QUERY_SYNTAX");
  assert.match(end.message, /line 3:6: syntax error at end of input/);
  assert.equal(end.mark, "E");

  // Editing the SQL clears the mark.
  await page.click(".cm-content");
  await page.keyboard.insertText(" ");
  assert.equal(await page.locator('[data-testid="error-mark"]').count(), 0);
  await page.close();
});

test("live panel: type, page and time as columns; the tracker's pagehide resend reads as caught by dedup, not rejected", async (t) => {
  if (!requireTool(t, chromium)) return;
  const dir = await tempDir("clickstream-live-");
  const storage = new LocalStorage(dir);
  const config = parseConfig({ warehouse: { dir } });
  const visit = ["page_view", "product_view", "add_to_cart", "page_view"].map((type, i) =>
    JSON.stringify({
      event_id: `00000000-0000-4000-8000-00000000000${i}`,
      user_id: "3f0c9a52-7a8e-4d5b-9c41-0d2b6f1e8a77",
      session_id: "5e6f7a8b-0000-4000-8000-000000000001",
      event_type: type,
      timestamp: `2026-11-24T10:00:0${i}.000Z`,
      page_url: `http://localhost:8080/${["", "product/P100", "product/P100", "cart"][i]}?ref=x`,
      device_type: "desktop",
    }),
  );
  // The batch, then the same batch again from the pagehide handler (its answer never arrived).
  const folder = `raw/${datePartitionPath(new Date())}`;
  await storage.writeAtomic(
    "raw",
    `${folder}clickstream-pipeline-stream-1-2026-11-24-10-00-00-a.ndjson`,
    visit.join("\n") + "\n",
  );
  await storage.writeAtomic(
    "raw",
    `${folder}clickstream-pipeline-stream-1-2026-11-24-10-00-05-b.ndjson`,
    visit.join("\n") + "\n",
  );
  const report = await runTransform({ storage, config: config.transform, workDir: dir });
  assert.equal(report.rejectedByReason.duplicate, 4);
  await runCrawler({ storage, config });
  const server = await startConsoleProcess(dir);
  const page = await browser!.newPage({ viewport: { width: 1280, height: 800 } });
  try {
    await page.goto(`${server.url}/`);
    await page.waitForSelector('[data-testid="live-row"]');
    const rows = page.locator('[data-testid="live-row"]');
    assert.equal(await rows.count(), 8);
    const states = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-state")));
    assert.deepEqual(states.sort(), [
      "accepted",
      "accepted",
      "accepted",
      "accepted",
      "resend",
      "resend",
      "resend",
      "resend",
    ]);
    assert.equal(await page.locator('[data-testid="panel-live"] .badge.rejected').count(), 0);
    assert.match(
      await page.locator('[data-testid="live-row"][data-state="resend"]').first().innerText(),
      /resend\s+caught by dedup/,
    );
    const types = await page.locator('[data-testid="panel-live"] td[data-column="type"]').allTextContents();
    assert.deepEqual([...new Set(types)].sort(), ["add_to_cart", "page_view", "product_view"]);
    const pages = await page.locator('[data-testid="panel-live"] td[data-column="page"]').allTextContents();
    assert.deepEqual([...new Set(pages)].sort(), ["/", "/cart", "/product/P100"]);
    const times = await page.locator('[data-testid="panel-live"] td[data-column="time"]').allTextContents();
    assert.ok(
      times.every((time) => /^10:00:0[0-3]$/.test(time)),
      times.join(","),
    );
  } finally {
    await page.close();
    await server.stop();
  }
});
