// test tier: fast (in-process, no child processes)
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, it } from "node:test";
import { productCatalogue } from "../../src/generator/index.js";
import { ContractChecker } from "./contract-checker.js";

type SampleEvent = Record<string, unknown> & { session_id: string; event_type: string; timestamp: string };

const path = new URL("../../../sample-data/sample_events.json", import.meta.url);

describe("sample-data/sample_events.json", async () => {
  const text = await readFile(path, "utf8");
  const events = JSON.parse(text) as SampleEvent[];

  it("is a pretty-printed JSON array of 25 to 50 events", () => {
    assert.ok(Array.isArray(events));
    assert.ok(events.length >= 25 && events.length <= 50, `${events.length} events`);
    assert.ok(text.startsWith("[\n  {\n"), "pretty-printed, multi-line");
  });

  it("is entirely valid under the data contract, all on 2026-11-24 UTC", () => {
    const checker = new ContractChecker(Date.parse("2026-11-25T00:00:00Z"));
    for (const event of events) {
      assert.equal(checker.check(JSON.stringify(event)).outcome, "valid", JSON.stringify(event));
      assert.match(event.timestamp, /^2026-11-24T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    }
    const prices = new Map(productCatalogue.map((p) => [p.productId, p.price]));
    for (const event of events.filter((e) => e.product_id !== undefined)) {
      assert.equal(
        event.price,
        prices.get(String(event.product_id)),
        "prices match the generator's catalogue",
      );
    }
  });

  it("tells the story: several users, a full funnel, a cart abandonment, login/signup/logout", () => {
    assert.ok(new Set(events.map((e) => e.user_id)).size >= 4);
    const sessions = new Map<string, string[]>();
    for (const e of [...events].sort((a, b) => a.timestamp.localeCompare(b.timestamp))) {
      sessions.set(e.session_id, [...(sessions.get(e.session_id) ?? []), e.event_type]);
    }
    const funnel = ["page_view", "product_view", "add_to_cart", "checkout_start", "payment_info", "purchase"];
    const full = [...sessions.values()].find((types) => types.includes("purchase"))!;
    assert.ok(full, "a purchasing session");
    assert.deepEqual(
      full.filter((t) => funnel.includes(t)).filter((t, i, all) => all.indexOf(t) === i),
      funnel,
      "funnel steps in order",
    );
    assert.ok(full.includes("search") || full.includes("category_view"));
    const abandoned = [...sessions.values()].find(
      (types) =>
        types.includes("add_to_cart") && !types.includes("checkout_start") && !types.includes("purchase"),
    );
    assert.ok(abandoned, "a cart abandonment");
    for (const type of ["login", "signup", "logout", "remove_from_cart"]) {
      assert.ok(
        events.some((e) => e.event_type === type),
        type,
      );
    }
    for (const field of ["user_agent", "ip_address", "additional_data", "referrer"]) {
      assert.ok(
        events.some((e) => e[field] !== undefined),
        field,
      );
    }
    assert.ok(
      events.some((e) => e.referrer === undefined),
      "direct traffic",
    );
    const quantityTypes = new Set(events.filter((e) => e.quantity !== undefined).map((e) => e.event_type));
    assert.deepEqual([...quantityTypes].sort(), ["add_to_cart", "purchase", "remove_from_cart"]);
  });
});
