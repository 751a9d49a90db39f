import type { ClickstreamConfig } from "../config/config-schema.js";
import type { Storage } from "../storage/storage.js";
import { stateKeys } from "../storage/warehouse-layout.js";
import type { GlueWork } from "./glue-jobs-api.js";

/**
 * What the local Glue job and crawler run: the transform (as `clickstream transform` does, in this
 * process) and the crawl (as `clickstream crawl`). The job uses the engine the warehouse was transformed
 * with: `--engine spark` (the Glue job's own code) when the warehouse holds the Spark job's ledger
 * (`_state/glue/processed/`) and none of the local engine's state, else the local DuckDB engine.
 * Loaded on first use, so the endpoints cost the collector's start-up nothing.
 */
export function glueWork(
  storage: Storage,
  config: Pick<ClickstreamConfig, "catalog" | "warehouse" | "transform">,
): GlueWork {
  return {
    transform: async (signal, run) => {
      let report: object;
      if (await usesSpark(storage, config.warehouse.dir)) {
        const { runSparkJob } = await import("../spark/spark-job-runner.js");
        report = await runSparkJob({ warehouseDir: config.warehouse.dir, config: config.transform });
      } else {
        const { runTransform } = await import("../transform/run-transform.js");
        report = await runTransform({
          storage,
          config: config.transform,
          workDir: config.warehouse.dir,
          signal,
        });
      }
      // The report where the Glue job writes its own (glue/clickstream_transform.py): keyed by the job
      // run's id, so `transform --engine glue` reads the counts as it does on AWS.
      const glueReport = { ...report, engine: "glue", jobName: run.jobName, runId: run.id };
      await storage.writeAtomic(
        "state",
        stateKeys.glue.runReport(run.id),
        JSON.stringify(glueReport, null, 2),
      );
    },
    crawl: async (signal) => {
      const { runCrawler } = await import("../catalog/crawler.js");
      return runCrawler({ storage, config, signal });
    },
  };
}

async function usesSpark(storage: Storage, warehouse: string): Promise<boolean> {
  if (storage.kind !== "local") return false;
  let ledger = false;
  for await (const _ of storage.list("state", stateKeys.glue.processedPrefix)) {
    ledger = true;
    break;
  }
  if (!ledger) return false;
  const { localEngineState } = await import("../spark/spark-job-runner.js");
  return (await localEngineState(warehouse)).length === 0;
}
