import { chromium as playwright, type Browser, type LaunchOptions } from "playwright-core";
import { chromiumPath } from "./optional-suite.js";

/** How every browser suite (and the bench) starts Debian's Chromium, on top of Playwright's own flags. */
const chromiumArgs = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** Headless Chromium through playwright-core (its own browser download does not work here). */
export function launchChromium(options: LaunchOptions = {}): Promise<Browser> {
  return playwright.launch({
    executablePath: chromiumPath,
    headless: true,
    ...options,
    args: [...chromiumArgs, ...(options.args ?? [])],
  });
}
