import { gzipSync } from "node:zlib";
import { recordArrivals } from "../storage/arrival-notice.js";
import type { Storage } from "../storage/storage.js";
import { defaultStreamName, rawObjectKey } from "../storage/warehouse-layout.js";
import {
  EventGenerator,
  type GeneratedRecord,
  type GenerationSummary,
  type GeneratorOptions,
  type RecordScope,
  streamSeed,
} from "./event-generator.js";
import { ChunkBuffer } from "./chunk-buffer.js";
import { SeededRandom } from "./seeded-random.js";

/** How records are laid out inside one raw object. */
type RawFraming = "ndjson" | "concatenated" | "array" | "crlf";
export type RawFramingOption = RawFraming | "mixed";

export interface RawObjectsOptions extends GeneratorOptions {
  /** Number of objects to spread the events over (exactly, as evenly as possible). Wins over eventsPerObject. */
  objects?: number;
  /** Records per object when `objects` is not given. Default 10,000 (≈ 4.7 MB, near Firehose's 5 MB buffer). */
  eventsPerObject?: number;
  /** Delivery stream name in the object names. Default `clickstream-pipeline-stream`. */
  stream?: string;
  /** Gzip every object (and name it `.gz`, as Firehose does). */
  gzip?: boolean;
  /**
   * ndjson (LF), crlf, concatenated (Firehose's default: objects back to back, no delimiter), array (a
   * pretty-printed multi-line JSON array), or mixed: cycles ndjson, concatenated, crlf, array, with a BOM
   * on every 5th object starting at the 2nd, gzip on every 3rd starting at the 3rd (alternately with
   * and without `.gz`), and one extra empty object at the end.
   */
  framing?: RawFramingOption;
  /** Arrival time in the object names: a fixed instant, or (default) the latest event time in each object. */
  arrival?: Date | "event-time";
}

export interface RawObjectsResult extends GenerationSummary {
  /** Keys written, in write order. */
  keys: string[];
  /** Bytes stored (after framing, BOM and compression). */
  objectBytes: number;
}

const mixedCycle: readonly RawFraming[] = ["ndjson", "concatenated", "crlf", "array"];
const bom = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * Writes generated events into the raw bucket laid out as Firehose would
 * (`raw/year=…/month=…/day=…/<stream>-1-YYYY-MM-DD-HH-MM-SS-<uuid>[.gz]`), deterministic for the
 * options (object uuids come from the seeded PRNG too).
 *
 * Defects that only make sense line by line (malformed_json, record_too_large) go only into ndjson and
 * crlf objects, not_an_object scalars also into arrays; concatenated and array objects get the
 * remaining defect classes. The returned summary is the exact ground truth of everything written.
 */
export async function writeRawObjects(
  storage: Storage,
  options: RawObjectsOptions,
): Promise<RawObjectsResult> {
  const generator = new EventGenerator(options, true);
  // Object names come from their own stream of the same seed.
  const names = new SeededRandom((streamSeed(options) ^ 0x6f626a73) >>> 0);
  const framingOption = options.framing ?? "ndjson";
  const stream = options.stream ?? defaultStreamName;
  const keys: string[] = [];
  let objectBytes = 0;
  const counts = objectSizes(options);

  for (let index = 0; index < counts.length; index++) {
    const framing = framingOption === "mixed" ? mixedCycle[index % mixedCycle.length]! : framingOption;
    const scope: RecordScope = framing === "ndjson" || framing === "crlf" ? "line" : framing;
    const count = counts[index]!;
    let latest = Number.NEGATIVE_INFINITY;
    let body: Buffer;
    if (scope === "line") {
      // Line framings take the byte-level fast path: no per-record strings.
      const buffer = new ChunkBuffer(1 << 20);
      const lineEnd = framing === "crlf" ? "\r\n" : "\n";
      for (let i = 0; i < count && generator.nextInto(buffer, lineEnd); i++) {
        if (generator.lastEventTimeMs > latest) latest = generator.lastEventTimeMs;
      }
      body = Buffer.concat(buffer.take());
    } else {
      const records: GeneratedRecord[] = [];
      for (let i = 0; i < count; i++) {
        const record = generator.next(scope)!;
        records.push(record);
        if (record.timeMs > latest) latest = record.timeMs;
      }
      body = frame(records, framing);
    }
    const mixed = framingOption === "mixed";
    if (mixed && index % 5 === 1) body = Buffer.concat([bom, body]);
    const gzip = options.gzip === true || (mixed && index % 3 === 2);
    if (gzip) body = gzipSync(body);
    const arrival =
      options.arrival instanceof Date
        ? options.arrival
        : new Date(count > 0 ? latest : options.start.getTime());
    const key = rawObjectKey({
      stream,
      arrival,
      uuid: names.uuid(),
      // Firehose names compressed objects `.gz`; some producers don't, so mixed mode does both.
      gzip: gzip && (options.gzip === true || index % 2 === 0),
    });
    await storage.writeAtomic("raw", key, body);
    keys.push(key);
    objectBytes += body.length;
  }
  if (framingOption === "mixed") {
    const arrival = options.arrival instanceof Date ? options.arrival : options.start;
    const key = rawObjectKey({ stream, arrival, uuid: names.uuid() });
    await storage.writeAtomic("raw", key, Buffer.alloc(0));
    keys.push(key);
  }
  // Generated objects are back-dated (dated by their events): their folders may be sealed already.
  await recordArrivals(storage, keys);
  return { ...generator.summary, keys, objectBytes };
}

/** Records per object: exactly `objects` objects when given, else chunks of `eventsPerObject`. */
function objectSizes(options: RawObjectsOptions): number[] {
  const total = options.events;
  if (options.objects !== undefined) {
    const n = Math.max(1, Math.floor(options.objects));
    return Array.from(
      { length: n },
      (_, k) => Math.floor(((k + 1) * total) / n) - Math.floor((k * total) / n),
    );
  }
  const per = Math.max(1, Math.floor(options.eventsPerObject ?? 10_000));
  const sizes: number[] = [];
  for (let left = total; left > 0; left -= per) sizes.push(Math.min(per, left));
  return sizes;
}

/** The object body for records in one framing. */
function frame(records: readonly GeneratedRecord[], framing: RawFraming): Buffer {
  switch (framing) {
    case "ndjson":
    case "crlf": {
      const newline = framing === "crlf" ? "\r\n" : "\n";
      if (!records.some((r) => r.raw)) return Buffer.from(records.map((r) => r.text + newline).join(""));
      return Buffer.concat(records.flatMap((r) => [r.raw ?? Buffer.from(r.text), Buffer.from(newline)]));
    }
    case "concatenated":
      return Buffer.from(records.map((r) => r.text).join(""));
    case "array": {
      // Pretty-printed like the sample file: one member per line, elements indented by two spaces.
      const elements = records.map(
        (r) => "  " + JSON.stringify(JSON.parse(r.text), null, 2).replace(/\n/g, "\n  "),
      );
      return Buffer.from(records.length === 0 ? "[]\n" : `[\n${elements.join(",\n")}\n]\n`);
    }
  }
}
