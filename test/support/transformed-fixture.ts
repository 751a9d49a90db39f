import { writeFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance, quotedString } from "@duckdb/node-api";
import { defaultEventCategories } from "../../src/config/config-schema.js";
import type { Storage } from "../../src/storage/storage.js";
import { transformedColumns } from "../../src/contract/data-contract.js";

/** One row of the transformed table, as the test defines it in JS (partition values derived from event_date). */
export interface FixtureEvent {
  event_id: string;
  user_id: string;
  session_id: string;
  event_type: string;
  event_category: string;
  timestamp: string;
  /** ISO instant; written as TIMESTAMP. */
  event_time: string;
  /** YYYY-MM-DD; written as DATE. */
  event_date: string;
  hour: number;
  page_url: string | null;
  referrer: string | null;
  product_id: string | null;
  product_name: string | null;
  product_category: string | null;
  device_type: string | null;
  price: number | null;
  quantity: number | null;
  has_product_data: boolean;
  has_price_data: boolean;
  /** Free-form properties (map<string,string>); absent means NULL. */
  properties?: Record<string, string> | null;
  event_sequence: number;
  is_session_start: boolean;
  processed_timestamp: string;
}

/** A small deterministic PRNG (mulberry32), so every run builds the same events. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const products = [
  { id: "P100", name: "Trail Runner", category: "shoes", price: 89.99 },
  { id: "P101", name: "City Sneaker", category: "shoes", price: 59.5 },
  { id: "P200", name: "Rain Jacket", category: "outerwear", price: 120 },
  { id: "P201", name: "Fleece", category: "outerwear", price: 45.25 },
  { id: "P300", name: "Water Bottle", category: "accessories", price: 12.99 },
  { id: "P301", name: "Cap", category: "accessories", price: 19 },
];
const referrers = [
  "https://www.google.com/search?q=shoes",
  "https://www.google.com/search?q=jacket&src=ad",
  "https://facebook.com/ads/123",
  "https://news.example.org/reviews/2026?utm_source=news",
  "newsletter",
  null,
];
const devices = ["desktop", "mobile", "mobile", "tablet"];

/**
 * Synthetic clickstream over `days` days starting at `startDate`: users with sessions that walk the
 * funnel (page_view → product_view → add_to_cart → checkout_start → purchase) with random drop-off,
 * referrers (some NULL), devices (a few NULL), prices and quantities (a few purchases without price),
 * purchases without product_name, and duplicate-looking events (same user, session, type and timestamp
 * under another event_id).
 */
export function generateEvents(
  options: { seed?: number; startDate?: string; days?: number; users?: number } = {},
): FixtureEvent[] {
  const random = rng(options.seed ?? 42);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const start = Date.parse(`${options.startDate ?? "2026-11-03"}T00:00:00Z`);
  const days = options.days ?? 5;
  const users = options.users ?? 30;
  const events: FixtureEvent[] = [];
  let counter = 0;
  let purchases = 0;
  for (let u = 1; u <= users; u++) {
    const userId = `user-${String(u).padStart(3, "0")}`;
    const device = random() < 0.05 ? null : pick(devices);
    const firstDay = Math.floor(random() * days);
    for (let d = firstDay; d < days; d++) {
      if (d > firstDay && random() < 0.45) continue;
      const sessionsToday = 1 + Math.floor(random() * 2);
      for (let s = 0; s < sessionsToday; s++) {
        const sessionId = `s-${userId}-${d}-${s}`;
        let t = start + d * 86_400_000 + Math.floor(random() * 22 * 3_600_000) + s * 3_600_000;
        const referrer = pick(referrers);
        const product = pick(products);
        const steps: string[] = ["page_view"];
        if (random() < 0.2) steps.push("search");
        if (random() < 0.85) {
          steps.push("product_view");
          if (random() < 0.4) steps.push("product_view");
          if (random() < 0.55) {
            steps.push("add_to_cart");
            if (random() < 0.6) {
              steps.push("checkout_start");
              if (random() < 0.7) steps.push("purchase");
            }
          }
        }
        if (random() < 0.15) steps.push("logout");
        let sequence = 0;
        for (const type of steps) {
          t += 1000 + Math.floor(random() * 90_000) + (random() < 0.5 ? 0.5 : 0); // some odd milliseconds
          const time = new Date(Math.floor(t));
          const hasProduct = ["product_view", "add_to_cart", "checkout_start", "purchase"].includes(type);
          const quantity =
            type === "add_to_cart" || type === "purchase" ? 1 + Math.floor(random() * 3) : null;
          let price = hasProduct && type !== "checkout_start" ? product.price : null;
          let name: string | null = hasProduct ? product.name : null;
          if (type === "purchase") {
            purchases++;
            // Data-quality gaps at fixed positions, so every seed has some.
            if (purchases % 6 === 2) price = null;
            if (purchases % 6 === 4) name = null;
          }
          const make = (): FixtureEvent => {
            counter++;
            sequence++;
            return {
              event_id: `evt-${String(counter).padStart(6, "0")}`,
              user_id: userId,
              session_id: sessionId,
              event_type: type,
              event_category: defaultEventCategories[type] ?? "other",
              timestamp: time.toISOString(),
              event_time: time.toISOString(),
              event_date: time.toISOString().slice(0, 10),
              hour: time.getUTCHours(),
              page_url: hasProduct
                ? `https://shop.example.com/products/${product.id}?ref=${type}&lang=en`
                : `https://shop.example.com/${type === "search" ? "search?q=rain" : "home"}`,
              referrer: sequence === 1 ? referrer : "https://shop.example.com/home",
              product_id: hasProduct ? product.id : null,
              product_name: name,
              product_category: hasProduct ? product.category : null,
              device_type: device,
              price,
              quantity,
              has_product_data: hasProduct,
              has_price_data: price !== null,
              event_sequence: sequence,
              is_session_start: sequence === 1,
              processed_timestamp: "2026-11-08T01:00:00.000Z",
            };
          };
          events.push(make());
          // Duplicate-looking: the same action recorded twice under another event_id.
          if (type === "product_view" && random() < 0.08) events.push(make());
        }
      }
    }
  }
  return events;
}

