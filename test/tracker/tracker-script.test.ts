// test tier: fast (in-process, no child processes)
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { after, before, describe, test } from "node:test";
import Fastify from "fastify";
import { registerTrackerScript, trackerScriptUrl } from "../../src/collector/tracker-script.js";
import { post, startFixture, stopFixture, type CollectorFixture } from "../collector/collector-fixture.js";
import { tempDir } from "../support/temp-dir.js";

interface InertTracker {
  track(eventType: string, properties?: Record<string, unknown>): void;
  page(): void;
  identify(userId: string): void;
  optout(): void;
  flush(): Promise<void>;
}

/** The goal of issue 17 (Plausible's script is about 2.5 KB without persistence); `npm run bench` reports it too. */
const maxGzipBytes = 2560;

describe("the tracker build", () => {
  test(`the script tag's tracker is at most ${maxGzipBytes} bytes minified and gzipped`, () => {
    const script = readFileSync(trackerScriptUrl);
    const gzipped = gzipSync(script, { level: 9 }).length;
    assert.ok(gzipped <= maxGzipBytes, `tracker.js is ${gzipped} bytes gzipped, over ${maxGzipBytes}`);
    assert.ok(script.length > 1000, "a real build, not an empty file");
  });

  test('`import { createTracker } from "clickstream/tracker"` resolves through the exports map', async () => {
    const specifier = "clickstream/tracker"; // a variable: the root tsconfig has no DOM types to check it with
    const module = (await import(specifier)) as {
      createTracker: (options: { endpoint: string }) => InertTracker;
    };
    assert.equal(typeof module.createTracker, "function");
    // Without a DOM (server-side rendering) the tracker is inert: it neither throws nor sends.
    const tracker = module.createTracker({ endpoint: "http://127.0.0.1:9" });
    assert.doesNotThrow(() => {
      tracker.track("page_view", { a: 1 });
      tracker.identify("u1");
      tracker.page();
      tracker.optout();
    });
    await tracker.flush();
  });
});

describe("GET /tracker.js", () => {
  let f: CollectorFixture;
  let url: string;
  before(async () => {
    f = await startFixture({
      writeKeys: ["wk_test_12345678"],
      accessKeys: [{ accessKeyId: "AKIDTRACKERTEST", secretAccessKey: "tracker-test-secret" }],
      corsAllowedOrigins: ["https://shop.example"],
    });
    url = `${f.collector.url}/tracker.js`;
  });
  after(() => stopFixture(f));

  test("serves the minified build as text/javascript, gzipped when accepted, with an ETag and a short max-age", async () => {
    const built = readFileSync(trackerScriptUrl);
    const plain = await fetch(url, { headers: { "accept-encoding": "identity" } });
    assert.equal(plain.status, 200);
    assert.equal(plain.headers.get("content-type"), "text/javascript; charset=utf-8");
    assert.equal(plain.headers.get("cache-control"), "public, max-age=300");
    assert.equal(plain.headers.get("content-encoding"), null);
    assert.equal(plain.headers.get("access-control-allow-origin"), "*");
    assert.deepEqual(Buffer.from(await plain.arrayBuffer()), built);
    const etag = plain.headers.get("etag");
    assert.match(etag ?? "", /^W\/"[\w-]{22}"$/);

    const zipped = await fetch(url, { headers: { "accept-encoding": "gzip" } });
    assert.equal(zipped.status, 200);
    assert.equal(zipped.headers.get("content-encoding"), "gzip");
    assert.equal(zipped.headers.get("etag"), etag);
    assert.deepEqual(Buffer.from(await zipped.arrayBuffer()), built); // fetch decodes gzip
    const head = await fetch(url, { method: "HEAD", headers: { "accept-encoding": "gzip" } });
    const gzippedLength = Number(head.headers.get("content-length"));
    assert.equal(gzippedLength, gzipSync(built, { level: 9 }).length);

    const revalidated = await fetch(url, { headers: { "if-none-match": etag! } });
    assert.equal(revalidated.status, 304);
    assert.equal(revalidated.headers.get("etag"), etag);
    assert.equal((await revalidated.arrayBuffer()).byteLength, 0);
    const changed = await fetch(url, { headers: { "if-none-match": 'W/"something-else"' } });
    assert.equal(changed.status, 200);
  });

  test("answers CORS preflight for configured origins only, and errors carry the CORS header", async () => {
    const events = `${f.collector.url}/v1/events`;
    const preflight = await fetch(events, {
      method: "OPTIONS",
      headers: { origin: "https://shop.example", "access-control-request-method": "POST" },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get("access-control-allow-origin"), "https://shop.example");
    const refused = await fetch(events, {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    assert.equal(refused.status, 403);
    assert.equal(refused.headers.get("access-control-allow-origin"), null);

    // A wrong write key from an allowed origin: the page can read the 401 and stop retrying.
    const unauthorized = await post(`${events}?writeKey=wrong-key-123`, "{}", {
      "content-type": "text/plain;charset=UTF-8",
      origin: "https://shop.example",
    });
    assert.equal(unauthorized.status, 401);
    assert.equal(unauthorized.json.error, "CS_ERR_COLLECTOR_UNAUTHORIZED");
    assert.equal(unauthorized.headers.get("access-control-allow-origin"), "https://shop.example");
    const forbidden = await post(`${events}?writeKey=wk_test_12345678`, "{}", {
      "content-type": "text/plain;charset=UTF-8",
      origin: "https://evil.example",
    });
    assert.equal(forbidden.status, 403);
    assert.equal(forbidden.headers.get("access-control-allow-origin"), null);
  });

  test("a missing build is a catalogued 404 naming the fix, and is served once it appears", async () => {
    const app = Fastify({ logger: false });
    app.setErrorHandler((error: { code?: string; status?: number; message: string }, _request, reply) =>
      reply.code(error.status ?? 500).send({ error: error.code, message: error.message }),
    );
    const path = join(await tempDir("clickstream-tracker-"), "tracker.js");
    registerTrackerScript(app, pathToFileURL(path));
    const missing = await app.inject({ method: "GET", url: "/tracker.js" });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().error, "CS_ERR_COLLECTOR_TRACKER_MISSING");
    assert.match(missing.json().message, /tracker\.js: ENOENT/);
    await writeFile(path, "void 0;");
    const built = await app.inject({ method: "GET", url: "/tracker.js" });
    assert.equal(built.statusCode, 200);
    assert.equal(built.body, "void 0;");
    await app.close();
  });
});
