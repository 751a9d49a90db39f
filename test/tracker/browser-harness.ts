import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import type { z } from "zod";
import type { collectorConfigSchema } from "../../src/config/config-schema.js";
import { readRaw, startFixture, type CollectorFixture } from "../collector/collector-fixture.js";

/** The ES module build, served by test sites as `/tracker.mjs`. */
const trackerModuleUrl = new URL("../../tracker/tracker.mjs", import.meta.url);

/** A website on its own origin: `pages` maps a path (without query) to its HTML; 404 otherwise. */
export interface Site {
  readonly url: string;
  readonly pages: Map<string, string>;
  close(): Promise<void>;
}

export async function startSite(pages: Record<string, string> = {}): Promise<Site> {
  const map = new Map(Object.entries(pages));
  const module = await readFile(trackerModuleUrl);
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const path = (request.url ?? "/").split("?")[0]!;
    if (path === "/tracker.mjs") {
      response.writeHead(200, { "content-type": "text/javascript" }).end(module);
      return;
    }
    const html = map.get(path);
    if (html === undefined) response.writeHead(404, { "content-type": "text/plain" }).end("not found");
    else response.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    pages: map,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface PageOptions {
  /** `data-endpoint` (default: the collector the script comes from). */
  readonly endpoint?: string;
  /** Extra attributes of the tracker's script tag. */
  readonly attributes?: string;
  /** Leave out `data-allow-automation` (Playwright's Chromium reports `navigator.webdriver`). */
  readonly asAutomation?: boolean;
  readonly head?: string;
  readonly body?: string;
}

/** A page with the README's two-line snippet pointing at `collectorUrl`. */
export function trackerPage(collectorUrl: string, options: PageOptions = {}): string {
  const allow = options.asAutomation ? "" : " data-allow-automation";
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>test page</title>
<script>window.clickstream=window.clickstream||function(){(clickstream.q=clickstream.q||[]).push(arguments)}</script>
<script defer src="${collectorUrl}/tracker.js" data-endpoint="${options.endpoint ?? collectorUrl}"${allow} ${options.attributes ?? ""}></script>
${options.head ?? ""}
</head><body>${options.body ?? ""}</body></html>`;
}

/** What the tracker sends: a data-contract record plus `properties`. */
export interface TrackedEvent {
  event_id: string;
  user_id: string;
  session_id: string;
  event_type: string;
  timestamp: string;
  page_url: string;
  referrer: string;
  device_type: string;
  product_id?: unknown;
  product_name?: unknown;
  product_category?: unknown;
  price?: unknown;
  quantity?: unknown;
  properties: Record<string, string>;
}

/** A collector delivering every request at once (interval 0), so `raw/` shows what arrived. */
export function startCollector(
  config: z.input<typeof collectorConfigSchema> = {},
): Promise<CollectorFixture> {
  return startFixture({
    corsAllowedOrigins: ["*"],
    streams: [
      { name: "clickstream-pipeline-stream", bufferingHints: { sizeInMBs: 1, intervalInSeconds: 0 } },
    ],
    ...config,
  });
}

/** Every event in `raw/` (doubles included), by object key: objects of one second are in no set order. */
export async function arrived(fixture: CollectorFixture): Promise<TrackedEvent[]> {
  await fixture.collector.flush();
  return (await readRaw(fixture.storage))
    .sort((a, b) => a.key.localeCompare(b.key))
    .flatMap((o) => o.lines.map((line) => JSON.parse(line) as TrackedEvent));
}

/** Polls `raw/` until `done` holds; fails with what did arrive after `timeoutMs`. */
export async function waitForEvents(
  fixture: CollectorFixture,
  done: (events: TrackedEvent[]) => boolean,
  timeoutMs = 15_000,
): Promise<TrackedEvent[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const events = await arrived(fixture);
    if (done(events)) return events;
    if (Date.now() > deadline)
      throw new Error(
        `events did not arrive in ${timeoutMs} ms; got ${JSON.stringify(events.map((e) => e.event_type))}`,
      );
    await sleep(100);
  }
}

/** Events by id, doubles folded: what the transform's dedup keeps. */
export function distinct(events: readonly TrackedEvent[]): TrackedEvent[] {
  return [...new Map(events.map((e) => [e.event_id, e])).values()];
}

/** The event types of `events`, in the order of their timestamps (what event_sequence follows). */
export function typesInOrder(events: readonly TrackedEvent[]): string[] {
  return [...events].sort((a, b) => a.timestamp.localeCompare(b.timestamp)).map((e) => e.event_type);
}
