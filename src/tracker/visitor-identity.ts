import type { BrowserStore } from "./browser-store.js";

// Storage keys, under one prefix so a site's own keys are never touched.
const anonymousIdKey = "clickstream:a";
export const userIdKey = "clickstream:u";
const sessionKey = "clickstream:s";
export const optedOutKey = "clickstream:o";
export const queueKeyPrefix = "clickstream:q:";

/** Sessions rotate after this long without an event, as most analytics tools do. */
const sessionIdleMs = 30 * 60 * 1000;

/** A random (v4) UUID. `crypto.randomUUID` exists only in secure contexts; `getRandomValues` everywhere. */
export function uuid(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 15) | 64;
  bytes[8] = (bytes[8]! & 63) | 128;
  let id = "";
  // 1360 has bits 4, 6, 8 and 10 set: the bytes a dash goes before.
  bytes.forEach((b, i) => (id += ((1360 >> i) & 1 ? "-" : "") + (b + 256).toString(16).slice(1)));
  return id;
}

/** The visitor, as a tuple (see BrowserStore for why). */
export type VisitorIdentity = readonly [
  anonymousId: string,
  /** The identified user, else the anonymous id. */
  userId: () => string,
  /** The session of an event at `nowMs`: the current one, or a new one after 30 minutes idle. */
  session: (nowMs: number) => string,
];

export function visitorIdentity([get, set]: BrowserStore): VisitorIdentity {
  let anonymousId = get(anonymousIdKey);
  if (!anonymousId) set(anonymousIdKey, (anonymousId = uuid()));
  return [
    anonymousId,
    () => get(userIdKey) || anonymousId,
    (nowMs) => {
      // "<id> <last event ms>", shared by the site's tabs through storage.
      const [id, lastMs] = (get(sessionKey) ?? "").split(" ");
      const current = id && nowMs - +lastMs! < sessionIdleMs ? id : uuid();
      set(sessionKey, `${current} ${nowMs}`);
      return current;
    },
  ];
}
