import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import { after, describe, test, type TestContext } from "node:test";
import { devices, type Browser, type BrowserContext, type Page } from "playwright-core";
import { stopFixture, type CollectorFixture } from "../collector/collector-fixture.js";
import { launchChromium } from "../support/chromium-launch.js";
import { chromium, requireTool } from "../support/optional-suite.js";
import { readTransformed } from "../support/warehouse-reader.js";
import {
  arrived,
  distinct,
  startCollector,
  startSite,
  trackerPage,
  typesInOrder,
  waitForEvents,
  type PageOptions,
  type Site,
  type TrackedEvent,
} from "./browser-harness.js";
import { startFaultProxy } from "./fault-proxy.js";

const exec = promisify(execFile);
const cli = fileURLToPath(new URL("../../../bin/clickstream", import.meta.url));
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const isoPattern = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const queuePrefix = "clickstream:q:";

// One Chromium for the file; `shop.test` resolves to loopback, an origin that is not a secure context.
let shared: Promise<Browser> | undefined;
after(async () => (await shared)?.close());

interface World {
  readonly browser: Browser;
  readonly collector: CollectorFixture;
  readonly site: Site;
  readonly context: BrowserContext;
  /** A page of the site with the tracker snippet. */
  page(path: string, options?: PageOptions): Promise<Page>;
  events(): Promise<TrackedEvent[]>;
}

/** A collector, a site on another origin and a fresh browser context (empty storage), closed after `t`. */
async function world(t: TestContext, contextOptions = {}): Promise<World | undefined> {
  if (!requireTool(t, chromium)) return undefined;
  const browser = await (shared ??= launchChromium({
    args: ["--host-resolver-rules=MAP shop.test 127.0.0.1"],
  }));
  const collector = await startCollector();
  const site = await startSite();
  const context = await browser.newContext(contextOptions);
  t.after(async () => {
    await context.close();
    await site.close();
    await stopFixture(collector);
  });
  return {
    browser,
    collector,
    site,
    context,
    page: async (path, options) => {
      site.pages.set(path.split("?")[0]!, trackerPage(collector.collector.url, options));
      const page = await context.newPage();
      await page.goto(site.url + path);
      return page;
    },
    events: () => arrived(collector),
  };
}

const queued = (page: Page): Promise<number> =>
  page.evaluate(
    (prefix) => Object.keys(localStorage).filter((k) => k.startsWith(prefix)).length,
    queuePrefix,
  );

/** Waits until this page's queue is empty: everything acknowledged, nothing in flight. */
async function settled(page: Page): Promise<void> {
  await page.waitForFunction(
    (prefix) => !Object.keys(localStorage).some((k) => k.startsWith(prefix)),
    queuePrefix,
    { timeout: 10_000 },
  );
}

