import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { FirehoseClient } from "@aws-sdk/client-firehose";
import type { z } from "zod";
import type { collectorConfigSchema } from "../../src/config/config-schema.js";
import { startCollector, type RunningCollector } from "../../src/collector/collector-server.js";
import { LocalStorage } from "../../src/storage/local-storage.js";
import { tempDir } from "../support/temp-dir.js";

export interface CollectorFixture {
  readonly collector: RunningCollector;
  readonly storage: LocalStorage;
  readonly warehouse: string;
  readonly walDir: string;
  readonly client: FirehoseClient;
}

/** A collector on a free loopback port over a fresh warehouse, with a Firehose client pointed at it. */
export async function startFixture(
  config: z.input<typeof collectorConfigSchema> = {},
  reuse?: { warehouse: string },
): Promise<CollectorFixture> {
  const warehouse = reuse?.warehouse ?? (await tempDir("clickstream-collector-"));
  const storage = new LocalStorage(warehouse);
  const walDir = join(warehouse, "_state", "collector", "wal");
  const collector = await startCollector({ storage, walDir, port: 0, config, logger: false });
  const client = firehoseClient(collector.url);
  return { collector, storage, warehouse, walDir, client };
}

export function firehoseClient(
  endpoint: string,
  credentials = { accessKeyId: "local", secretAccessKey: "local" },
): FirehoseClient {
  return new FirehoseClient({ endpoint, region: "us-east-1", credentials, maxAttempts: 1 });
}

export async function stopFixture(fixture: CollectorFixture): Promise<void> {
  fixture.client.destroy();
  await fixture.collector.close();
}

export interface RawObject {
  readonly key: string;
  readonly lines: string[];
}

/** Every raw object (gunzipped when `.gz`) split into lines. */
export async function readRaw(storage: LocalStorage): Promise<RawObject[]> {
  const objects: RawObject[] = [];
  for await (const info of storage.list("raw")) {
    let body = await storage.readBytes("raw", info.key);
    if (info.key.endsWith(".gz")) body = gunzipSync(body);
    const text = body.toString("utf8");
    objects.push({ key: info.key, lines: text.length === 0 ? [] : text.replace(/\n$/, "").split("\n") });
  }
  return objects;
}

/** POSTs to the collector with fetch. */
export async function post(
  url: string,
  body: string | Buffer,
  headers: Record<string, string> = { "content-type": "application/json" },
): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(url, {
    method: "POST",
    body: typeof body === "string" ? body : new Uint8Array(body),
    headers,
  });
  const text = await response.text();
  return {
    status: response.status,
    json: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    headers: response.headers,
  };
}
