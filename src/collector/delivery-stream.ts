import { mkdir, readdir } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { gzip } from "node:zlib";
import type { FastifyBaseLogger } from "fastify";
import type { CollectorStreamConfig } from "../config/config-schema.js";
import { wrapError } from "../errors/clickstream-error.js";
import type { Storage } from "../storage/storage.js";
import { recordArrivals } from "../storage/arrival-notice.js";
import { datePartitionPath, rawObjectKey } from "../storage/warehouse-layout.js";
import type { BufferStats, CollectorMetrics } from "./collector-metrics.js";
import type { BufferBudget } from "./buffer-budget.js";
import { WalSegment } from "./wal-segment.js";

const gzipAsync = promisify(gzip);

/** Objects written at once per stream. */
const PARALLEL_DELIVERIES = 4;

export type CollectorLogger = Pick<FastifyBaseLogger, "info" | "warn" | "error">;

export interface DeliveryStreamOptions {
  readonly config: CollectorStreamConfig;
  /** This stream's own WAL folder. */
  readonly walDir: string;
  readonly storage: Storage;
  readonly metrics: CollectorMetrics;
  readonly budget: BufferBudget;
  readonly logger: CollectorLogger;
}

/**
 * One Firehose delivery stream: an open WAL segment that collects acknowledged records, sealed by the
 * buffering hints (size or age, whichever comes first), then delivered as one raw object and removed.
 * Sealed segments are delivered one at a time, in order, retried until storage takes them.
 */
export class DeliveryStream {
  readonly name: string;
  private current: WalSegment | undefined;
  private opening: Promise<WalSegment> | undefined;
  /** Sealed segments waiting for delivery, oldest first. */
  private readonly sealed: WalSegment[] = [];
  private readonly inDelivery = new Set<WalSegment>();
  /** Segments a previous process left: their objects go into folders of the past. */
  private readonly recovered = new WeakSet<WalSegment>();
  private idleWaiters: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private nextSeq = 1;
  private closing = false;
  private readonly sizeBytes: number;
  private readonly intervalMs: number;

  private constructor(private readonly options: DeliveryStreamOptions) {
    this.name = options.config.name;
    this.sizeBytes = options.config.bufferingHints.sizeInMBs * 1024 * 1024;
    this.intervalMs = options.config.bufferingHints.intervalInSeconds * 1000;
  }

  /** Opens the stream's WAL folder and queues every segment a previous process left for delivery. */
  static async open(options: DeliveryStreamOptions): Promise<DeliveryStream> {
    const stream = new DeliveryStream(options);
    let names: string[];
    try {
      await mkdir(options.walDir, { recursive: true });
      names = (await readdir(options.walDir)).sort();
    } catch (error) {
      throw wrapError("CS_ERR_COLLECTOR_WAL", error, `open ${options.walDir}`);
    }
    for (const name of names) {
      const parsed = WalSegment.parseFileName(name);
      if (!parsed) continue;
      stream.nextSeq = Math.max(stream.nextSeq, parsed.seq + 1);
      const { segment, tornBytes } = await WalSegment.recover(options.walDir, name);
      if (tornBytes > 0)
        options.logger.warn(
          { stream: stream.name, segment: name, tornBytes },
          "dropped the torn tail of a WAL segment (never acknowledged)",
        );
      options.logger.info(
        { stream: stream.name, segment: name, records: segment.records },
        "recovering undelivered WAL segment",
      );
      // Recovered bytes count against the buffer even beyond its limit: they are already accepted.
      options.budget.force(segment.bytes);
      stream.recovered.add(segment);
      stream.sealed.push(segment);
    }
    stream.kick();
    return stream;
  }

  /**
   * Appends one request's records (already reserved in the budget) and resolves once they are durable.
   * On failure the reservation is returned and the error is rethrown (the request gets a 503).
   */
  async append(payload: Buffer, records: number, arrivalMs: number): Promise<void> {
    try {
      for (;;) {
        const segment = this.current ?? (await this.openSegment());
        if (segment !== this.current) continue; // rotated while we waited
        // Seal before the size hint would be exceeded, so objects stay within it (a single larger request excepted).
        const buffered = segment.bytes + segment.pendingBytes;
        if (buffered > 0 && buffered + payload.length > this.sizeBytes) {
          this.rotate(segment);
          continue;
        }
        const durable = segment.append(payload, arrivalMs, records);
        if (buffered + payload.length >= this.sizeBytes) this.rotate(segment);
        else if (!this.timer) this.timer = setTimeout(() => this.rotate(segment), this.intervalMs).unref();
        await durable;
        return;
      }
    } catch (error) {
      this.options.budget.release(payload.length);
      throw error;
    }
  }

