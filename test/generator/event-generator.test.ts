// test tier: fast (in-process, no child processes)
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import {
  EventGenerator,
  generateEventLines,
  generateEventRecords,
  productCatalogue,
  summarizeGeneration,
  type GeneratorOptions,
} from "../../src/generator/index.js";

const base: GeneratorOptions = {
  events: 20_000,
  users: 800,
  days: 3,
  start: new Date("2026-11-03T00:00:00Z"),
  seed: 7,
  dirtyRate: 0,
};

function digest(options: GeneratorOptions): string {
  const hash = createHash("sha256");
  for (const line of generateEventLines(options)) hash.update(line).update("\n");
  return hash.digest("hex");
}

function cleanEvents(options: GeneratorOptions = base): Record<string, unknown>[] {
  return [...generateEventLines(options)].map((line) => JSON.parse(line) as Record<string, unknown>);
}

const funnelRank: Record<string, number> = {
  product_view: 1,
  add_to_cart: 2,
  checkout_start: 3,
  payment_info: 4,
  purchase: 5,
};

describe("generator: determinism", () => {
  it("produces byte-identical output for the same options", () => {
    assert.equal(digest(base), digest({ ...base }));
    assert.equal(digest({ ...base, dirtyRate: 0.05 }), digest({ ...base, dirtyRate: 0.05 }));
  });

  it("produces different output for a different seed", () => {
    assert.notEqual(digest(base), digest({ ...base, seed: 8 }));
  });

  it("shares no event or session ids between generations that differ only in start day", () => {
    const ids = (start: string): Set<string> => {
      const out = new Set<string>();
      const options = { ...base, events: 3000, days: 1, dirtyRate: 0.2, start: new Date(start) };
      for (const record of generateEventRecords(options)) {
        if (record.outcome !== "valid") continue;
        const e = JSON.parse(record.text) as Record<string, unknown>;
        out.add(`event ${String(e.event_id).trim()}`);
        if (e.session_id !== undefined) out.add(`session ${String(e.session_id)}`);
      }
      return out;
    };
    const day1 = ids("2026-11-01T00:00:00Z");
    const day2 = ids("2026-11-02T00:00:00Z");
    assert.ok(day1.size > 2500 && day2.size > 2500);
    assert.deepEqual(
      [...day1].filter((id) => day2.has(id)),
      [],
    );
  });

  it("returns the summary as the generator's return value and emits exactly `events` records", () => {
    const iterator = generateEventLines({ ...base, events: 1234 });
    let count = 0;
    let bytes = 0;
    let step = iterator.next();
    while (!step.done) {
      count++;
      bytes += Buffer.byteLength(step.value);
      step = iterator.next();
    }
    assert.equal(count, 1234);
    assert.equal(step.value.events, 1234);
    assert.equal(step.value.valid, 1234);
    assert.equal(step.value.bytes, bytes);
    assert.deepEqual(step.value.rejectedByReason, {});
    assert.deepEqual(summarizeGeneration({ ...base, events: 1234 }), step.value);
  });

  it("rejects invalid options with CS_ERR_INVALID_ARGUMENT", () => {
    assert.throws(() => new EventGenerator({ ...base, users: 0 }), { code: "CS_ERR_INVALID_ARGUMENT" });
    assert.throws(() => new EventGenerator({ ...base, dirtyRate: 1.5 }), { code: "CS_ERR_INVALID_ARGUMENT" });
    assert.throws(() => new EventGenerator({ ...base, start: new Date("nope") }), {
      code: "CS_ERR_INVALID_ARGUMENT",
    });
  });
});

