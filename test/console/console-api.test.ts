import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readdir, readFile, rm, stat } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { runCrawler } from "../../src/catalog/crawler.js";
import { startCollector } from "../../src/collector/collector-server.js";
import { parseConfig } from "../../src/config/load-config.js";
import { startConsoleServer, type RunningConsole } from "../../src/console/console-server.js";
import { isClickstreamError } from "../../src/errors/clickstream-error.js";
import { generateEventLines } from "../../src/generator/event-generator.js";
import { LocalStorage } from "../../src/storage/local-storage.js";
import { datePartitionPath } from "../../src/storage/warehouse-layout.js";
import { runTransform } from "../../src/transform/run-transform.js";
import { tempDir } from "../support/temp-dir.js";
import { generateEvents, writeTransformedFixture } from "../support/transformed-fixture.js";
import { bin, consoleWarehouse, expectedFigures, sameFigure, type Figures } from "./console-fixture.js";

const run = promisify(execFile);
let warehouse: string;
let running: RunningConsole;

const start = (dir: string, extra: Partial<Parameters<typeof startConsoleServer>[0]> = {}) =>
  startConsoleServer({
    storage: new LocalStorage(dir),
    config: parseConfig({ warehouse: { dir } }),
    port: 0,
    logger: false,
    ...extra,
  });

before(async () => {
  warehouse = await consoleWarehouse();
  running = await start(warehouse);
});
after(() => running.close());