  /** Seals the open segment and waits until every sealed segment is delivered. */
  async flush(): Promise<void> {
    if (this.opening) await this.opening.catch(() => undefined);
    if (this.current) this.rotate(this.current);
    if (this.sealed.length === 0 && this.inDelivery.size === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Flushes; with storage down, gives up after a few attempts and leaves the rest in the WAL for the next start. */
  async close(): Promise<void> {
    this.closing = true;
    await this.flush();
    if (this.timer) clearTimeout(this.timer);
  }

  stats(): BufferStats {
    let records = 0;
    let bytes = 0;
    let oldest: number | undefined;
    const segments = [...this.sealed, ...this.inDelivery];
    if (this.current) segments.push(this.current);
    for (const segment of segments) {
      records += segment.records;
      bytes += segment.bytes;
      if (segment.firstArrivalMs !== undefined) oldest = Math.min(oldest ?? Infinity, segment.firstArrivalMs);
    }
    return { stream: this.name, records, bytes, oldestArrivalMs: oldest };
  }

  private openSegment(): Promise<WalSegment> {
    this.opening ??= WalSegment.create(this.options.walDir, this.nextSeq++, (seconds, frames) => {
      this.options.metrics.walFsyncSeconds.observe(seconds);
      this.options.metrics.walGroupCommitFrames.observe(frames);
    })
      .then((segment) => {
        this.current = segment;
        return segment;
      })
      .finally(() => (this.opening = undefined));
    return this.opening;
  }

  private rotate(segment: WalSegment): void {
    if (this.current !== segment) return;
    this.current = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.sealed.push(segment);
    this.kick();
  }

  /**
   * Starts deliveries up to the parallelism limit. Several objects are written at once because each
   * write is a chain of small filesystem steps (open, write, fsync, rename, fsync of the folder) that
   * waits on the event loop between steps: one at a time, delivery falls behind a busy ingest.
   */
  private kick(): void {
    while (this.inDelivery.size < PARALLEL_DELIVERIES && this.sealed.length > 0) {
      const segment = this.sealed.shift()!;
      this.inDelivery.add(segment);
      void this.deliverWithRetry(segment).finally(() => {
        this.inDelivery.delete(segment);
        this.kick();
        if (this.sealed.length === 0 && this.inDelivery.size === 0) {
          const waiters = this.idleWaiters;
          this.idleWaiters = [];
          for (const resolve of waiters) resolve();
        }
      });
    }
  }

  private async deliverWithRetry(segment: WalSegment): Promise<void> {
    for (let failures = 0; ;) {
      try {
        await segment.seal();
        if (segment.records > 0) await this.deliver(segment);
        await segment.remove();
        this.options.budget.release(segment.bytes);
        return;
      } catch (error) {
        failures++;
        this.options.metrics.deliveryFailures.inc({ stream: this.name });
        this.options.logger.error(
          { stream: this.name, segment: segment.path, attempt: failures, err: error },
          "raw object delivery failed; records stay in the WAL and will be retried",
        );
        if (this.closing && failures >= 3) return; // left in the WAL for the next start
        await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** failures, 5000)));
      }
    }
  }

  /**
   * Writes the segment as one object. The key depends only on the segment (uuid, first arrival) and the
   * stream's settings, so a redelivery after a crash overwrites the same object with the same bytes.
   */
  private async deliver(segment: WalSegment): Promise<void> {
    const started = performance.now();
    const gzipped = this.options.config.compressionFormat === "GZIP";
    const body = Buffer.concat(segment.payloads, segment.bytes);
    const out = gzipped ? await gzipAsync(body) : body;
    const arrival = new Date(segment.firstArrivalMs ?? Date.now());
    const key = rawObjectKey({
      stream: this.name,
      version: this.options.config.version,
      arrival,
      uuid: segment.uuid,
      gzip: gzipped,
    });
    await this.options.storage.writeAtomic("raw", key, out);
    // Its day folder may be sealed already (a transform ran while this segment waited in the WAL): the
    // notice makes the next run list it. Written before the segment is removed, so a crash repeats both.
    if (this.recovered.has(segment) || datePartitionPath(arrival) !== datePartitionPath(new Date()))
      await recordArrivals(this.options.storage, [key]);
    const { metrics } = this.options;
    metrics.flushSeconds.observe({ stream: this.name }, (performance.now() - started) / 1000);
    metrics.objectsDelivered.inc({ stream: this.name });
    metrics.recordsDelivered.inc({ stream: this.name }, segment.records);
    metrics.bytesDelivered.inc({ stream: this.name }, out.length);
    this.options.logger.info(
      { stream: this.name, key, records: segment.records, bytes: out.length },
      "delivered raw object",
    );
  }
}

/** The WAL folder of one stream under the collector's WAL root. */
export function streamWalDir(walRoot: string, stream: string): string {
  return join(walRoot, stream);
}