describe("generator: realistic clean events", () => {
  const events = cleanEvents();

  it("has the contract's fields with the right types and unique uuid-shaped event ids", () => {
    const ids = new Set<string>();
    for (const e of events) {
      assert.match(
        String(e.event_id),
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
      ids.add(String(e.event_id));
      assert.match(String(e.user_id), /^user_\d{6}$/);
      assert.match(String(e.timestamp), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      assert.ok(["desktop", "mobile", "tablet"].includes(String(e.device_type)));
      assert.match(String(e.page_url), /^https:\/\/shop\.example\.com\//);
      assert.equal(typeof e.ip_address, "string");
      assert.equal(typeof e.additional_data, "object");
    }
    assert.equal(ids.size, events.length);
    assert.ok(events.some((e) => typeof e.user_agent === "string"));
  });

  it("stays inside the requested days, with a day/night traffic shape", () => {
    const from = base.start.getTime();
    const to = from + base.days * 86_400_000;
    const perHour = new Array<number>(24).fill(0);
    const perDay = new Map<string, number>();
    for (const e of events) {
      const t = Date.parse(String(e.timestamp));
      assert.ok(t >= from && t < to, `${String(e.timestamp)} outside the range`);
      perHour[new Date(t).getUTCHours()]!++;
      const day = String(e.timestamp).slice(0, 10);
      perDay.set(day, (perDay.get(day) ?? 0) + 1);
    }
    assert.deepEqual([...perDay.keys()].sort(), ["2026-11-03", "2026-11-04", "2026-11-05"]);
    assert.ok(perHour[20]! > 3 * perHour[4]!, `evening ${perHour[20]} vs night ${perHour[4]}`);
  });

  it("walks the funnel in order within each session, one device per session", () => {
    const sessions = new Map<string, Record<string, unknown>[]>();
    for (const e of events) {
      const list = sessions.get(String(e.session_id)) ?? [];
      list.push(e);
      sessions.set(String(e.session_id), list);
    }
    let purchases = 0;
    for (const list of sessions.values()) {
      assert.equal(list[0]!.event_type, "page_view");
      assert.equal(new Set(list.map((e) => e.device_type)).size, 1);
      assert.equal(new Set(list.map((e) => e.user_id)).size, 1);
      for (let i = 1; i < list.length; i++) {
        assert.ok(
          String(list[i - 1]!.timestamp) <= String(list[i]!.timestamp),
          "time order within a session",
        );
      }
      // Each funnel step appears only after the step before it.
      const firstAt = (type: string): number => list.findIndex((e) => e.event_type === type);
      for (const [type, rank] of Object.entries(funnelRank)) {
        const at = firstAt(type);
        if (at < 0 || rank === 1) continue;
        const previous = Object.keys(funnelRank).find((t) => funnelRank[t] === rank - 1)!;
        const before = firstAt(previous);
        assert.ok(before >= 0 && before < at, `${type} without ${previous} before it`);
      }
      if (firstAt("purchase") >= 0) purchases++;
    }
    assert.ok(sessions.size > 500, `only ${sessions.size} sessions`);
    // Realistic conversion: a few percent of sessions purchase.
    assert.ok(purchases > sessions.size * 0.03 && purchases < sessions.size * 0.25, `${purchases} purchases`);
  });

  it("puts quantity only on cart and purchase events, with consistent product prices", () => {
    const prices = new Map(productCatalogue.map((p) => [p.productId, p.price]));
    const types = new Set<string>();
    for (const e of events) {
      types.add(String(e.event_type));
      const hasQuantity = e.quantity !== undefined;
      assert.equal(
        hasQuantity,
        ["add_to_cart", "remove_from_cart", "purchase"].includes(String(e.event_type)),
      );
      if (hasQuantity) assert.ok(Number.isInteger(e.quantity) && Number(e.quantity) >= 1);
      if (e.product_id !== undefined) {
        assert.equal(e.price, prices.get(String(e.product_id)));
        assert.equal(typeof e.product_name, "string");
        assert.equal(typeof e.product_category, "string");
      }
    }
    for (const type of [
      "page_view",
      "category_view",
      "search",
      "product_view",
      "add_to_cart",
      "remove_from_cart",
      "checkout_start",
      "payment_info",
      "purchase",
      "login",
      "logout",
      "signup",
    ]) {
      assert.ok(types.has(type), `no ${type} event`);
    }
  });

  it("uses several referrers, direct traffic without one, and ~450–500 bytes per event", () => {
    const referrers = new Set(events.map((e) => e.referrer));
    for (const r of ["google.com", "facebook.com", "newsletter", undefined]) assert.ok(referrers.has(r));
    const summary = summarizeGeneration(base);
    const average = summary.bytes / summary.events;
    assert.ok(average > 420 && average < 520, `average ${average.toFixed(1)} bytes`);
  });
});
