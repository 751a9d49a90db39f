import type { BrowserStore } from "./browser-store.js";

/**
 * Browsers allow 64 KiB of request bodies in flight with `keepalive` / `sendBeacon` per page, shared by
 * every script on it; a little is left for the others. Regular sends use the same size per request.
 */
export const batchBytes = 63 * 1024;

/** Queue keys, their events as one JSON array (what `POST /v1/events` reads), its size in bytes. */
export type Batch = readonly [keys: string[], body: string, bytes: number];

/**
 * The queued events of `keys` (oldest first) in batches of at most `maxBytes` of body each. An event
 * larger than `maxBytes` gets a batch of its own, unless `skipLarger` (keepalive sends cannot carry it).
 */
export function batches(
  [get]: BrowserStore,
  keys: readonly string[],
  maxBytes: number,
  skipLarger?: boolean,
): Batch[] {
  const out: Batch[] = [];
  let current: string[] = [];
  let events: string[] = [];
  let bytes = 1;
  const close = (): void => {
    if (current[0]) out.push([current, `[${events}]`, bytes]);
    current = [];
    events = [];
    bytes = 1;
  };
  for (const key of keys) {
    const event = get(key);
    if (event === null) continue; // acknowledged meanwhile by another tab
    const size = new Blob([event]).size + 1; // UTF-8 bytes, and a comma or bracket
    if (size >= maxBytes && skipLarger) continue;
    if (bytes + size > maxBytes) close();
    current.push(key);
    events.push(event);
    bytes += size;
  }
  close();
  return out;
}

/**
 * POSTs one batch as `text/plain` (a CORS-simple request: no preflight, and what `sendBeacon` sends too).
 * Resolves when the batch needs no resend, with the number of its events refused for good (to count
 * them): 200 (minus the events it rejected), or a 4xx other than 408 / 429, which a retry cannot fix.
 * Rejects when it should be retried (network error, 408, 429, 5xx).
 */
export async function postBatch(url: string, [keys, body]: Batch, keepalive: boolean): Promise<number> {
  const response = await fetch(url, { method: "POST", body, keepalive });
  const status = response.status;
  if (status == 200)
    return ((await response.json().catch(() => 0)) as { rejected?: unknown[] }).rejected?.length ?? 0;
  if (status < 400 || status > 499 || status == 408 || status == 429) throw status;
  return keys.length;
}
