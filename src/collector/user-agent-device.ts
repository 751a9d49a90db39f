/**
 * The device class of a browser's request, for `POST /v1/events` events that carry no `device_type` (the
 * tracker leaves it to the collector: the header is on every request, the code would be bytes in every
 * page). Only browsers are classified: their User-Agent starts with `Mozilla/`; a script's (`curl/8.5`,
 * `node`, `python-requests`) says nothing about a device, and its events are stored as sent.
 */

/** mobile / tablet / desktop from the User-Agent and Client Hints' `Sec-CH-UA-Mobile`; undefined for non-browsers. */
export function deviceTypeOf(userAgent: string | undefined, mobileHint?: string): string | undefined {
  if (!userAgent?.startsWith("Mozilla/")) return undefined;
  if (/iPad|Tablet|PlayBook|Silk|Android(?!.*Mobi)/i.test(userAgent)) return "tablet";
  return mobileHint?.trim() === "?1" || /Mobi|iPhone|iPod/i.test(userAgent) ? "mobile" : "desktop";
}

/**
 * `event` (the compact text of one JSON object) with `"device_type":"<device>"` as its first member; the
 * rest of the text is left character for character (a parse and re-serialise would change ids and numbers).
 */
export function withDeviceType(event: string, device: string): string {
  const member = `"device_type":${JSON.stringify(device)}`;
  return event[1] === "}" ? `{${member}}` : `{${member},${event.slice(1)}`;
}
