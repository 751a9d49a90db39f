import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "../support/chromium-launch.js";
import { chromium, requireTool } from "../support/optional-suite.js";
import { generateEvents } from "../support/transformed-fixture.js";
import {
  consoleWarehouse,
  fixtureWarehouse,
  startConsoleProcess,
  type ConsoleProcess,
} from "./console-fixture.js";

// What a first-time user sees: a warehouse of one day (as a short demo writes) and one of ten days.
let oneDay: ConsoleProcess | undefined;
let tenDays: ConsoleProcess | undefined;
let browser: Browser | undefined;

before(async () => {
  if (chromium.missing()) return;
  const dir = await fixtureWarehouse(
    generateEvents({ seed: 5, startDate: "2026-11-24", days: 1 }),
    "clickstream-first-run-",
  );
  [oneDay, tenDays] = await Promise.all([
    startConsoleProcess(dir),
    consoleWarehouse().then((w) => startConsoleProcess(w)),
  ]);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await Promise.all([oneDay?.stop(), tenDays?.stop()]);
});

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
