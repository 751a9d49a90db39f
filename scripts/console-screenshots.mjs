// Takes the README's screenshots of the web console from the real page: generates two weeks of events,
// transforms and crawls them, starts `clickstream console`, and drives Debian's Chromium.
//
//   npm run build && node scripts/console-screenshots.mjs     # writes docs/console-*.png
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium } from "../dist/test/support/chromium-launch.js";

const root = fileURLToPath(new URL("../", import.meta.url));
const bin = join(root, "bin", "clickstream");
const warehouse = mkdtempSync(join(tmpdir(), "clickstream-screenshots-"));
const cli = (...args) =>
  execFileSync(process.execPath, [bin, ...args, "--warehouse", warehouse], { stdio: "ignore" });

cli(
  "generate",
  "--events",
  "120000",
  "--users",
  "3000",
  "--days",
  "14",
  "--start",
  "2026-11-11",
  "--dirty",
  "0.01",
  "--seed",
  "7",
);
cli("transform");
cli("crawl");

const server = spawn(process.execPath, [bin, "console", "--warehouse", warehouse, "--port", "0"], {
  stdio: ["ignore", "pipe", "inherit"],
});
const url = await new Promise((resolve, reject) => {
  let out = "";
  server.stdout.on("data", (chunk) => {
    out += chunk;
    const match = /console on (http:\/\/[^/\s]+)/.exec(out);
    if (match) resolve(match[1]);
  });
  server.once("exit", (code) => reject(new Error(`console exited with ${code}`)));
});

const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, colorScheme: "light" });
  await page.goto(`${url}/`);
  await page.waitForSelector('html[data-dashboard="ready"]');
  await page.waitForSelector('[data-testid="panel-live"] tbody tr');
  await page.screenshot({ path: join(root, "docs", "console-dashboard.png"), fullPage: true });

  // A phone's width: one column, nothing wider than the screen.
  const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, colorScheme: "light" });
  await phone.goto(`${url}/`);
  await phone.waitForSelector('html[data-dashboard="ready"]');
  await phone.waitForSelector('[data-testid="panel-live"] tbody tr');
  await phone.screenshot({ path: join(root, "docs", "console-dashboard-390.png"), fullPage: true });

  // The grid: UUIDs and timestamps on one line each.
  const grid = await browser.newPage({ viewport: { width: 1280, height: 800 }, colorScheme: "light" });
  await grid.goto(`${url}/#/workbench`);
  await grid.waitForSelector('[data-testid="catalog"] >> text=clickstream_db');
  await grid.click(".cm-content");
  await grid.keyboard.press("ControlOrMeta+a");
  await grid.keyboard.press("Backspace");
  await grid.keyboard.insertText(
    "SELECT event_id, session_id, event_type, event_time, page_url, referrer, device_type\nFROM transformed\nLIMIT 20",
  );
  await grid.keyboard.press("Escape");
  await grid.click('[data-testid="run"]');
  await grid.waitForSelector('[data-testid="result-grid"] tbody tr');
  await grid.screenshot({ path: join(root, "docs", "console-workbench-grid.png"), fullPage: false });

  const dark = await browser.newPage({ viewport: { width: 1280, height: 800 }, colorScheme: "dark" });
  await dark.goto(`${url}/#/workbench`);
  await dark.waitForSelector('[data-testid="catalog"] >> text=clickstream_db');
  const option = await dark
    .locator('[data-testid="named-queries"] option', { hasText: "Daily revenue" })
    .getAttribute("value");
  await dark.selectOption('[data-testid="named-queries"]', option);
  await dark.click('[data-testid="run"]');
  await dark.waitForSelector('[data-testid="result-grid"]');
  await dark.getByRole("tab", { name: "Chart" }).click();
  await dark.waitForSelector(".uplot");
  await dark.waitForTimeout(1600); // the history's bytes scanned arrive just after the answer
  await dark.screenshot({ path: join(root, "docs", "console-workbench.png"), fullPage: false });
  process.stdout.write(
    "wrote docs/console-dashboard.png, console-dashboard-390.png, console-workbench.png and console-workbench-grid.png\n",
  );
} finally {
  await browser.close();
  server.kill("SIGTERM");
  rmSync(warehouse, { recursive: true, force: true });
}
