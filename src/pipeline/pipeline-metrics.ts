import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { rejectReasonCodes } from "../contract/data-contract.js";
import type { RunReport } from "../table/run-report.js";

/**
 * Prometheus metrics of the pipeline's runs, on the collector's registry, so one scrape of the
 * collector's /metrics covers ingest and processing: when the last run succeeded, how long runs take,
 * what they read, wrote and rejected (by reason).
 */
export class PipelineMetrics {
  readonly runs: Counter<"status">;
  readonly lastSuccess: Gauge;
  readonly duration: Histogram<"step">;
  readonly records: Counter<"outcome">;
  readonly rejected: Counter<"reason">;
  readonly objects: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.runs = new Counter({
      name: "clickstream_pipeline_runs_total",
      help: "Pipeline runs (transform then crawl), by outcome: succeeded (wrote data), no_new_data, failed",
      labelNames: ["status"],
      registers,
    });
    this.lastSuccess = new Gauge({
      name: "clickstream_pipeline_last_success_timestamp_seconds",
      help: "When the last run that did not fail finished (Unix time), whether it found new data or not",
      registers,
    });
    this.duration = new Histogram({
      name: "clickstream_pipeline_step_duration_seconds",
      help: "Duration of each step of a run",
      labelNames: ["step"],
      buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900],
      registers,
    });
    this.records = new Counter({
      name: "clickstream_pipeline_records_total",
      help: "Records the transform read, by outcome (written or rejected)",
      labelNames: ["outcome"],
      registers,
    });
    this.rejected = new Counter({
      name: "clickstream_pipeline_rejected_records_total",
      help: "Records the transform rejected, by reason",
      labelNames: ["reason"],
      registers,
    });
    this.objects = new Counter({
      name: "clickstream_pipeline_raw_objects_total",
      help: "Raw objects the transform processed",
      registers,
    });
    for (const reason of rejectReasonCodes) this.rejected.inc({ reason }, 0);
    for (const status of ["succeeded", "no_new_data", "failed"]) this.runs.inc({ status }, 0);
  }

  recordTransform(report: RunReport, seconds: number): void {
    this.duration.observe({ step: "transform" }, seconds);
    this.objects.inc(report.objectsProcessed);
    this.records.inc({ outcome: "written" }, report.records.written);
    this.records.inc({ outcome: "rejected" }, report.records.rejected);
    for (const [reason, n] of Object.entries(report.rejectedByReason))
      if (n > 0) this.rejected.inc({ reason }, n);
  }
}