/** Partition values of an event (from its event_date), as the transform writes them. */
export function partitionOf(e: FixtureEvent): { year: string; month: string; day: string } {
  return { year: e.event_date.slice(0, 4), month: e.event_date.slice(5, 7), day: e.event_date.slice(8, 10) };
}

/**
 * Writes events as the transform does: zstd Parquet under transformed/year=YYYY/month=MM/day=DD/, one
 * file per day (or `filesPerDay`), built by DuckDB into a scratch file and published with moveFileIn.
 * `columns` overrides column types (to simulate schema drift); `omit` drops columns.
 */
export async function writeTransformedFixture(
  storage: Storage,
  events: FixtureEvent[],
  options: {
    filesPerDay?: number;
    fileName?: string;
    columns?: Record<string, string>;
    omit?: string[];
    /** Extra columns: name → SQL expression over the row. */
    extraColumns?: Record<string, string>;
  } = {},
): Promise<string[]> {
  const scratch = await mkdtemp(join(tmpdir(), "clickstream-fixture-"));
  const instance = await DuckDBInstance.create(":memory:", { threads: "1" });
  const connection = await instance.connect();
  const keys: string[] = [];
  try {
    const byDay = new Map<string, FixtureEvent[]>();
    for (const e of events) byDay.set(e.event_date, [...(byDay.get(e.event_date) ?? []), e]);
    const columns = transformedColumns.filter((c) => !(options.omit ?? []).includes(c.name));
    const spec = columns.map(
      (c) => `${quotedString(c.name)}: ${quotedString(options.columns?.[c.name] ?? c.duckdb)}`,
    );
    for (const [date, dayEvents] of [...byDay].sort()) {
      const parts = options.filesPerDay ?? 1;
      for (let part = 0; part < parts; part++) {
        const slice = dayEvents.filter((_, i) => i % parts === part);
        if (slice.length === 0) continue;
        const json = join(scratch, `${date}-${part}.ndjson`);
        await writeFile(json, slice.map((e) => JSON.stringify(e)).join("\n") + "\n");
        const parquet = join(scratch, `${date}-${part}.parquet`);
        await connection.run(
          `COPY (SELECT *${Object.entries(options.extraColumns ?? {})
            .map(([name, expr]) => `, ${expr} AS ${name}`)
            .join(
              "",
            )} FROM read_ndjson(${quotedString(json)}, columns = {${spec.join(", ")}}, timestampformat = '%Y-%m-%dT%H:%M:%S.%gZ'))
           TO ${quotedString(parquet)} (FORMAT parquet, COMPRESSION zstd)`,
        );
        const p = partitionOf(slice[0]!);
        const key = `transformed/year=${p.year}/month=${p.month}/day=${p.day}/${options.fileName ?? "part"}-${part}.parquet`;
        await storage.moveFileIn("transformed", key, parquet);
        keys.push(key);
      }
    }
  } finally {
    connection.closeSync();
    instance.closeSync();
    await rm(scratch, { recursive: true, force: true });
  }
  return keys;
}
