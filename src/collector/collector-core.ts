import { readdir, statfs } from "node:fs/promises";
import { join } from "node:path";
import type { CollectorConfig, CollectorStreamConfig } from "../config/config-schema.js";
import type { Storage } from "../storage/storage.js";
import { BufferBudget } from "./buffer-budget.js";
import { CollectorMetrics } from "./collector-metrics.js";
import { CollectorRequestError } from "./collector-request-error.js";
import { DeliveryStream, streamWalDir, type CollectorLogger } from "./delivery-stream.js";
import { removeStaleTempFiles } from "./stale-temp-files.js";
import { acquireWalLock } from "./wal-lock.js";

export type IngestApi = "firehose" | "events";

/** Hears the records the collector stores or refuses (the console's live panel, recent-events.ts). */
export interface RecordsListener {
  /** One request's stored payload (one record per line). */
  accepted(api: IngestApi, payload: Buffer): void;
  /** A refused record, with the collector's reason. */
  rejected(api: IngestApi, reason: string, message: string, text?: string): void;
}

/**
 * What both HTTP APIs share: the delivery streams, the buffer budget, the disk-space watch and the
 * metrics. `ingest` is the one way records enter: reserve, append to the WAL, wait for the fsync.
 */
export class CollectorCore {
  readonly streams = new Map<string, DeliveryStream>();
  readonly streamConfigs = new Map<string, CollectorStreamConfig>();
  readonly metrics: CollectorMetrics;
  readonly budget: BufferBudget;
  readonly startedAt = new Date();
  /** Account id shown in ARNs and messages; there is no account locally. */
  readonly accountId = "000000000000";
  readonly bucketName: string;
  private diskFull = false;
  private diskTimer: NodeJS.Timeout | undefined;
  private releaseLock: (() => Promise<void>) | undefined;

  private constructor(
    readonly config: CollectorConfig,
    readonly walDir: string,
    storage: Storage,
    private readonly onRecords: RecordsListener | undefined,
  ) {
    this.budget = new BufferBudget(config.maxBufferBytes);
    this.metrics = new CollectorMetrics(() => [...this.streams.values()].map((s) => s.stats()));
    this.bucketName = storage.kind === "local" ? "local-warehouse" : "clickstream-raw";
  }

  static async open(options: {
    config: CollectorConfig;
    walDir: string;
    storage: Storage;
    logger: CollectorLogger;
    /** Told of every record stored or refused. */
    onRecords?: RecordsListener;
    /** What the running command offers to pick another WAL folder (named in the lock error). */
    walDirName?: string;
  }): Promise<CollectorCore> {
    const core = new CollectorCore(options.config, options.walDir, options.storage, options.onRecords);
    core.releaseLock = await acquireWalLock(options.walDir, options.walDirName);
    try {
      await removeStaleTempFiles(options.storage, options.logger);
      await core.openStreams(options);
      await warnAboutOrphanedWal(options.walDir, options.config, options.logger);
    } catch (error) {
      await core.close();
      throw error;
    }
    await core.checkDisk();
    core.diskTimer = setInterval(() => void core.checkDisk(), 1000).unref();
    return core;
  }

  private async openStreams(options: {
    config: CollectorConfig;
    walDir: string;
    storage: Storage;
    logger: CollectorLogger;
  }): Promise<void> {
    for (const streamConfig of options.config.streams) {
      this.streamConfigs.set(streamConfig.name, streamConfig);
      this.streams.set(
        streamConfig.name,
        await DeliveryStream.open({
          config: streamConfig,
          walDir: streamWalDir(options.walDir, streamConfig.name),
          storage: options.storage,
          metrics: this.metrics,
          budget: this.budget,
          logger: options.logger,
        }),
      );
    }
  }

  availableBytes(): number {
    return this.diskFull ? 0 : this.budget.availableBytes;
  }

  unavailable(reason: string): CollectorRequestError {
    return new CollectorRequestError(
      "CS_ERR_COLLECTOR_UNAVAILABLE",
      `Slow down. The collector cannot accept records right now (${reason}); retry with backoff.`,
    );
  }

  /** Makes a request's records durable in the stream's WAL; throws a 503 error instead of dropping anything. */
  async ingest(stream: DeliveryStream, payload: Buffer, records: number, api: IngestApi): Promise<void> {
    if (this.diskFull) {
      this.metrics.recordsRejected.inc({ api, reason: "disk_full" }, records);
      throw this.unavailable("disk full");
    }
    if (!this.budget.tryReserve(payload.length)) {
      this.metrics.recordsRejected.inc({ api, reason: "buffer_full" }, records);
      throw this.unavailable("buffer full");
    }
    try {
      await stream.append(payload, records, Date.now());
    } catch (error) {
      this.metrics.recordsRejected.inc({ api, reason: "wal_write_failed" }, records);
      if ((error as NodeJS.ErrnoException).code === "ENOSPC") this.diskFull = true;
      throw this.unavailable(`write-ahead log write failed: ${(error as Error).message}`);
    }
    this.metrics.received(stream.name, api, records, payload.length);
    this.onRecords?.accepted(api, payload);
  }

  /** Tells the listener of a record refused before it reached `ingest` (the caller counts it). */
  refused(api: IngestApi, reason: string, message: string, text?: string): void {
    this.onRecords?.rejected(api, reason, message, text);
  }

  /** Seals every open buffer and waits until all of it is delivered. */
  async flush(): Promise<void> {
    await Promise.all([...this.streams.values()].map((s) => s.flush()));
  }

  async close(): Promise<void> {
    if (this.diskTimer) clearInterval(this.diskTimer);
    try {
      await Promise.all([...this.streams.values()].map((s) => s.close()));
    } finally {
      await this.releaseLock?.();
    }
  }

  private async checkDisk(): Promise<void> {
    try {
      const info = await statfs(this.walDir);
      this.diskFull = info.bavail * info.bsize < this.config.minFreeDiskBytes;
    } catch {
      // statfs unsupported or folder gone: rely on ENOSPC from writes instead.
    }
  }
}

/**
 * Segments of a stream that is no longer configured are not delivered (their stream's settings are
 * gone); say so loudly rather than leave acknowledged records unnoticed. Re-add the stream to deliver them.
 */
async function warnAboutOrphanedWal(
  walDir: string,
  config: CollectorConfig,
  logger: CollectorLogger,
): Promise<void> {
  const configured = new Set(config.streams.map((s) => s.name));
  const entries = await readdir(walDir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isDirectory() || configured.has(entry.name)) continue;
    const segments = (await readdir(join(walDir, entry.name)).catch(() => [] as string[])).filter((f) =>
      f.endsWith(".wal"),
    );
    if (segments.length > 0)
      logger.warn(
        { stream: entry.name, segments: segments.length, walDir: join(walDir, entry.name) },
        `WAL holds undelivered records of stream ${entry.name}, which is not configured; add it to collector.streams to deliver them`,
      );
  }
}
