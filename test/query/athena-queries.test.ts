// test tier: fast (in-process, no child processes)
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { runCrawler } from "../../src/catalog/crawler.js";
import { parseConfig } from "../../src/config/load-config.js";
import { openQueryEngine, type QueryEngine } from "../../src/query/query-engine.js";
import { parseQueryFile } from "../../src/query/query-file.js";
import { LocalStorage } from "../../src/storage/local-storage.js";
import { byText, distinct, expectRows, groupBy, round } from "../support/expect-rows.js";
import { tempDir } from "../support/temp-dir.js";
import {
  generateEvents,
  writeTransformedFixture,
  type FixtureEvent,
} from "../support/transformed-fixture.js";

// Every statement of queries/athena_queries.sql runs against fixture data; each answer is checked against
// the same question computed here in plain JS over the rows the fixture was built from.
const file = readFileSync(new URL("../../../queries/athena_queries.sql", import.meta.url), "utf8");
const statements = parseQueryFile(file);
const today = "2026-11-07";
const events = generateEvents({ seed: 7, startDate: "2026-11-03", days: 5, users: 30 });
let engine: QueryEngine;

before(async () => {
  const storage = new LocalStorage(await tempDir());
  await writeTransformedFixture(storage, events, { filesPerDay: 2 });
  const config = parseConfig({ warehouse: { dir: "unused" }, query: { duckdbThreads: 2 } });
  await runCrawler({ storage, config });
  engine = await openQueryEngine({ storage, config, now: `${today}T15:30:00Z` });
});
after(() => engine?.close());

const isPurchase = (e: FixtureEvent): boolean => e.event_type === "purchase";
const sessions = (): Map<string, FixtureEvent[]> => groupBy(events, (e) => e.session_id);
const pct = (part: number, whole: number): number => (100 * part) / whole;
const sumOrNull = (values: (number | null)[]): number | null => {
  const present = values.filter((v): v is number => v !== null);
  return present.length ? present.reduce((a, b) => a + b, 0) : null;
};

const expectations: Record<
  string,
  () => { rows: Record<string, unknown>[]; decimals?: Record<string, number> }
