import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brotliCompressSync, gzipSync } from "node:zlib";
import { defaultWalDir, startCollector } from "../src/collector/collector-server.js";
import { LocalStorage } from "../src/storage/local-storage.js";
import { launchChromium } from "../test/support/chromium-launch.js";
import { chromiumPath } from "../test/support/optional-suite.js";
import { fmt, type BenchSection } from "./bench-section.js";

const script = new URL("../tracker/tracker.js", import.meta.url);
const sizeGoalBytes = 2560;
const trackGoalMs = 0.1;

/**
 * The tracker's size (minified, gzip -9 as the collector serves it; brotli for reference) and the
 * main-thread time of one `track` call in Chromium, median over many calls, each timed alone between
 * yields so the tracker's own async work (sends, timers) runs between calls as on a real page. The page is
 * cross-origin isolated, which gives `performance.now()` 5 µs resolution instead of 100 µs.
 * Baseline in the same run: what any persist-first tracker must do per event (a UUID, a timestamp,
 * `JSON.stringify` and one `localStorage.setItem` of one key), timed the same way, interleaved.
 */
export async function runTrackerBench(options: { quick: boolean }): Promise<BenchSection> {
  const code = await readFile(script);
  const gzipped = gzipSync(code, { level: 9 }).length;
  const rows: BenchSection["rows"] = [
    { name: "tracker.js minified", value: `${fmt.int(code.length)} B` },
    {
      name: "tracker.js gzip -9",
      value: `${fmt.int(gzipped)} B`,
      goal: `≤ ${fmt.int(sizeGoalBytes)} B`,
      met: gzipped <= sizeGoalBytes,
    },
    { name: "tracker.js brotli", value: `${fmt.int(brotliCompressSync(code).length)} B` },
  ];
  const notes = ["size: the script tag's build, dist/tracker/tracker.js, as GET /tracker.js serves it"];
  if (!existsSync(chromiumPath)) {
    rows.push({ name: "track() main-thread median", value: "skipped" });
    notes.push(`no Chromium at ${chromiumPath}: sudo apt-get install -y chromium`);
    return { title: "tracker", rows, notes };
  }
  const calls = options.quick ? 200 : 2000;
  const timing = await timeTrackCalls(calls);
  rows.push(
    {
      name: "track() main-thread median",
      value: `${timing.track.median.toFixed(3)} ms`,
      goal: `≤ ${trackGoalMs} ms`,
      met: timing.track.median <= trackGoalMs,
    },
    {
      name: "track() p90 / mean",
      value: `${timing.track.p90.toFixed(3)} / ${timing.track.mean.toFixed(3)} ms`,
    },
    { name: "baseline median (uuid+stringify+setItem)", value: `${timing.baseline.median.toFixed(3)} ms` },
    { name: "track() ÷ baseline (medians)", value: fmt.ratio(timing.track.median / timing.baseline.median) },
  );
  notes.push(
    `${calls} calls each, timed one by one with performance.now() (5 µs resolution: the page is cross-origin isolated); every 10th track() also starts a send (counted in p90 / mean)`,
  );
  return { title: "tracker", rows, notes };
}

interface Stats {
  median: number;
  p90: number;
  mean: number;
}

async function timeTrackCalls(calls: number): Promise<{ track: Stats; baseline: Stats }> {
  const warehouse = await mkdtemp(join(tmpdir(), "clickstream-bench-tracker-"));
  const collector = await startCollector({
    storage: new LocalStorage(warehouse),
    walDir: defaultWalDir(warehouse),
    port: 0,
    logger: false,
    config: { corsAllowedOrigins: ["*"] },
  });
  const page = `<!doctype html><meta charset="utf-8">
<script>window.clickstream=window.clickstream||function(){(clickstream.q=clickstream.q||[]).push(arguments)}</script>
<script defer src="${collector.url}/tracker.js" data-endpoint="${collector.url}" data-allow-automation data-auto="false"></script>`;
  // COOP + COEP make the page cross-origin isolated (fine-grained timers); the collector's script and
  // answers carry the CORP / CORS headers such a page needs.
  const site = createServer((_request, response) =>
    response
      .writeHead(200, {
        "content-type": "text/html",
        "cross-origin-opener-policy": "same-origin",
        "cross-origin-embedder-policy": "require-corp",
      })
      .end(page),
  );
  await new Promise<void>((resolve) => site.listen(0, "127.0.0.1", resolve));
  const browser = await launchChromium();
  try {
    const tab = await browser.newPage();
    await tab.goto(`http://127.0.0.1:${(site.address() as AddressInfo).port}/`);
    await tab.waitForFunction(
      () => (window as unknown as { clickstream: { loaded?: boolean } }).clickstream.loaded,
    );
    if (!(await tab.evaluate(() => crossOriginIsolated)))
      throw new Error("bench page is not cross-origin isolated");
    return await tab.evaluate(async (n) => {
      const stats = (samples: number[]): Stats => {
        const sorted = [...samples].sort((a, b) => a - b);
        return {
          median: sorted[Math.floor(sorted.length / 2)]!,
          p90: sorted[Math.floor(sorted.length * 0.9)]!,
          mean: samples.reduce((a, b) => a + b, 0) / samples.length,
        };
      };
      const yieldToTasks = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));
      const track = (window as unknown as { clickstream: (...args: unknown[]) => void }).clickstream;
      const properties = {
        product_id: "p1",
        product_name: "Mug",
        product_category: "home",
        price: 9.5,
        quantity: 1,
      };
      const timed: number[] = [];
      const baseline: number[] = [];
      for (let i = 0; i < n; i++) {
        let start = performance.now();
        track("add_to_cart", properties);
        timed.push(performance.now() - start);
        await yieldToTasks();
        start = performance.now();
        const event = { event_id: crypto.randomUUID(), timestamp: new Date().toISOString(), ...properties };
        localStorage.setItem("bench:event", JSON.stringify(event));
        baseline.push(performance.now() - start);
        await yieldToTasks();
      }
      localStorage.removeItem("bench:event");
      return { track: stats(timed), baseline: stats(baseline) };
    }, calls);
  } finally {
    await browser.close();
    await new Promise<void>((resolve) => site.close(() => resolve()));
    await collector.close();
    await rm(warehouse, { recursive: true, force: true });
  }
}
