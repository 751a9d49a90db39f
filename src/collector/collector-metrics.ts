import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

/** Buffer figures of one stream, sampled when /metrics is scraped. */
export interface BufferStats {
  readonly stream: string;
  readonly records: number;
  readonly bytes: number;
  /** Arrival time of the oldest undelivered record, or undefined when the buffer is empty. */
  readonly oldestArrivalMs: number | undefined;
}

/** The collector's Prometheus metrics, on a registry of its own (several collectors may share a process). */
export class CollectorMetrics {
  readonly registry = new Registry();

  readonly recordsReceived = new Counter({
    name: "clickstream_collector_records_received_total",
    help: "Records acknowledged durably (WAL fsync'd), by stream and API.",
    labelNames: ["stream", "api"] as const,
    registers: [this.registry],
  });
  readonly bytesReceived = new Counter({
    name: "clickstream_collector_bytes_received_total",
    help: "Bytes of records acknowledged durably (as stored, one line each), by stream and API.",
    labelNames: ["stream", "api"] as const,
    registers: [this.registry],
  });
  readonly recordsRejected = new Counter({
    name: "clickstream_collector_records_rejected_total",
    help: "Records refused, by API and reason (malformed_json, not_an_object, record_too_large, buffer_full, …).",
    labelNames: ["api", "reason"] as const,
    registers: [this.registry],
  });
  readonly requests = new Counter({
    name: "clickstream_collector_http_requests_total",
    help: "HTTP requests answered, by API and status code.",
    labelNames: ["api", "status"] as const,
    registers: [this.registry],
  });
  readonly objectsDelivered = new Counter({
    name: "clickstream_collector_objects_delivered_total",
    help: "Raw objects written to storage, by stream.",
    labelNames: ["stream"] as const,
    registers: [this.registry],
  });
  readonly recordsDelivered = new Counter({
    name: "clickstream_collector_records_delivered_total",
    help: "Records written to storage inside raw objects, by stream.",
    labelNames: ["stream"] as const,
    registers: [this.registry],
  });
  readonly bytesDelivered = new Counter({
    name: "clickstream_collector_bytes_delivered_total",
    help: "Bytes of raw objects written to storage (after compression), by stream.",
    labelNames: ["stream"] as const,
    registers: [this.registry],
  });
  readonly deliveryFailures = new Counter({
    name: "clickstream_collector_delivery_failures_total",
    help: "Failed attempts to write a raw object (retried; the records stay in the WAL).",
    labelNames: ["stream"] as const,
    registers: [this.registry],
  });
  readonly flushSeconds = new Histogram({
    name: "clickstream_collector_flush_duration_seconds",
    help: "Time to write one raw object (compression + atomic write), by stream.",
    labelNames: ["stream"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly walFsyncSeconds = new Histogram({
    name: "clickstream_collector_wal_fsync_duration_seconds",
    help: "Time of one WAL group commit (write + fdatasync).",
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly walGroupCommitFrames = new Histogram({
    name: "clickstream_collector_wal_group_commit_requests",
    help: "Requests made durable by one fsync (group commit size).",
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: [this.registry],
  });

  // Label lookups hash their labels on every call; the hot paths reuse bound children instead.
  private readonly receivedChildren = new Map<
    string,
    { records: { inc(n: number): void }; bytes: { inc(n: number): void } }
  >();
  private readonly requestChildren = new Map<string, { inc(): void }>();

  /** Counts records acknowledged durably. */
  received(stream: string, api: string, records: number, bytes: number): void {
    const key = `${stream}\0${api}`;
    let child = this.receivedChildren.get(key);
    if (!child) {
      child = {
        records: this.recordsReceived.labels(stream, api),
        bytes: this.bytesReceived.labels(stream, api),
      };
      this.receivedChildren.set(key, child);
    }
    child.records.inc(records);
    child.bytes.inc(bytes);
  }

  /** Counts an answered HTTP request. */
  answered(api: string, status: number): void {
    const key = `${api}\0${status}`;
    let child = this.requestChildren.get(key);
    if (!child) {
      child = this.requests.labels(api, String(status));
      this.requestChildren.set(key, child);
    }
    child.inc();
  }

  constructor(bufferStats: () => BufferStats[]) {
    new Gauge({
      name: "clickstream_collector_buffer_records",
      help: "Records acknowledged but not yet delivered, by stream.",
      labelNames: ["stream"] as const,
      registers: [this.registry],
      collect() {
        for (const s of bufferStats()) this.set({ stream: s.stream }, s.records);
      },
    });
    new Gauge({
      name: "clickstream_collector_buffer_bytes",
      help: "Bytes acknowledged but not yet delivered, by stream.",
      labelNames: ["stream"] as const,
      registers: [this.registry],
      collect() {
        for (const s of bufferStats()) this.set({ stream: s.stream }, s.bytes);
      },
    });
    new Gauge({
      name: "clickstream_collector_buffer_oldest_age_seconds",
      help: "Age of the oldest undelivered record (0 when the buffer is empty), by stream.",
      labelNames: ["stream"] as const,
      registers: [this.registry],
      collect() {
        const now = Date.now();
        for (const s of bufferStats())
          this.set(
            { stream: s.stream },
            s.oldestArrivalMs === undefined ? 0 : (now - s.oldestArrivalMs) / 1000,
          );
      },
    });
    collectDefaultMetrics({ register: this.registry, prefix: "clickstream_collector_" });
  }
}