> = {
  "1": () => {
    const day = events.filter((e) => e.event_date === today);
    const rows = [...groupBy(day, (e) => e.event_type)]
      .map(([type, list]) => ({
        event_type: type,
        event_count: list.length,
        unique_users: distinct(list.map((e) => e.user_id)),
        pct_of_events: round(pct(list.length, day.length), 2),
      }))
      .sort((a, b) => b.event_count - a.event_count || byText(a.event_type, b.event_type));
    return { rows, decimals: { pct_of_events: 2 } };
  },
  "2": () => {
    const rows = [...groupBy(events, (e) => e.event_date)]
      .sort(([a], [b]) => byText(a, b))
      .map(([date, list]) => {
        const users = distinct(list.map((e) => e.user_id));
        const sess = distinct(list.map((e) => e.session_id));
        return {
          event_date: date,
          daily_active_users: users,
          sessions: sess,
          events: list.length,
          events_per_user: round(list.length / users, 2),
          sessions_per_user: round(sess / users, 2),
        };
      });
    return { rows, decimals: { events_per_user: 2, sessions_per_user: 2 } };
  },
  "3": () => {
    const withProduct = events.filter((e) => e.product_id !== null);
    const maxText = (values: (string | null)[]): string | null =>
      values
        .filter((v): v is string => v !== null)
        .sort(byText)
        .at(-1) ?? null;
    const rows = [...groupBy(withProduct, (e) => e.product_id!)]
      .map(([id, list]) => {
        const n = (type: string): number => list.filter((e) => e.event_type === type).length;
        const views = n("product_view");
        const carts = n("add_to_cart");
        const purchases = n("purchase");
        return {
          product_id: id,
          product_name: maxText(list.map((e) => e.product_name)),
          product_category: maxText(list.map((e) => e.product_category)),
          views,
          cart_adds: carts,
          purchases,
          view_to_cart_pct: views ? round(pct(carts, views), 2) : null,
          cart_to_purchase_pct: carts ? round(pct(purchases, carts), 2) : null,
        };
      })
      .sort((a, b) => b.views - a.views || byText(a.product_id, b.product_id));
    return { rows, decimals: { view_to_cart_pct: 2, cart_to_purchase_pct: 2 } };
  },
  "4": () => ({
    rows: [...groupBy(events, (e) => String(e.hour))]
      .map(([, list]) => ({
        hour: list[0]!.hour,
        events: list.length,
        users: distinct(list.map((e) => e.user_id)),
        sessions: distinct(list.map((e) => e.session_id)),
        purchases: list.filter(isPurchase).length,
      }))
      .sort((a, b) => a.hour - b.hour),
  }),
  "5": () => {
    const flags = [...sessions().values()].map((list) => {
      const has = (t: string): boolean => list.some((e) => e.event_type === t);
      return [has("product_view"), has("add_to_cart"), has("checkout_start"), has("purchase")];
    });
    const stages = ["product_view", "add_to_cart", "checkout_start", "purchase"];
    const counts = stages.map((_, k) => flags.filter((f) => f.slice(0, k + 1).every(Boolean)).length);
    const rows = stages.map((stage, k) => ({
      step: k + 1,
      stage,
      sessions: counts[k]!,
      pct_of_viewers: round(pct(counts[k]!, counts[0]!), 2),
      drop_off_pct: k === 0 ? null : round(100 * (1 - counts[k]! / counts[k - 1]!), 2),
    }));
    return { rows, decimals: { pct_of_viewers: 2, drop_off_pct: 2 } };
  },
  "6": () => {
    const perSession = [...sessions().values()].map((list) => {
      const first = list.find((e) => e.event_sequence === 1)?.referrer ?? null;
      const host =
        first === null
          ? "(direct)"
          : /^[a-z][a-z0-9+.-]*:\/\//i.test(first)
            ? new URL(first).hostname
            : first;
      return { host, converted: list.some(isPurchase) ? 1 : 0 };
    });
    const rows = [...groupBy(perSession, (s) => s.host)]
      .map(([host, list]) => {
        const converted = list.reduce((a, s) => a + s.converted, 0);
        return {
          referrer_host: host,
          sessions: list.length,
          converted_sessions: converted,
          conversion_rate_pct: round(pct(converted, list.length), 2),
        };
      })
      .sort((a, b) => b.sessions - a.sessions || byText(a.referrer_host, b.referrer_host))
      .slice(0, 10);
    return { rows, decimals: { conversion_rate_pct: 2 } };
  },
  "7": () => {
    const perSession = [...sessions().values()].map((list) => ({
      device: list[0]!.device_type ?? "unknown",
      depth: Math.max(...list.map((e) => e.event_sequence)),
      converted: list.some(isPurchase) ? 1 : 0,
    }));
    const rows = [...groupBy(perSession, (s) => s.device)]
      .map(([device, list]) => {
        const depths = list.map((s) => s.depth).sort((a, b) => a - b);
        return {
          device_type: device,
          sessions: list.length,
          avg_events_per_session: round(depths.reduce((a, b) => a + b, 0) / list.length, 2),
          max_events_per_session: depths.at(-1)!,
          // approx_percentile answers with a value of the data; the engine computes it exactly.
          median_events_per_session: depths[Math.floor((depths.length - 1) * 0.5)]!,
          conversion_rate_pct: round(
            pct(
              list.reduce((a, s) => a + s.converted, 0),
              list.length,
            ),
            2,
          ),
        };
      })
      .sort((a, b) => b.sessions - a.sessions || byText(a.device_type, b.device_type));
    return { rows, decimals: { avg_events_per_session: 2, conversion_rate_pct: 2 } };
  },
  "8": () => {
    const rows = [...groupBy(events.filter(isPurchase), (e) => e.event_date)]
      .sort(([a], [b]) => byText(a, b))
      .map(([date, list]) => {
        const amounts = list.map((e) =>
          e.price === null || e.quantity === null ? null : e.price * e.quantity,
        );
        const present = amounts.filter((a): a is number => a !== null);
        const revenue = sumOrNull(amounts);
        return {
          event_date: date,
          purchases: list.length,
          items_sold: sumOrNull(list.map((e) => e.quantity)),
          revenue: revenue === null ? null : round(revenue, 2),
          avg_order_value: present.length ? round(revenue! / present.length, 2) : null,
        };
      });
    return { rows, decimals: { revenue: 2, avg_order_value: 2 } };
  },
  "9": () => {
    const perSession = [...sessions().values()].map((list) => {
      const times = list.map((e) => Date.parse(e.timestamp));
      return {
        type: list.some(isPurchase) ? "converted" : "not converted",
        seconds: Math.floor((Math.max(...times) - Math.min(...times)) / 1000),
      };
    });
    const rows = [...groupBy(perSession, (s) => s.type)]
      .sort(([a], [b]) => byText(a, b))
      .map(([type, list]) => ({
        session_type: type,
        sessions: list.length,
        avg_duration_seconds: round(list.reduce((a, s) => a + s.seconds, 0) / list.length, 1),
        max_duration_seconds: Math.max(...list.map((s) => s.seconds)),
      }));
    return { rows, decimals: { avg_duration_seconds: 1 } };
  },
  "10": () => {
    const rows = [
      ...groupBy(
        events.filter((e) => e.product_category !== null),
        (e) => e.product_category!,
      ),
    ]
      .map(([category, list]) => ({
        product_category: category,
        events: list.length,
        users: distinct(list.map((e) => e.user_id)),
        views: list.filter((e) => e.event_type === "product_view").length,
        purchases: list.filter(isPurchase).length,
        revenue: round(
          sumOrNull(
            list.map((e) =>
              !isPurchase(e) ? 0 : e.price === null || e.quantity === null ? null : e.price * e.quantity,
            ),
          ) ?? 0,
          2,
        ),
      }))
      .sort((a, b) => b.revenue - a.revenue || byText(a.product_category, b.product_category));
    return { rows, decimals: { revenue: 2 } };
  },
  "11": () => {
    const first = new Map<string, string>();
    for (const e of events) {
      const seen = first.get(e.user_id);
      if (!seen || e.event_date < seen) first.set(e.user_id, e.event_date);
    }
    const rows = [...groupBy(events, (e) => e.event_date)]
      .sort(([a], [b]) => byText(a, b))
      .map(([date, list]) => {
        const users = [...new Set(list.map((e) => e.user_id))];
        const isNew = users.filter((u) => first.get(u) === date).length;
        return {
          event_date: date,
          new_users: isNew,
          returning_users: users.length - isNew,
          active_users: users.length,
        };
      });
    return { rows };
  },
  "12": () => ({
    rows: [...events]
      .sort((a, b) => byText(b.event_time, a.event_time) || byText(b.event_id, a.event_id))
      .slice(0, 20)
      .map((e) => ({
        event_time: e.event_time.replace("T", " ").replace("Z", ""),
        event_id: e.event_id,
        user_id: e.user_id,
        event_type: e.event_type,
        page_path: e.page_url === null ? null : new URL(e.page_url).pathname,
        device_type: e.device_type,
      })),
  }),
  "13": () => {
    const groups = groupBy(events, (e) =>
      JSON.stringify([e.user_id, e.session_id, e.event_type, e.timestamp, e.page_url]),
    );
    const checks: [string, number][] = [
      ["total_events", events.length],
      ["duplicate_event_ids", events.length - distinct(events.map((e) => e.event_id))],
      [
        "duplicate_looking_events",
        [...groups.values()].reduce((a, g) => a + (g.length > 1 ? g.length - 1 : 0), 0),
      ],
      [
        "product_events_missing_product_name",
        events.filter(
          (e) =>
            ["product_view", "add_to_cart", "purchase"].includes(e.event_type) && e.product_name === null,
        ).length,
      ],
      ["purchases_missing_price", events.filter((e) => isPurchase(e) && e.price === null).length],
      ["events_missing_device_type", events.filter((e) => e.device_type === null).length],
    ];
    return {
      rows: checks.sort(([a], [b]) => byText(a, b)).map(([check_name, issues]) => ({ check_name, issues })),
    };
  },
  "14": () => ({
    rows: [
      ...groupBy(
        events.filter((e) => e.is_session_start),
        (e) => new URL(e.page_url!).pathname,
      ),
    ]
      .map(([path, list]) => ({
        landing_path: path,
        sessions: list.length,
        users: distinct(list.map((e) => e.user_id)),
      }))
      .sort((a, b) => b.sessions - a.sessions || byText(a.landing_path, b.landing_path))
      .slice(0, 10),
  }),
};

