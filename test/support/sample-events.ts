/** Small deterministic clickstream events for transform tests. */
export interface TestEvent {
  event_id: string;
  user_id: string;
  session_id?: string;
  event_type: string;
  timestamp: string | number;
  [field: string]: unknown;
}

export function event(
  id: string,
  session: string | undefined,
  timestamp: string,
  extra: Partial<TestEvent> = {},
): TestEvent {
  return {
    event_id: id,
    user_id: `user-${session ?? "none"}`,
    ...(session === undefined ? {} : { session_id: session }),
    event_type: "page_view",
    timestamp,
    page_url: `/p/${id}`,
    ...extra,
  };
}

export const ndjson = (events: readonly unknown[]): string =>
  events.map((e) => JSON.stringify(e)).join("\n") + "\n";

/** A day of sessions: `sessions` sessions of `perSession` events each, spread over the day. */
export function daySessions(day: string, sessions: number, perSession: number, prefix = day): TestEvent[] {
  const out: TestEvent[] = [];
  for (let s = 0; s < sessions; s++) {
    for (let e = 0; e < perSession; e++) {
      const minutes = (s * 37 + e * 3) % (24 * 60 - 1);
      const hh = String(Math.floor(minutes / 60)).padStart(2, "0");
      const mm = String(minutes % 60).padStart(2, "0");
      out.push(
        event(
          `${prefix}-s${s}-e${e}`,
          `${prefix}-s${s}`,
          `${day}T${hh}:${mm}:${String(e).padStart(2, "0")}.000Z`,
          {
            event_type: e === 0 ? "page_view" : e % 3 === 0 ? "add_to_cart" : "product_view",
            product_id: e === 0 ? undefined : `p${e}`,
            price: e === 0 ? undefined : 10 + e,
          },
        ),
      );
    }
  }
  return out;
}
