import type { BrowserStore } from "./browser-store.js";
import { queueKeyPrefix } from "./visitor-identity.js";

/** Events kept unsent at most; beyond it the oldest are dropped (and counted). */
const maxQueuedEvents = 1000;

/**
 * The persistent queue, shared by every tab of the site: one storage key per event,
 * `clickstream:q:<ms base36>.<owner>.<event_id>`, so keys sort oldest first and name the page that may
 * send them (see queue-ownership.ts). One key per event means no tab ever rewrites another's entries: an
 * event is written once and removed once, when acknowledged. Read and remove entries with the store's
 * own `get` / `del`.
 */
export type EventQueue = readonly [
  /** Persists one serialised event. */
  add: (owner: string, eventId: string, json: string, nowMs: number) => void,
  /** Every queued key, oldest first, after dropping the oldest beyond the cap. */
  keys: () => string[],
];

export function eventQueue([, set, del, list]: BrowserStore, dropped: (count: number) => void): EventQueue {
  // Known to be at least this many queued; a full scan only when it may be over the cap.
  let size = 0;
  const keys = (): string[] => {
    const all = list(queueKeyPrefix);
    const excess = all.length - maxQueuedEvents;
    if (excess > 0) {
      all.splice(0, excess).map(del);
      dropped(excess);
    }
    size = all.length;
    return all;
  };
  return [
    (owner, eventId, json, nowMs) => {
      set(`${queueKeyPrefix}${nowMs.toString(36)}.${owner}.${eventId}`, json);
      if (++size > maxQueuedEvents) keys();
    },
    keys,
  ];
}
