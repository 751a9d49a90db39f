// test tier: fast (in-process, no child processes)
import assert from "node:assert/strict";
import { test } from "node:test";
import { Registry } from "prom-client";
import { parseConfig } from "../../src/config/load-config.js";
import { PipelineMetrics } from "../../src/pipeline/pipeline-metrics.js";
import { RunScheduler } from "../../src/pipeline/run-scheduler.js";
import { LocalStorage } from "../../src/storage/local-storage.js";
import { rawObjectKey } from "../../src/storage/warehouse-layout.js";
import { event, ndjson } from "../support/sample-events.js";
import { tempDir } from "../support/temp-dir.js";

async function runsTotal(registry: Registry): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric("clickstream_pipeline_runs_total")!.get();
  return Object.fromEntries(metric.values.map((v) => [String(v.labels.status), v.value]));
}

test("runs_total counts a run that found nothing as no_new_data, not succeeded", async () => {
  const warehouse = await tempDir();
  const storage = new LocalStorage(warehouse);
  const config = parseConfig({ warehouse: { dir: warehouse }, pipeline: { everyMs: 3_600_000 } });
  const registry = new Registry();
  const scheduler = new RunScheduler({
    storage,
    config,
    metrics: new PipelineMetrics(registry),
    log: () => undefined,
  });
  const settled = async (): Promise<void> => {
    while (scheduler.busy) await new Promise((r) => setTimeout(r, 20));
  };
  // Nothing in raw/ yet.
  scheduler.trigger("empty");
  await settled();
  assert.deepEqual(await runsTotal(registry), { succeeded: 0, no_new_data: 1, failed: 0 });
  assert.equal(scheduler.history.at(-1)?.status, "no_new_data");

  const key = rawObjectKey({ stream: "test", arrival: new Date("2026-11-24T10:05:00Z"), uuid: "a" });
  await storage.writeAtomic("raw", key, ndjson([event("e1", "s1", "2026-11-24T10:00:00.000Z")]));
  scheduler.trigger("data");
  await settled();
  assert.equal(scheduler.history.at(-1)?.status, "succeeded", JSON.stringify(scheduler.history.at(-1)));
  assert.deepEqual(await runsTotal(registry), { succeeded: 1, no_new_data: 1, failed: 0 });
  await scheduler.stop();
});
