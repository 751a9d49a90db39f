import { randomUUID } from "node:crypto";
import { open, readFile, unlink, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { ClickstreamError, wrapError } from "../errors/clickstream-error.js";
import { fsyncDir } from "../storage/local-storage.js";

/**
 * One file of the write-ahead log. A segment is also the unit of delivery: everything appended to it
 * becomes exactly one raw object, whose key is derived from the segment (its uuid and the arrival time
 * of its first frame). Redelivering a segment after a crash therefore overwrites the same object with
 * the same bytes instead of writing a second copy.
 *
 * File name: `<seq, 16 digits>-<uuid>.wal`. Content: frames, one per request:
 *   u32 payload length | u32 crc32(payload) | f64 arrival ms | u32 record count | payload
 * where the payload is the request's records, each one line ending with `\n` (the object's bytes).
 * A torn tail (a crash mid-write) fails its length or CRC check and is cut off on recovery; such a
 * frame was never acknowledged, because acknowledgement waits for the fsync.
 */
const FRAME_HEADER_BYTES = 20;

interface PendingAppend {
  readonly header: Buffer;
  readonly payload: Buffer;
  readonly arrivalMs: number;
  readonly records: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export interface WalSegmentStats {
  /** Records durable in this segment. */
  readonly records: number;
  /** Payload bytes durable in this segment (the object's uncompressed size). */
  readonly bytes: number;
  /** Arrival time of the oldest durable record, or undefined when empty. */
  readonly firstArrivalMs: number | undefined;
}

/** Observes fsyncs (for metrics). */
export type FsyncObserver = (seconds: number, frames: number) => void;

export class WalSegment {
  /** Durable payloads in append order; their concatenation is the object body. */
  readonly payloads: Buffer[] = [];
  records = 0;
  bytes = 0;
  firstArrivalMs: number | undefined;

  private handle: FileHandle | undefined;
  private fileSize = 0;
  private queue: PendingAppend[] = [];
  private pumping: Promise<void> | undefined;
  private sealed = false;
  private unsyncedBytes = 0;

  private constructor(
    readonly path: string,
    readonly seq: number,
    readonly uuid: string,
    private readonly onFsync: FsyncObserver | undefined,
  ) {}

  static fileName(seq: number, uuid: string): string {
    return `${String(seq).padStart(16, "0")}-${uuid}.wal`;
  }

  static parseFileName(name: string): { seq: number; uuid: string } | undefined {
    const match = /^(\d{16})-([0-9a-f-]{36})\.wal$/.exec(name);
    return match ? { seq: Number(match[1]), uuid: match[2]! } : undefined;
  }

  /** Creates an empty segment file and makes its name durable. */
  static async create(dir: string, seq: number, onFsync?: FsyncObserver): Promise<WalSegment> {
    const uuid = randomUUID();
    const segment = new WalSegment(join(dir, WalSegment.fileName(seq, uuid)), seq, uuid, onFsync);
    try {
      segment.handle = await open(segment.path, "wx");
      await fsyncDir(dir);
    } catch (error) {
      await segment.handle?.close().catch(() => undefined);
      throw wrapError("CS_ERR_COLLECTOR_WAL", error, `create ${segment.path}`);
    }
    return segment;
  }

  /**
   * Reads a segment left by an earlier process: keeps every complete frame, drops a torn tail.
   * The result is sealed (read-only), ready for delivery.
   */
  static async recover(dir: string, name: string): Promise<{ segment: WalSegment; tornBytes: number }> {
    const parsed = WalSegment.parseFileName(name);
    if (!parsed) throw new ClickstreamError("CS_ERR_COLLECTOR_WAL", `not a WAL segment: ${name}`);
    const segment = new WalSegment(join(dir, name), parsed.seq, parsed.uuid, undefined);
    let data: Buffer;
    try {
      data = await readFile(segment.path);
    } catch (error) {
      throw wrapError("CS_ERR_COLLECTOR_WAL", error, `read ${segment.path}`);
    }
    let offset = 0;
    while (offset + FRAME_HEADER_BYTES <= data.length) {
      const length = data.readUInt32LE(offset);
      const end = offset + FRAME_HEADER_BYTES + length;
      if (end > data.length) break;
      const payload = data.subarray(offset + FRAME_HEADER_BYTES, end);
      if (crc32(payload) !== data.readUInt32LE(offset + 4)) break;
      segment.addDurable(payload, data.readDoubleLE(offset + 8), data.readUInt32LE(offset + 16));
      offset = end;
    }
    segment.fileSize = offset;
    segment.sealed = true;
    return { segment, tornBytes: data.length - offset };
  }

  stats(): WalSegmentStats {
    return { records: this.records, bytes: this.bytes, firstArrivalMs: this.firstArrivalMs };
  }

  /** Payload bytes appended but not yet durable (queued or being written). */
  get pendingBytes(): number {
    return this.unsyncedBytes;
  }

  /**
   * Appends one frame; resolves once it is on disk (fsync'd). Appends that arrive while a write is in
   * flight are written and fsync'd together by the next round (group commit).
   */
  append(payload: Buffer, arrivalMs: number, records: number): Promise<void> {
    if (this.sealed) return Promise.reject(new Error("append to a sealed WAL segment"));
    const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
    header.writeUInt32LE(payload.length, 0);
    header.writeUInt32LE(crc32(payload), 4);
    header.writeDoubleLE(arrivalMs, 8);
    header.writeUInt32LE(records, 16);
    this.unsyncedBytes += payload.length;
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ header, payload, arrivalMs, records, resolve, reject });
      this.pumping ??= this.pump().finally(() => (this.pumping = undefined));
    });
  }

  /** Stops accepting appends and waits until every queued append is durable (or failed), then closes the file. */
  async seal(): Promise<void> {
    this.sealed = true;
    while (this.pumping) await this.pumping;
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close().catch(() => undefined);
  }

  /** Removes the file once its object is durably delivered. */
  async remove(): Promise<void> {
    await this.seal();
    try {
      await unlink(this.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT")
        throw wrapError("CS_ERR_COLLECTOR_WAL", error, `remove ${this.path}`);
    }
  }

  private addDurable(payload: Buffer, arrivalMs: number, records: number): void {
    this.payloads.push(payload);
    this.records += records;
    this.bytes += payload.length;
    this.firstArrivalMs ??= arrivalMs;
  }

  private async pump(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      const buffers: Buffer[] = [];
      let length = 0;
      let payloadBytes = 0;
      for (const item of batch) {
        buffers.push(item.header, item.payload);
        length += item.header.length + item.payload.length;
        payloadBytes += item.payload.length;
      }
      const started = performance.now();
      try {
        const handle = this.handle;
        if (!handle) throw new Error("WAL segment is closed");
        let written = 0;
        while (written < length) {
          const { bytesWritten } = await handle.writev(
            written === 0 ? buffers : [Buffer.concat(buffers).subarray(written)],
            this.fileSize + written,
          );
          written += bytesWritten;
        }
        await handle.datasync();
        this.fileSize += length;
      } catch (error) {
        // Cut the file back to its last durable frame so a later frame never follows garbage.
        await this.handle?.truncate(this.fileSize).catch(() => undefined);
        this.unsyncedBytes -= payloadBytes;
        for (const item of batch) item.reject(error);
        continue;
      }
      this.unsyncedBytes -= payloadBytes;
      this.onFsync?.((performance.now() - started) / 1000, batch.length);
      for (const item of batch) {
        this.addDurable(item.payload, item.arrivalMs, item.records);
        item.resolve();
      }
    }
  }
}