describe("the browser tracker in Chromium", () => {
  test("automatic and SPA page views, track with product fields, identify", async (t) => {
    const w = await world(t);
    if (!w) return;
    const shop = `${w.site.url}/shop`;
    const page = await w.page("/shop?email=ann%40example.com&q=mugs", {
      body: `<button id="add" onclick="clickstream('track','add_to_cart',{product_id:'p1',product_name:'Mug',product_category:'home',price:9.5,quantity:1,color:'blue',gift:true,meta:{engraving:'hi'}})">Add</button>
        <button id="buy" onclick="clickstream('track','purchase',{product_id:'p1',price:19,quantity:2,order_id:'o-1'})">Buy</button>`,
    });
    await page.evaluate(() => history.pushState({}, "", "/product/p1"));
    await page.evaluate(() => history.replaceState({}, "", "/product/p1?variant=blue")); // same path: no view
    await page.click("#add");
    await page.evaluate(() => history.pushState({}, "", "/cart"));
    await page.evaluate(() => history.back()); // popstate
    await page.waitForURL(/variant=blue$/);
    await page.evaluate(() => (location.hash = "#reviews")); // hashchange and popstate: one view
    await page.waitForURL(/#reviews$/);
    await page.evaluate(() => window.clickstream("identify", "user-42"));
    await page.click("#buy");
    await page.evaluate(() => window.clickstream("flush"));

    const events = await waitForEvents(w.collector, (e) => e.some((x) => x.event_type === "purchase"));
    await sleep(500); // nothing else, and no double, arrives after
    const all = await w.events();
    assert.equal(all.length, 7, JSON.stringify(typesInOrder(all)));
    assert.equal(distinct(all).length, 7);
    const ordered = [...events].sort((a, b) => a.timestamp.localeCompare(b.timestamp));
    const product = `${w.site.url}/product/p1`;
    assert.deepEqual(
      ordered.map((e) => [e.event_type, e.page_url, e.referrer]),
      [
        ["page_view", `${shop}?q=mugs`, ""], // email removed before sending
        ["page_view", product, `${shop}?q=mugs`],
        ["add_to_cart", `${product}?variant=blue`, `${shop}?q=mugs`],
        ["page_view", `${w.site.url}/cart`, `${product}?variant=blue`],
        ["page_view", `${product}?variant=blue`, `${w.site.url}/cart`],
        ["page_view", `${product}?variant=blue#reviews`, `${product}?variant=blue`],
        ["purchase", `${product}?variant=blue#reviews`, `${product}?variant=blue`],
      ],
    );
    const anonymousId = ordered[0]!.properties.anonymous_id!;
    assert.match(anonymousId, uuidPattern);
    assert.deepEqual(
      ordered.map((e) => e.user_id),
      [...Array<string>(6).fill(anonymousId), "user-42"],
    );
    assert.ok(ordered.every((e) => e.properties.anonymous_id === anonymousId));
    assert.equal(new Set(ordered.map((e) => e.session_id)).size, 1);
    assert.match(ordered[0]!.session_id, uuidPattern);
    assert.ok(ordered.every((e) => uuidPattern.test(e.event_id) && isoPattern.test(e.timestamp)));
    assert.ok(ordered.every((e) => e.device_type === "desktop"));
    const add = ordered[2]!;
    assert.deepEqual(
      [add.product_id, add.product_name, add.product_category, add.price, add.quantity],
      ["p1", "Mug", "home", 9.5, 1],
    );
    // Non-contract properties travel as strings (the contract's map<string,string>).
    assert.deepEqual(add.properties, {
      color: "blue",
      gift: "true",
      meta: '{"engraving":"hi"}',
      anonymous_id: anonymousId,
    });
    assert.deepEqual(ordered[6]!.properties, { order_id: "o-1", anonymous_id: anonymousId });
    // The timestamp is the browser's clock at the call, within this test's run.
    const first = Date.parse(ordered[0]!.timestamp);
    assert.ok(Math.abs(first - Date.now()) < 60_000);
  });

  test("calls queued before the script loaded are replayed in order, after the automatic page view", async (t) => {
    const w = await world(t);
    if (!w) return;
    await w.page("/early", {
      head: `<script>clickstream('identify','user-7');clickstream('track','signup',{plan:'pro'});clickstream('page')</script>`,
    });
    const events = await waitForEvents(w.collector, (e) => e.length >= 3);
    assert.deepEqual(typesInOrder(events), ["page_view", "signup", "page_view"]);
    assert.ok(events.every((e) => e.user_id === "user-7"));
    assert.equal(events.find((e) => e.event_type === "signup")!.properties.plan, "pro");
  });

  test("events fired just before navigating away arrive (pagehide, keepalive)", async (t) => {
    const w = await world(t);
    if (!w) return;
    w.site.pages.set("/elsewhere", "<!doctype html><title>no tracker here</title>");
    const page = await w.page("/leave", {
      body: `<button id="go" onclick="clickstream('track','leave_click',{n:1});clickstream('track','leave_click',{n:2});location.href='/elsewhere'">Go</button>`,
    });
    await settled(page); // the page view is acknowledged
    await page.click("#go");
    await page.waitForURL(/elsewhere$/);
    // No tracker runs on /elsewhere: only the keepalive request made on pagehide can deliver these.
    const events = await waitForEvents(
      w.collector,
      (e) => e.filter((x) => x.event_type === "leave_click").length >= 2,
    );
    assert.deepEqual(
      events.filter((e) => e.event_type === "leave_click").map((e) => e.properties.n),
      ["1", "2"],
    );
    // The page was gone before the answer came: nothing was removed, the next page load resends (dedup).
    assert.equal(await queued(page), 2);
  });

  test("offline, then online on the next page load: every event arrives, each stored once after transform", async (t) => {
    const w = await world(t);
    if (!w) return;
    const first = await w.page("/a");
    await settled(first);
    await w.context.setOffline(true);
    await first.evaluate(() => {
      window.clickstream("track", "offline_1");
      history.pushState({}, "", "/a2");
      window.clickstream("track", "offline_2");
      window.clickstream("flush");
    });
    await sleep(300);
    assert.equal(await queued(first), 3, "persisted while offline");
    await first.close();
    await w.context.setOffline(false);
    await w.page("/b");
    const events = await waitForEvents(w.collector, (e) => distinct(e).length >= 5);
    assert.deepEqual(typesInOrder(distinct(events)), [
      "page_view",
      "offline_1",
      "page_view",
      "offline_2",
      "page_view",
    ]);

    await exec(process.execPath, [cli, "transform", "--warehouse", w.collector.warehouse]);
    const rows = await readTransformed(w.collector.warehouse);
    assert.deepEqual(
      rows.map((r) => r.event_id).sort(),
      distinct(events)
        .map((e) => e.event_id)
        .sort(),
    );
    assert.deepEqual(
      rows.sort((a, b) => a.event_sequence! - b.event_sequence!).map((r) => [r.event_type, r.event_sequence]),
      [
        ["page_view", 1],
        ["offline_1", 2],
        ["page_view", 3],
        ["offline_2", 4],
        ["page_view", 5],
      ],
    );
  });

  test("a collector answering 503 for a while: retried with backoff, nothing lost, nothing doubled", async (t) => {
    const w = await world(t);
    if (!w) return;
    const failUntil = Date.now() + 2500;
    const proxy = await startFaultProxy(w.collector.collector.url, (method, path) =>
      method === "POST" && path.startsWith("/v1/events") && Date.now() < failUntil ? 503 : undefined,
    );
    t.after(() => proxy.close());
    const page = await w.page("/busy", { endpoint: proxy.url });
    await page.evaluate(() => {
      for (let i = 0; i < 12; i++) window.clickstream("track", "busy", { i });
    });
    const events = await waitForEvents(w.collector, (e) => e.length >= 13, 30_000);
    assert.ok(
      proxy.faults.length >= 2,
      `the page view and the first batch met 503s (${proxy.faults.length})`,
    );
    await sleep(500);
    const all = await w.events();
    assert.equal(all.length, 13, "each event stored once: a 503 stores nothing");
    assert.deepEqual(
      events
        .filter((e) => e.event_type === "busy")
        .map((e) => Number(e.properties.i))
        .sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
    );
    assert.equal(await queued(page), 0);
  });

  test("a restore from the back/forward cache counts a page view", async (t) => {
    if (!requireTool(t, chromium)) return;
    const browser = await launchChromium({ ignoreDefaultArgs: ["--disable-back-forward-cache"] });
    t.after(() => browser.close());
    const w = await world(t);
    if (!w) return;
    const context = await browser.newContext();
    w.site.pages.set("/next", "<!doctype html><title>next</title>");
    w.site.pages.set(
      "/cached",
      trackerPage(w.collector.collector.url, {
        head: `<script>addEventListener("pageshow", (e) => { if (e.persisted) window.restored = (window.restored || 0) + 1 })</script>`,
        body: `<a id="next" href="/next">next</a>`,
      }),
    );
    const page = await context.newPage();
    await page.goto(`${w.site.url}/cached`);
    await settled(page); // nothing in flight: a page with a pending request or a held lock is not cached
    await page.click("#next");
    await page.waitForURL(/next$/);
    await page.goBack({ waitUntil: "commit" }); // a restore fires no load event
    await page.waitForFunction(() => (window as { restored?: number }).restored === 1, null, {
      timeout: 10_000,
    });
    const events = await waitForEvents(w.collector, (e) => e.length >= 2);
    assert.deepEqual(
      events.map((e) => [e.event_type, e.page_url]),
      [
        ["page_view", `${w.site.url}/cached`],
        ["page_view", `${w.site.url}/cached`],
      ],
    );
    assert.notEqual(events[0]!.event_id, events[1]!.event_id);
    await context.close();
  });

  test("browsers driven by automation are skipped by default: nothing stored, nothing sent", async (t) => {
    const w = await world(t);
    if (!w) return;
    const sent: string[] = [];
    w.context.on("request", (request) => {
      if (request.url().includes("/v1/events")) sent.push(request.url());
    });
    const page = await w.page("/robot", { asAutomation: true });
    assert.equal(await page.evaluate(() => navigator.webdriver), true);
    await page.evaluate(() => {
      window.clickstream("track", "click");
      window.clickstream("flush");
    });
    await sleep(1000);
    assert.equal(await page.evaluate(() => typeof window.clickstream), "function");
    assert.deepEqual(sent, []);
    assert.equal(await queued(page), 0);
    assert.deepEqual(await w.events(), []);
  });

  test("the tracker's own errors never reach window.onerror; they are counted in tracker_health", async (t) => {
    const w = await world(t);
    if (!w) return;
    const pageErrors: string[] = [];
    w.context.on("weberror", (error) => pageErrors.push(error.error().message));
    const page = await w.page("/fragile", {
      head: `<script>window.seen = [];
        window.onerror = (message) => { window.seen.push(String(message)); };
        addEventListener("unhandledrejection", (e) => window.seen.push("rejection: " + e.reason));</script>`,
    });
    await page.evaluate(() => {
      const circular: Record<string, unknown> = {};
      circular.self = circular;
      window.clickstream("no_such_command");
      window.clickstream("track", "circular", { circular });
      window.clickstream("track", "fine");
      window.clickstream("flush");
    });
    const events = await waitForEvents(w.collector, (e) => e.some((x) => x.event_type === "tracker_health"));
    const health = events.find((e) => e.event_type === "tracker_health")!;
    assert.equal(health.properties.errors, "2");
    assert.match(health.properties.last_error!, /circular/i);
    assert.ok(events.some((e) => e.event_type === "fine"));
    assert.ok(!events.some((e) => e.event_type === "circular"));
    assert.deepEqual(await page.evaluate(() => (window as { seen?: string[] }).seen), []);
    assert.deepEqual(pageErrors, []);
  });

  test("with storage full, events are kept in memory and still sent", async (t) => {
    const w = await world(t);
    if (!w) return;
    const page = await w.page("/full");
    await settled(page);
    const filled = await page.evaluate(() => {
      const chunk = "x".repeat(1024 * 1024);
      for (let i = 0; i < 64; i++) {
        try {
          localStorage.setItem(`junk-${i}`, chunk);
        } catch (error) {
          return (error as DOMException).name;
        }
      }
      return "never full";
    });
    assert.equal(filled, "QuotaExceededError");
    await page.evaluate(() => {
      window.clickstream("track", "kept_in_memory", { n: 1 });
      window.clickstream("track", "kept_in_memory", { n: 2 });
      window.clickstream("flush");
    });
    const events = await waitForEvents(
      w.collector,
      (e) => e.filter((x) => x.event_type === "kept_in_memory").length >= 2,
    );
    assert.equal(events.length, 3);
  });

  test("tabs of one site share the queue: flushing at once loses and doubles nothing", async (t) => {
    const w = await world(t);
    if (!w) return;
    const tabs = [await w.page("/tab"), await w.page("/tab")];
    await Promise.all(tabs.map(settled));
    for (let round = 0; round < 3; round++) {
      await Promise.all(
        tabs.map((tab, n) =>
          tab.evaluate(
            ([n, round]) => {
              for (let i = 0; i < 6; i++) window.clickstream("track", "tab_event", { tab: n, round, i });
            },
            [n, round],
          ),
        ),
      );
      // Both tabs hold both tabs' events; both flush at the same moment.
      await Promise.all(tabs.map((tab) => tab.evaluate(() => window.clickstream("flush"))));
    }
    await waitForEvents(w.collector, (e) => e.filter((x) => x.event_type === "tab_event").length >= 36);
    await Promise.all(tabs.map(settled));
    await sleep(500);
    const all = await w.events();
    assert.equal(all.filter((e) => e.event_type === "tab_event").length, 36);
    assert.equal(distinct(all).length, all.length, "no event sent twice");
  });

  test("a hidden page sends what fits the 64 KiB keepalive budget and leaves the rest queued", async (t) => {
    const w = await world(t);
    if (!w) return;
    w.site.pages.set("/plain", "<!doctype html><title>no tracker here</title>");
    const page = await w.page("/big");
    await settled(page);
    await page.evaluate(() => {
      for (let i = 0; i < 9; i++) window.clickstream("track", "big", { i, blob: "x".repeat(10_000) });
      location.href = "/plain";
    });
    await page.waitForURL(/plain$/);
    await waitForEvents(w.collector, (e) => e.some((x) => x.event_type === "big"));
    await sleep(1000);
    const big = (await w.events())
      .filter((e) => e.event_type === "big")
      .map((e) => Number(e.properties.i))
      .sort((a, b) => a - b);
    assert.deepEqual(big, [0, 1, 2, 3, 4, 5], "the oldest six (about 60 KiB) went on pagehide");
    assert.equal(await queued(page), 9, "none removed: the page was gone before any answer");

    await page.goto(`${w.site.url}/big`); // the next page load sends the backlog
    const all = await waitForEvents(
      w.collector,
      (e) => distinct(e).filter((x) => x.event_type === "big").length >= 9,
    );
    assert.deepEqual(
      distinct(all)
        .filter((e) => e.event_type === "big")
        .map((e) => Number(e.properties.i))
        .sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5, 6, 7, 8],
    );
  });

  test("opt-out persists across loads; Global Privacy Control counts with data-respect-dnt", async (t) => {
    const w = await world(t);
    if (!w) return;
    const page = await w.page("/privacy");
    await settled(page);
    await page.evaluate(() => {
      window.clickstream("optout");
      window.clickstream("track", "while_out");
    });
    await page.reload();
    await page.evaluate(() => {
      window.clickstream("track", "still_out");
      window.clickstream("optin");
      window.clickstream("track", "back_in");
      window.clickstream("flush");
    });
    const events = await waitForEvents(w.collector, (e) => e.some((x) => x.event_type === "back_in"));
    assert.deepEqual(typesInOrder(events), ["page_view", "back_in"]);

    // A browser with GPC on (as Firefox and Brave expose it): respected only when the site asks.
    const gpc = await w.browser.newContext();
    t.after(() => gpc.close());
    await gpc.addInitScript(() =>
      Object.defineProperty(Navigator.prototype, "globalPrivacyControl", { get: () => true }),
    );
    w.site.pages.set("/gpc", trackerPage(w.collector.collector.url, { attributes: "data-respect-dnt" }));
    w.site.pages.set("/gpc-ignored", trackerPage(w.collector.collector.url));
    const respecting = await gpc.newPage();
    await respecting.goto(`${w.site.url}/gpc`);
    await respecting.goto(`${w.site.url}/gpc-ignored`);
    await waitForEvents(w.collector, (e) => e.some((x) => x.page_url.endsWith("/gpc-ignored")));
    assert.ok(!(await w.events()).some((e) => e.page_url.endsWith("/gpc")));
  });

  test("data-redact-params replaces the default list of parameters removed from URLs", async (t) => {
    const w = await world(t);
    if (!w) return;
    await w.page("/r?utm_source=mail&ref=abc&email=kept%40example.com&token=t&x=1#ref=h", {
      attributes: 'data-redact-params="ref, utm_source"',
    });
    const [view] = await waitForEvents(w.collector, (e) => e.length >= 1);
    assert.equal(view!.page_url, `${w.site.url}/r?email=kept%40example.com&token=t&x=1`);
  });

  test("device type, added by the collector from the User-Agent: mobile, tablet, desktop", async (t) => {
    const w = await world(t);
    if (!w) return;
    w.site.pages.set("/device", trackerPage(w.collector.collector.url));
    const seen: Record<string, string> = {};
    for (const name of ["iPhone 13", "Pixel 7", "iPad Pro 11", "Galaxy Tab S4", "Desktop Chrome"]) {
      const { defaultBrowserType: _ignored, ...descriptor } = devices[name]!;
      const context = await w.browser.newContext(descriptor);
      const page = await context.newPage();
      await page.goto(`${w.site.url}/device`);
      await settled(page);
      const visitor = await page.evaluate(() => localStorage.getItem("clickstream:a"));
      seen[name] = (await w.events()).find((e) => e.properties.anonymous_id === visitor)!.device_type;
      await context.close();
    }
    assert.deepEqual(seen, {
      "iPhone 13": "mobile",
      "Pixel 7": "mobile",
      "iPad Pro 11": "tablet",
      "Galaxy Tab S4": "tablet",
      "Desktop Chrome": "desktop",
    });
  });

  test("works on an insecure origin (no Web Locks, no crypto.randomUUID)", async (t) => {
    const w = await world(t);
    if (!w) return;
    w.site.pages.set("/insecure", trackerPage(w.collector.collector.url));
    const page = await w.context.newPage();
    await page.goto(w.site.url.replace("127.0.0.1", "shop.test") + "/insecure");
    assert.deepEqual(
      await page.evaluate(() => [isSecureContext, "locks" in navigator, "randomUUID" in crypto]),
      [false, false, false],
    );
    await page.evaluate(() => window.clickstream("track", "insecure"));
    await page.evaluate(() => window.clickstream("flush"));
    const events = await waitForEvents(w.collector, (e) => e.some((x) => x.event_type === "insecure"));
    assert.match(events[0]!.event_id, uuidPattern);
  });

  test("in a sandboxed frame (opaque origin: storage and Web Locks refused) events are kept in memory and sent", async (t) => {
    const w = await world(t);
    if (!w) return;
    const inner = trackerPage(w.collector.collector.url, {
      body: `<script>addEventListener("load", () => { clickstream("track", "framed"); clickstream("flush"); })</script>`,
    });
    w.site.pages.set(
      "/host",
      `<!doctype html><iframe sandbox="allow-scripts" srcdoc="${inner.replaceAll("&", "&amp;").replaceAll('"', "&quot;")}"></iframe>`,
    );
    const page = await w.context.newPage();
    await page.goto(`${w.site.url}/host`);
    const events = await waitForEvents(w.collector, (e) => e.some((x) => x.event_type === "framed"));
    assert.deepEqual(typesInOrder(events), ["page_view", "framed"]);
    const frame = page.frames()[1]!;
    assert.equal(await frame.evaluate(() => origin), "null");
    assert.equal(
      await frame.evaluate(() => {
        try {
          return typeof localStorage;
        } catch (error) {
          return (error as Error).name;
        }
      }),
      "SecurityError",
    );
  });

  test('the ES module: import { createTracker } from "clickstream/tracker"', async (t) => {
    const w = await world(t);
    if (!w) return;
    w.site.pages.set(
      "/esm",
      `<!doctype html><script type="module">
        import { createTracker } from "/tracker.mjs";
        const tracker = createTracker({ endpoint: ${JSON.stringify(w.collector.collector.url)}, allowAutomation: true, auto: false });
        tracker.track("esm_event", { product_id: "p9", source: "bundle" });
        await tracker.flush();
        window.flushed = true;
      </script>`,
    );
    const page = await w.context.newPage();
    await page.goto(`${w.site.url}/esm`);
    await page.waitForFunction(() => (window as { flushed?: boolean }).flushed === true);
    // flush() resolved once the collector acknowledged: the event is there already, and nothing else.
    const events = await w.events();
    assert.deepEqual(
      events.map((e) => [e.event_type, e.product_id, e.properties.source]),
      [["esm_event", "p9", "bundle"]],
    );
  });
});

declare global {
  interface Window {
    clickstream: (...args: unknown[]) => void;
  }
}