async function api(
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${running.url}${path}`, init);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  api(path, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

function assertFigures(actual: Record<string, unknown>, expected: Figures, what: string): void {
  for (const [key, value] of Object.entries(expected)) {
    assert.ok(
      sameFigure(actual[key] as number | null, value),
      `${what} ${key}: got ${String(actual[key])}, expected ${String(value)}`,
    );
  }
}

test("GET /api/overview equals an independent SQL computation, with the previous period and filters", async () => {
  const range = await api("/api/range");
  assert.deepEqual(range.body, {
    first: "2026-11-03",
    last: "2026-11-12",
    default: { from: "2026-11-06", to: "2026-11-12" },
    previous: { from: "2026-10-30", to: "2026-11-05" },
  });
  const overview = await api("/api/overview?from=2026-11-06&to=2026-11-12");
  assert.equal(overview.status, 200);
  assertFigures(overview.body, await expectedFigures(warehouse, "2026-11-06", "2026-11-12"), "range");
  assertFigures(
    overview.body.previous as Record<string, unknown>,
    await expectedFigures(warehouse, "2026-10-30", "2026-11-05"),
    "previous",
  );
  assert.ok((overview.body.sessions as number) > 20 && (overview.body.revenue as number) > 0);
  const cases: Record<string, string>[] = [
    { event_type: "purchase" },
    { device: "mobile", page: "/home" },
    { referrer: "facebook.com" },
  ];
  for (const filters of cases) {
    const filtered = await api(`/api/overview?from=2026-11-04&to=2026-11-05&${new URLSearchParams(filters)}`);
    const expected = await expectedFigures(warehouse, "2026-11-04", "2026-11-05", filters);
    assertFigures(filtered.body, expected, JSON.stringify(filters));
    assert.ok(expected.sessions > 0, `${JSON.stringify(filters)} keeps some sessions`);
  }
  // A filter that keeps sessions with a purchase: every kept session converted.
  const buyers = await api("/api/overview?from=2026-11-03&to=2026-11-12&event_type=purchase");
  assert.equal(buyers.body.conversion_rate, 1);
});

test("panels: hourly series up to two days, daily beyond; funnel; bad input is a 400 with code and fix", async () => {
  const hourly = await api("/api/panel/timeseries?from=2026-11-05&to=2026-11-06");
  assert.equal(hourly.body.granularity, "hour");
  const daily = await api("/api/panel/timeseries?from=2026-11-03&to=2026-11-12");
  assert.equal(daily.body.granularity, "day");
  const days = daily.body.rows as { bucket: string; events: number }[];
  assert.equal(days.length, 10);
  const hours = hourly.body.rows as { events: number }[];
  assert.equal(
    hours.reduce((s, r) => s + r.events, 0),
    days
      .filter((d) => d.bucket === "2026-11-05" || d.bucket === "2026-11-06")
      .reduce((s, r) => s + r.events, 0),
  );
  const funnel = (await api("/api/panel/funnel?from=2026-11-03&to=2026-11-12")).body.rows as {
    stage: string;
    sessions: number;
  }[];
  assert.deepEqual(
    funnel.map((r) => r.stage),
    ["product_view", "add_to_cart", "checkout_start", "purchase"],
  );
  assert.ok(funnel.every((r, i) => i === 0 || r.sessions <= funnel[i - 1]!.sessions));
  const bad = await api("/api/overview?from=2026-11-12&to=2026-11-03");
  assert.equal(bad.status, 400);
  assert.equal(bad.body.code, "CS_ERR_INVALID_ARGUMENT");
  assert.match(String(bad.body.fix), /From on or before To/);
  assert.doesNotMatch(String(bad.body.fix), /clickstream|--help/, "web wording, no command-line advice");
  const injection = await api(
    `/api/overview?from=2026-11-03&to=2026-11-12&device=${encodeURIComponent("x' OR 1=1 --")}`,
  );
  assert.equal(injection.status, 200);
  assert.equal(injection.body.sessions, 0, "a filter value is bound, never pasted");
  assert.equal((await api("/api/panel/nope?from=2026-11-03&to=2026-11-04")).status, 404);
});

test("POST /api/query answers rows, refuses what the guard refuses with {code, message, fix}", async () => {
  const ok = await post("/api/query", {
    sql: "SELECT event_type, count(*) AS n FROM transformed GROUP BY 1 ORDER BY 2 DESC, 1",
  });
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.body.columns, [
    { name: "event_type", type: "varchar" },
    { name: "n", type: "bigint" },
  ]);
  const stats = ok.body.stats as { queryId: string; rows: number; resultKey: string };
  assert.equal(stats.rows, (ok.body.rows as unknown[]).length);
  assert.equal(stats.resultKey, `athena-results/${stats.queryId}.csv`);
  for (const [sql, code, status] of [
    ["DROP TABLE transformed", "CS_ERR_QUERY_FORBIDDEN", 403],
    ["SELECT * FROM read_csv('/etc/passwd')", "CS_ERR_QUERY_FORBIDDEN", 403],
    ["SELEC 1", "CS_ERR_QUERY_SYNTAX", 400],
    ["SELECT nope FROM transformed", "CS_ERR_QUERY_FAILED", 400],
    ["SELECT 1; SELECT 2", "CS_ERR_QUERY_SYNTAX", 400],
  ] as const) {
    const refused = await post("/api/query", { sql });
    assert.equal(refused.status, status, sql);
    assert.equal(refused.body.code, code, sql);
    assert.equal(typeof refused.body.message, "string");
    assert.ok(String(refused.body.fix).length > 10, sql);
  }
  const notJson = await api("/api/query", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{",
  });
  assert.equal(notJson.status, 400);
  assert.equal(notJson.body.code, "CS_ERR_INVALID_ARGUMENT");
});

test("the saved CSV equals `clickstream query --format csv`; history records status, rows and bytes scanned", async () => {
  const sql =
    "SELECT device_type, count(DISTINCT session_id) AS sessions FROM transformed GROUP BY 1 ORDER BY 2 DESC, 1";
  const answer = await post("/api/query", { sql });
  const { queryId } = answer.body.stats as { queryId: string };
  const download = await fetch(`${running.url}/api/results/${queryId}.csv`);
  assert.equal(download.headers.get("content-type"), "text/csv; charset=utf-8");
  const cli = await run(process.execPath, [bin, "query", "--warehouse", warehouse, "--format", "csv", sql]);
  assert.equal(await download.text(), cli.stdout);
  assert.equal(await readFile(join(warehouse, "athena-results", `${queryId}.csv`), "utf8"), cli.stdout);
  // Bytes scanned are measured just after the answer.
  let entry: Record<string, unknown> | undefined;
  for (let i = 0; i < 50 && !(entry?.bytesScanned as number); i++) {
    await new Promise((r) => setTimeout(r, 100));
    entry = ((await api("/api/history")).body.entries as Record<string, unknown>[]).find(
      (e) => e.id === queryId,
    );
  }
  assert.equal(entry?.status, "succeeded");
  assert.equal(entry?.rows, (answer.body.rows as unknown[]).length);
  assert.ok((entry?.bytesScanned as number) > 1000, `bytes scanned ${String(entry?.bytesScanned)}`);
});

test("the CSV download neutralises spreadsheet formulas; the saved result stays as written", async () => {
  const sql = `SELECT '=HYPERLINK("http://evil.example","x")' AS link, '@SUM(A1)' AS at, -5 AS n`;
  const { queryId } = (await post("/api/query", { sql })).body.stats as { queryId: string };
  const download = await (await fetch(`${running.url}/api/results/${queryId}.csv`)).text();
  assert.equal(download, 'link,at,n\r\n"\'=HYPERLINK(""http://evil.example"",""x"")",\'@SUM(A1),-5\r\n');
  assert.equal(
    await readFile(join(warehouse, "athena-results", `${queryId}.csv`), "utf8"),
    'link,at,n\r\n"=HYPERLINK(""http://evil.example"",""x"")",@SUM(A1),-5\r\n',
  );
});

test("the query history and saved results are readable by their owner only (0600 files, 0700 folders)", async () => {
  const { queryId } = (await post("/api/query", { sql: "SELECT 42 AS answer" })).body.stats as {
    queryId: string;
  };
  const mode = async (...path: string[]): Promise<number> =>
    (await stat(join(warehouse, ...path))).mode & 0o777;
  assert.equal(await mode("_state", "console", "query-history.json"), 0o600);
  assert.equal(await mode("_state", "console"), 0o700);
  assert.equal(await mode("athena-results", `${queryId}.csv`), 0o600);
  assert.equal(await mode("athena-results", `${queryId}.csv.metadata`), 0o600);
  assert.equal(await mode("athena-results"), 0o700);
});

test("history survives a restart", async () => {
  const dir = await consoleWarehouse();
  const first = await start(dir);
  await fetch(`${first.url}/api/query`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ sql: "SELECT 42 AS answer" }),
  });
  await fetch(`${first.url}/api/query`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ sql: "DELETE FROM transformed" }),
  });
  await first.close();
  const second = await start(dir);
  try {
    const entries = (
      (await (await fetch(`${second.url}/api/history`)).json()) as { entries: Record<string, unknown>[] }
    ).entries;
    assert.deepEqual(
      entries.map((e) => [e.sql, e.status, e.errorCode]),
      [
        ["DELETE FROM transformed", "failed", "CS_ERR_QUERY_FORBIDDEN"],
        ["SELECT 42 AS answer", "succeeded", null],
      ],
    );
  } finally {
    await second.close();
  }
});

test("Host and Origin checks: DNS rebinding and cross-site POSTs are refused; security headers on every answer", async () => {
  // fetch() will not send another Host; a DNS-rebinding page's requests carry the attacker's name.
  const rebinding = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const request = httpRequest(
      `${running.url}/api/range`,
      { headers: { host: "evil.example:80" } },
      (response) => {
        let body = "";
        response.on("data", (chunk: Buffer) => (body += chunk.toString()));
        response.on("end", () => resolve({ status: response.statusCode!, body }));
      },
    );
    request.on("error", reject);
    request.end();
  });
  assert.equal(rebinding.status, 421);
  assert.equal((JSON.parse(rebinding.body) as { code: string }).code, "CS_ERR_CONSOLE_HOST_REFUSED");
  const localhost = await fetch(running.url.replace("127.0.0.1", "localhost") + "/api/range");
  assert.equal(localhost.status, 200);
  const crossSite = await post("/api/query", { sql: "SELECT 1" }, { origin: "http://evil.example" });
  assert.equal(crossSite.status, 403);
  assert.equal(crossSite.body.code, "CS_ERR_CONSOLE_ORIGIN_REFUSED");
  const sameSite = await post("/api/query", { sql: "SELECT 1 AS one" }, { origin: running.url });
  assert.equal(sameSite.status, 200);
  const page = await fetch(`${running.url}/`);
  const csp = page.headers.get("content-security-policy") ?? "";
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'(;|$)/);
  const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
  assert.ok(nonce && (await page.text()).includes(`content="${nonce}"`), "the page carries its style nonce");
  assert.equal((await fetch(`${running.url}/api/range`)).headers.get("x-frame-options"), "DENY");
});

test("a non-loopback address needs a token; with a token every request carries it", async () => {
  await assert.rejects(
    () => start(warehouse, { host: "0.0.0.0" }),
    (error: unknown) => isClickstreamError(error) && error.code === "CS_ERR_CONSOLE_TOKEN_REQUIRED",
  );
  const guarded = await start(warehouse, { token: "s3cret-token-for-tests" });
  try {
    const without = await fetch(`${guarded.url}/api/range`);
    assert.equal(without.status, 401);
    assert.equal(((await without.json()) as { code: string }).code, "CS_ERR_CONSOLE_UNAUTHORIZED");
    assert.equal((await fetch(`${guarded.url}/`)).status, 401);
    const wrong = await fetch(`${guarded.url}/api/range`, { headers: { authorization: "Bearer nope" } });
    assert.equal(wrong.status, 401);
    const bearer = await fetch(`${guarded.url}/api/range`, {
      headers: { authorization: "Bearer s3cret-token-for-tests" },
    });
    assert.equal(bearer.status, 200);
    const login = await fetch(`${guarded.url}/?token=s3cret-token-for-tests`, { redirect: "manual" });
    assert.equal(login.status, 303);
    assert.equal(login.headers.get("location"), "/");
    const cookie = login.headers.get("set-cookie")!;
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    const withCookie = await fetch(`${guarded.url}/api/range`, {
      headers: { cookie: cookie.split(";")[0]! },
    });
    assert.equal(withCookie.status, 200);
  } finally {
    await guarded.close();
  }
});

test("the token login redirects to a path on the console, never to another site", async () => {
  const guarded = await start(warehouse, { token: "s3cret-token-for-tests" });
  try {
    // Raw request targets, as a link could carry them (fetch would normalise some of them away).
    const variants = [
      "/.//evil.example/",
      "//evil.example",
      "/\\evil.example",
      "/%2F%2Fevil.example",
      "/./\\/evil",
    ];
    for (const target of variants) {
      const location = await new Promise<string | undefined>((resolve, reject) => {
        const url = new URL(guarded.url);
        const request = httpRequest(
          { host: url.hostname, port: url.port, path: `${target}?token=s3cret-token-for-tests` },
          (response) => {
            response.resume();
            response.on("end", () => resolve(response.headers.location));
          },
        );
        request.on("error", reject);
        request.end();
      });
      assert.ok(location !== undefined, `${target}: a redirect`);
      // A same-origin path: one leading slash, then no slash or backslash (which browsers read as one).
      assert.match(location, /^\/(?![/\\])/, `${target} redirected to ${location}`);
      const resolved = new URL(location, guarded.url);
      assert.equal(resolved.origin, new URL(guarded.url).origin, `${target} → ${location}`);
    }
  } finally {
    await guarded.close();
  }
});

test("a long-running console sees new partitions after a crawl and survives files replaced under it", async () => {
  const dir = await tempDir("clickstream-console-");
  const storage = new LocalStorage(dir);
  const config = parseConfig({ warehouse: { dir } });
  const first = generateEvents({ seed: 3, startDate: "2026-11-03", days: 2, users: 20 });
  const keys = await writeTransformedFixture(storage, first);
  await runCrawler({ storage, config });
  const console_ = await start(dir);
  const count = async () =>
    (await (
      await fetch(`${console_.url}/api/query`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ sql: "SELECT count(*) AS n FROM transformed" }),
      })
    ).json()) as { rows?: number[][]; code?: string; message?: string };
  try {
    assert.deepEqual((await count()).rows, [[first.length]]);
    await scanMeasured(console_.url); // nothing of the console's is reading while the files change
    // A compaction: the day's file is replaced by one of another name, no crawl in between.
    const replacement = first.filter((e) => e.event_date === "2026-11-03");
    await writeTransformedFixture(storage, replacement, { fileName: "compacted" });
    await rm(join(dir, keys[0]!));
    const afterCompaction = await count();
    assert.deepEqual(afterCompaction.rows, [[first.length]], JSON.stringify(afterCompaction));
    // A new day, then a transform (which builds the sessions table the tiles read) and a crawl: seen
    // without a restart, by the workbench and by the dashboard (whose answers are kept only until the
    // warehouse changes). Before, the tiles say which table is missing and how to make it.
    const tiles = async () =>
      (await (await fetch(`${console_.url}/api/overview?from=2026-11-03&to=2026-11-05`)).json()) as {
        visitors?: number;
        code?: string;
        message?: string;
      };
    const missing = await tiles();
    assert.equal(missing.code, "CS_ERR_CATALOG_NOT_FOUND", JSON.stringify(missing));
    assert.match(missing.message ?? "", /sessions/);
    const later = generateEvents({ seed: 4, startDate: "2026-11-05", days: 1, users: 5 }).map((e) => ({
      ...e,
      user_id: `late-${e.user_id}`,
      session_id: `late-${e.session_id}`,
    }));
    await writeTransformedFixture(storage, later);
    await runTransform({ storage, config: config.transform, workDir: dir });
    await runCrawler({ storage, config });
    await new Promise((r) => setTimeout(r, 1100)); // the pool looks at the catalog at most once a second
    assert.deepEqual((await count()).rows, [[first.length + later.length]]);
    const visitors = new Set([...first, ...later].map((e) => e.user_id)).size;
    assert.equal((await tiles()).visitors, visitors);
    assert.equal(
      ((await (await fetch(`${console_.url}/api/range`)).json()) as { last: string }).last,
      "2026-11-05",
    );
  } finally {
    await console_.close();
  }
});

/** Waits until the history's newest entry has its bytes scanned (measured after the answer). */
async function scanMeasured(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const { entries } = (await (await fetch(`${url}/api/history`)).json()) as {
      entries: { bytesScanned: unknown }[];
    };
    if (entries[0]?.bytesScanned !== null) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail("bytes scanned never measured");
}

test("data quality from run reports and errors/; live events from raw/ judged by the transform", async () => {
  const dir = await tempDir("clickstream-console-");
  const storage = new LocalStorage(dir);
  const config = parseConfig({ warehouse: { dir } });
  // Raw objects sit in the folder of the day they arrive (today), as the collector writes them.
  const today = datePartitionPath(new Date());
  const lines = [
    ...generateEventLines({
      events: 150,
      users: 20,
      days: 1,
      start: new Date("2026-11-24T00:00:00Z"),
      seed: 9,
      dirtyRate: 0.05,
    }),
  ];
  await storage.writeAtomic(
    "raw",
    `raw/${today}clickstream-pipeline-stream-1-2026-11-24-10-00-00-a.ndjson`,
    lines.join("\n") + "\n",
  );
  const report = await runTransform({ storage, config: config.transform, workDir: dir });
  await runCrawler({ storage, config });
  assert.ok(report.records.rejected > 0);
  // A second object the transform has not seen yet.
  await storage.writeAtomic(
    "raw",
    `raw/${today}clickstream-pipeline-stream-1-2026-11-24-11-00-00-b.ndjson`,
    `${lines[0]}\n`,
  );
  const console_ = await start(dir);
  try {
    const quality = (await (await fetch(`${console_.url}/api/quality`)).json()) as {
      days: { day: string; rejected: number; byReason: Record<string, number> }[];
    };
    assert.equal(quality.days.length, 1);
    assert.equal(quality.days[0]!.rejected, report.records.rejected);
    assert.deepEqual(
      quality.days[0]!.byReason,
      Object.fromEntries(Object.entries(report.rejectedByReason).filter(([, n]) => n > 0)),
    );
    const [reason, n] = Object.entries(quality.days[0]!.byReason)[0]!;
    const samples = (await (
      await fetch(
        `${console_.url}/api/quality/rejects?day=${quality.days[0]!.day}&reason=${reason}&limit=100`,
      )
    ).json()) as { rejects: { reason: string; raw: string; source: string }[] };
    assert.equal(samples.rejects.length, n);
    assert.ok(samples.rejects.every((r) => r.reason === reason && r.source.startsWith("raw/")));

    const live = (await (await fetch(`${console_.url}/api/live?limit=200`)).json()) as {
      source: string;
      events: { state: string; reason?: string; text: string }[];
    };
    assert.match(live.source, /raw\//);
    assert.equal(live.events[0]!.state, "pending", "the newest object is not transformed yet");
    const judged = live.events.slice(1);
    assert.equal(judged.length, lines.length);
    assert.equal(judged.filter((e) => e.state === "rejected").length, report.records.rejected);
    assert.equal(judged.filter((e) => e.state === "accepted").length, report.records.written);
    assert.deepEqual(
      Object.fromEntries(
        Object.keys(quality.days[0]!.byReason).map((r) => [r, judged.filter((e) => e.reason === r).length]),
      ),
      quality.days[0]!.byReason,
    );
  } finally {
    await console_.close();
  }
});

test("live events from an in-process collector, accepted and refused", async () => {
  const dir = await tempDir("clickstream-console-");
  const storage = new LocalStorage(dir);
  const collector = await startCollector({
    storage,
    walDir: join(dir, "_state", "collector", "wal"),
    port: 0,
    logger: false,
  });
  const console_ = await start(dir, { liveEvents: collector.recentEvents });
  try {
    const response = await fetch(`${collector.url}/v1/events`, {
      method: "POST",
      headers: { "content-type": "application/x-ndjson" },
      body: '{"event_id":"e1","event_type":"page_view"}\nnot json\n{"event_id":"e2","event_type":"purchase"}\n',
    });
    assert.equal(response.status, 200);
    const live = (await (await fetch(`${console_.url}/api/live`)).json()) as {
      source: string;
      events: { state: string; reason?: string; text: string }[];
    };
    assert.match(live.source, /collector in this process/);
    assert.deepEqual(
      live.events.map((e) => [e.state, e.reason ?? null, e.text]),
      [
        ["accepted", null, '{"event_id":"e2","event_type":"purchase"}'],
        ["accepted", null, '{"event_id":"e1","event_type":"page_view"}'],
        ["rejected", "malformed_json", ""],
      ],
    );
  } finally {
    await console_.close();
    await collector.close();
  }
});

test("a query whose client goes away is cancelled in DuckDB; one over the time limit is a 408", async () => {
  // A cross join of the table with itself three times: seconds of work, no rows to send.
  const slow =
    "SELECT count(*) AS n FROM transformed a, transformed b, transformed c WHERE a.price + b.price > c.price";
  const controller = new AbortController();
  const started = Date.now();
  const request = fetch(`${running.url}/api/query`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ sql: slow }),
    signal: controller.signal,
  }).catch((error: unknown) => error);
  await new Promise((r) => setTimeout(r, 300));
  controller.abort();
  await request;
  let entry: Record<string, unknown> | undefined;
  for (let i = 0; i < 100 && entry?.status !== "cancelled"; i++) {
    await new Promise((r) => setTimeout(r, 50));
    entry = ((await api("/api/history")).body.entries as Record<string, unknown>[]).find(
      (e) => e.sql === slow,
    );
  }
  assert.equal(entry?.status, "cancelled");
  assert.equal(entry?.errorCode, "CS_ERR_QUERY_CANCELLED");
  assert.ok(Date.now() - started < 5000, "interrupted, not run to the end");

  const limited = await start(warehouse, {
    config: parseConfig({ warehouse: { dir: warehouse }, query: { timeoutMs: 200 } }),
  });
  try {
    const response = await fetch(`${limited.url}/api/query`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ sql: slow }),
    });
    assert.equal(response.status, 408);
    const body = (await response.json()) as { code: string; fix: string };
    assert.equal(body.code, "CS_ERR_QUERY_TIMEOUT");
    assert.match(body.fix, /timeoutMs/);
  } finally {
    await limited.close();
  }
});

test("the issue's list of NULLs is refused at the byte cap with a 413, and no result file is written", async () => {
  const capped = await start(warehouse, {
    config: parseConfig({ warehouse: { dir: warehouse }, query: { maxResultBytes: 1024 * 1024 } }),
  });
  try {
    const before = await readdir(join(warehouse, "athena-results")).catch(() => []);
    const response = await fetch(`${capped.url}/api/query`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        sql: "SELECT (SELECT array_agg(CAST(NULL AS varchar)) FROM transformed) FROM transformed LIMIT 1500",
      }),
    });
    assert.equal(response.status, 413);
    assert.equal(((await response.json()) as { code: string }).code, "CS_ERR_QUERY_RESULT_TOO_LARGE");
    assert.deepEqual(await readdir(join(warehouse, "athena-results")).catch(() => []), before);
  } finally {
    await capped.close();
  }
});
