import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { test } from "node:test";
import { launchChromium } from "../support/chromium-launch.js";
import { chromium, requireTool } from "../support/optional-suite.js";
import { tempDir } from "../support/temp-dir.js";

const exec = promisify(execFile);
const cli = fileURLToPath(new URL("../../../bin/clickstream", import.meta.url));
const shopServer = fileURLToPath(new URL("../../../examples/demo-shop/serve-shop.mjs", import.meta.url));
const writeKey = "wk_demo_shop_0001"; // the one in examples/demo-shop/*.html

/** A port free right now (the collector's CORS list must name the shop's origin before the shop starts). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Starts a child process and resolves with the first stdout line matching `ready`. */
async function startChild(
  args: string[],
  ready: RegExp,
): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  // The shop says it is ready on stdout, the collector's log (--log-format json) is on stderr.
  const lines = [createInterface({ input: child.stdout! }), createInterface({ input: child.stderr! })];
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    for (const input of lines) {
      input.on("line", (line) => {
        const found = ready.exec(line);
        if (found) resolve(found);
      });
    }
    child.once("exit", (code) => reject(new Error(`${args.join(" ")} exited with ${code}: ${stderr}`)));
  });
  return { child, match };
}

async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  child.kill("SIGTERM");
  return exited;
}

interface Row {
  event_type: string;
  event_sequence: number;
  session_id: string;
  user_id: string;
  page_url: string;
  referrer: string | null;
  product_id: string | null;
  price: number | null;
  quantity: number | null;
  device_type: string;
  anonymous_id: string | null;
  color: string | null;
  order_id: string | null;
}

test("the demo shop, visited by a scripted user: collector → transform → crawl → query shows exactly its events", async (t) => {
  if (!requireTool(t, chromium)) return;
  const warehouse = await tempDir("clickstream-shop-");
  const shopPort = await freePort();
  const shop = `http://127.0.0.1:${shopPort}`;
  const config = join(warehouse, "clickstream.json");
  await writeFile(
    config,
    JSON.stringify({
      collector: {
        port: 0,
        writeKeys: [writeKey],
        // Write keys gate the browser API; the Firehose API then needs its own keys (or the collector refuses to start).
        accessKeys: [{ accessKeyId: "AKIDSHOPTEST", secretAccessKey: "shop-test-secret" }],
        corsAllowedOrigins: [shop], // the shop's origin, and no other
        streams: [
          { name: "clickstream-pipeline-stream", bufferingHints: { sizeInMBs: 1, intervalInSeconds: 60 } },
        ],
      },
    }),
  );
  const collector = await startChild(
    [cli, "serve", "--warehouse", warehouse, "--config", config, "--log-format", "json"],
    /"url":"(http:\/\/127\.0\.0\.1:\d+)"/,
  );
  t.after(() => stop(collector.child));
  const collectorUrl = collector.match[1]!;
  const site = await startChild(
    [shopServer, "--port", String(shopPort), "--collector", collectorUrl],
    /demo shop on/,
  );
  t.after(() => stop(site.child));

  const browser = await launchChromium();
  t.after(() => browser.close());
  const page = await browser.newPage();
  const sentIds = new Set<string>();
  page.on("request", (request) => {
    if (!request.url().startsWith(`${collectorUrl}/v1/events`)) return;
    for (const event of JSON.parse(request.postData() ?? "[]") as { event_id: string }[])
      sentIds.add(event.event_id);
  });
  const pageErrors: Error[] = [];
  page.on("pageerror", (error) => pageErrors.push(error));

  // The scripted user: home, a product, add to cart, cart, checkout, sign in, order, then the about page.
  await page.goto(`${shop}/`);
  await page.click("#product-p1");
  await page.click("#add");
  await page.click("#nav-cart");
  await page.click("#checkout");
  await page.click("#sign-in");
  await page.click("#order");
  await page.click("#nav-about"); // a full page load: what was pending leaves on pagehide
  await page.waitForURL(`${shop}/about.html`);
  // Everything acknowledged: nothing left in the queue.
  await page.waitForFunction(
    () => !Object.keys(localStorage).some((k) => k.startsWith("clickstream:q:")),
    null,
    {
      timeout: 15_000,
    },
  );
  assert.deepEqual(pageErrors, []);

  assert.equal(await stop(collector.child), 0, "SIGTERM delivers every buffer, then exits 0");
  const run = (...args: string[]): Promise<{ stdout: string }> =>
    exec(process.execPath, [cli, ...args, "--warehouse", warehouse]);
  await run("transform");
  await run("crawl");
  const { stdout } = await run(
    "query",
    "--format",
    "json",
    `SELECT event_id, event_type, event_sequence, session_id, user_id, page_url, referrer, product_id, price, quantity, device_type,
            element_at(properties, 'anonymous_id') AS anonymous_id, element_at(properties, 'color') AS color,
            element_at(properties, 'order_id') AS order_id
       FROM transformed ORDER BY event_sequence`,
  );
  const rows = JSON.parse(stdout) as (Row & { event_id: string })[];

  const anonymous = rows[0]!.user_id;
  assert.notEqual(anonymous, "user-demo");
  assert.deepEqual(
    rows.map((r) => [
      r.event_sequence,
      r.event_type,
      r.page_url.slice(shop.length),
      r.user_id === anonymous ? "anonymous" : r.user_id,
    ]),
    [
      [1, "page_view", "/", "anonymous"],
      [2, "page_view", "/product/p1", "anonymous"],
      [3, "product_view", "/product/p1", "anonymous"],
      [4, "add_to_cart", "/product/p1", "anonymous"],
      [5, "page_view", "/cart", "anonymous"],
      [6, "page_view", "/checkout", "anonymous"],
      [7, "checkout_start", "/checkout", "anonymous"],
      [8, "login", "/checkout", "user-demo"],
      [9, "purchase", "/checkout", "user-demo"],
      [10, "page_view", "/about.html", "user-demo"],
    ],
  );
  assert.equal(new Set(rows.map((r) => r.session_id)).size, 1, "one session");
  assert.deepEqual(
    new Set(rows.map((r) => r.event_id)),
    sentIds,
    "exactly the events the browser sent, once each",
  );
  const add = rows[3]!;
  assert.deepEqual([add.product_id, add.price, add.quantity], ["p1", 9.5, 1]);
  assert.deepEqual([rows[8]!.price, rows[8]!.quantity], [9.5, 1]);
  assert.equal(rows[1]!.referrer, `${shop}/`);
  assert.equal(rows[9]!.referrer, `${shop}/checkout`);
  assert.ok(rows.every((r) => r.device_type === "desktop"));
  // Properties beyond the contract's fields arrive in the properties column; the anonymous id on every
  // event stitches the identified part of the visit to the anonymous part.
  assert.ok(rows.every((r) => r.anonymous_id === anonymous));
  assert.deepEqual(
    rows.map((r) => [r.event_type, r.color, r.order_id]).filter(([, color, order]) => color ?? order),
    [
      ["add_to_cart", "blue", null],
      ["purchase", null, "order-1"],
    ],
  );
});