test("the query file names at least 12 queries and every one has an independent expectation", () => {
  const numbers = statements.map((s) => s.number);
  assert.ok(statements.length >= 12, `only ${statements.length} statements`);
  assert.ok(numbers.every((n) => n !== undefined && statements.find((s) => s.number === n)?.title));
  assert.deepEqual([...numbers].sort(), Object.keys(expectations).sort());
});

test("the fixture exercises what the queries look at (NULLs, duplicates, several days, purchases)", () => {
  assert.ok(events.some((e) => e.device_type === null));
  assert.ok(events.some((e) => isPurchase(e) && e.price === null));
  assert.ok(events.some((e) => e.referrer === null));
  assert.ok(distinct(events.map((e) => e.event_date)) === 5);
  assert.ok(events.filter((e) => e.event_date === today).some(isPurchase));
  const groups = groupBy(events, (e) => `${e.session_id}|${e.event_type}|${e.timestamp}`);
  assert.ok(
    [...groups.values()].some((g) => g.length > 1),
    "no duplicate-looking events",
  );
});

for (const statement of statements) {
  test(`Query ${statement.number}: ${statement.title} matches an independent computation`, async () => {
    const expectation = expectations[statement.number ?? ""];
    assert.ok(expectation, `no expectation for query ${statement.number}`);
    const { rows, decimals } = expectation();
    assert.ok(rows.length > 0, "the expectation is empty: the fixture does not exercise this query");
    expectRows(await engine.run(statement.sql), rows, decimals);
  });
}
