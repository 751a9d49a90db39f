import { z } from "zod";
import { ClickstreamError } from "../errors/clickstream-error.js";
import { rejectReasonCodes as rejectReasons, type RejectReason } from "../contract/data-contract.js";
import { hourWeights } from "./catalogue.js";
import {
  defectKinds,
  reasonAllowedIn,
  variantKinds,
  type CleanEvent,
  type IntegerIds,
  type RecordScope,
} from "./record-defects.js";
import type { ChunkBuffer } from "./chunk-buffer.js";
import { EventSerializer, maxCleanEventBytes } from "./event-serializer.js";
import { hash32, SeededRandom } from "./seeded-random.js";
import { SessionPlanner, type PlannedEvent, type PlannedSession } from "./session-planner.js";

export type { RecordScope } from "./record-defects.js";

/** What to generate. The same options always produce byte-identical output. */
export interface GeneratorOptions {
  /** Number of records to emit (clean, variant and defective records together). */
  events: number;
  /** Size of the user population (user_000000 …). */
  users: number;
  /** Events are spread over `days` × 24 h starting at `start`. */
  days: number;
  start: Date;
  seed: number;
  /** Fraction (0..1) of records that carry exactly one defect, each mapped to one reject reason. */
  dirtyRate: number;
  /**
   * Fraction (0..1) of records that are valid-but-unusual variants (offset timestamps, integer ids,
   * numeric strings, unknown fields…). Defaults to `dirtyRate`, so clean runs stay canonical.
   */
  variantRate?: number;
}

/**
 * Ground truth of a generation, computed while generating, for tests to compare against the transform.
 *
 * - `events`: records emitted (each line / array element / concatenated object is one record).
 * - `valid`: records the transform must WRITE: valid under the contract and first of their event_id.
 * - `rejectedByReason`: records the transform must reject, by reason code; only reasons that occur are
 *   present. `valid + Σ rejectedByReason = events` always.
 * - `unknownFields`: unknown field name → number of WRITTEN (`valid`) records carrying it, the way the
 *   transform counts schema drift. Fields the contract drops on purpose (user_agent, ip_address,
 *   additional_data) are not unknown. A rejected record never counts, even when it carries one.
 * - `bytes`: UTF-8 bytes of all record texts, excluding delimiters, framing, BOMs and compression.
 * - `defects` / `variants`: occurrences per defect kind (`reason:detail`) and per valid variant name.
 *
 * Assumes the transform's clock (`--now`) lies between 24 h before the end of the generated range and
 * 2098-12-31 (so clean events are not "in the future" and the far-future defects are).
 */
export interface GenerationSummary {
  events: number;
  valid: number;
  rejectedByReason: Record<string, number>;
  unknownFields: Record<string, number>;
  bytes: number;
  defects: Record<string, number>;
  variants: Record<string, number>;
}

/** One emitted record with what the transform must do with it. */
export interface GeneratedRecord {
  /** The record's JSON text (no newline). For an invalid-UTF-8 record, the lossy decoding of `raw`. */
  readonly text: string;
  /** The exact bytes when they differ from `text` (only invalid-UTF-8 records, only in binary mode). */
  readonly raw?: Buffer;
  /** "valid" when the transform must write it, otherwise the reject reason it must assign. */
  readonly outcome: "valid" | RejectReason;
  /** "clean", a variant name, a defect kind name, or "duplicate:exact" / "duplicate:near". */
  readonly kind: string;
  /** The field at fault (missing_field, invalid_field). */
  readonly field?: string;
  /** The instant of the underlying event (before any defect), used to date raw objects. */
  readonly timeMs: number;
}

const optionsSchema = z.object({
  events: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  users: z.number().int().min(1).max(100_000_000),
  days: z.number().int().min(1).max(36_600),
  start: z.date().refine((d) => !Number.isNaN(d.getTime()), "must be a valid date"),
  seed: z.number().int(),
  dirtyRate: z.number().min(0).max(1),
  variantRate: z.number().min(0).max(1).optional(),
});

/** Validates generator options; throws CS_ERR_INVALID_ARGUMENT naming the bad option. */
function validateGeneratorOptions(options: GeneratorOptions): void {
  const result = optionsSchema.safeParse({
    events: options.events,
    users: options.users,
    days: options.days,
    start: options.start,
    seed: options.seed,
    dirtyRate: options.dirtyRate,
    variantRate: options.variantRate,
  });
  if (!result.success) {
    const detail = result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new ClickstreamError("CS_ERR_INVALID_ARGUMENT", `generator options: ${detail}`);
  }
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** Reasons in the order the defect cycle visits them (duplicate last so there is something to copy). */
const reasonCycle: readonly Exclude<RejectReason, "unreadable_object">[] = [
  "malformed_json",
  "not_an_object",
  "missing_field",
  "invalid_field",
  "invalid_timestamp",
  "timestamp_out_of_range",
  "record_too_large",
  "duplicate",
];

/** At most one 1 MB record per this many records (after the first), so dirty runs stay small. */
const tooLargeEveryRecords = 100_000;

/**
 * The PRNG seed for a generation: the user's seed mixed with the start, the number of days and users, so
 * two generations that differ in any of these (say, day 1 and day 2 with the same --seed) never share
 * event ids, session ids or object names. Same options → same seed → same bytes.
 */
export function streamSeed(options: Pick<GeneratorOptions, "seed" | "start" | "days" | "users">): number {
  const startMs = options.start.getTime();
  let h = hash32(options.seed >>> 0, 0x51ed);
  h = hash32(h ^ (Math.floor(options.seed / 0x100000000) >>> 0), 0x51ee);
  h = hash32(h ^ (startMs >>> 0), 0x51ef);
  h = hash32(h ^ (Math.floor(startMs / 0x100000000) >>> 0), 0x51f0);
  h = hash32(h ^ options.days, 0x51f1);
  return hash32(h ^ options.users, 0x51f2);
}

const recentValidSize = 256;
const earlyValidSize = 64;

/**
 * The generator as a pull-based object: `next()` returns one record at a time with its expected
 * outcome. Writers use `next(scope)` to keep line-only defects out of framings that cannot carry them.
 */
export class EventGenerator {
  readonly summary: GenerationSummary = {
    events: 0,
    valid: 0,
    rejectedByReason: {},
    unknownFields: {},
    bytes: 0,
    defects: {},
    variants: {},
  };

  private readonly random: SeededRandom;
  private readonly planner: SessionPlanner;
  private readonly total: number;
  private readonly dirtyRate: number;
  private readonly variantRate: number;
  private readonly startMs: number;
  private readonly endMs: number;
  private readonly cumulative: Float64Array;
  private slot = -1;
  private slotQuota = 0;
  private slotUsed = 0;
  private session: PlannedSession | undefined;
  private cursor = 0;
  private reasonCursor = 0;
  private readonly kindCursor = new Map<RejectReason, number>();
  private variantCursor = 0;
  private lastTooLarge = -1;
  private readonly recentValid: string[] = [];
  private readonly earlyValid: string[] = [];
  private readonly serializer: EventSerializer;
  private readonly scratch = Buffer.allocUnsafe(maxCleanEventBytes);
  private readonly usedIntegerIds = new Set<number>();
  /** Random 53-bit integers, unique within this generation (integer event_id variants). */
  private readonly integerIds: IntegerIds = {
    next: () => {
      for (;;) {
        const id = (this.random.uint32() & 0x1fffff) * 0x100000000 + this.random.uint32();
        if (id > 0 && !this.usedIntegerIds.has(id)) {
          this.usedIntegerIds.add(id);
          return id;
        }
      }
    },
  };

  constructor(
    options: GeneratorOptions,
    private readonly binary = false,
  ) {
    validateGeneratorOptions(options);
    this.total = options.events;
    this.dirtyRate = options.dirtyRate;
    this.variantRate = options.variantRate ?? options.dirtyRate;
    this.startMs = options.start.getTime();
    this.endMs = this.startMs + options.days * DAY_MS;
    const seed = streamSeed(options);
    this.random = new SeededRandom(seed);
    this.planner = new SessionPlanner(this.random, options.users, seed);
    this.serializer = new EventSerializer(this.random);

    // Traffic per hour slot: hour-of-day shape × a per-day factor (busier weekends, day-to-day noise).
    const slots = options.days * 24;
    this.cumulative = new Float64Array(slots + 1);
    let dayFactor = 1;
    for (let i = 0; i < slots; i++) {
      const slotStart = new Date(this.startMs + i * HOUR_MS);
      if (i % 24 === 0) {
        const weekday = slotStart.getUTCDay();
        dayFactor = (weekday === 0 || weekday === 6 ? 1.2 : 1) * (0.9 + 0.2 * this.random.float());
      }
      this.cumulative[i + 1] = this.cumulative[i]! + hourWeights[slotStart.getUTCHours()]! * dayFactor;
    }
  }

  /** The instant of the event behind the last record emitted (before any defect), for dating raw objects. */
  lastEventTimeMs = Number.NaN;

  /** Records still to come. */
  get remaining(): number {
    return this.total - this.summary.events;
  }

  /**
   * The next record, or undefined when all `events` records were emitted. `scope` says which framing the
   * record goes into; defects that framing cannot represent are skipped in favour of the next class.
   */
  next(scope: RecordScope = "line"): GeneratedRecord | undefined {
    const i = this.summary.events;
    if (i >= this.total) return undefined;
    // Evenly spaced and exact: record i is defective when i·rate crosses an integer; variants are
    // phase-shifted by half a period so both rates can be equal without colliding.
    const defective = Math.floor((i + 1) * this.dirtyRate) > Math.floor(i * this.dirtyRate);
    const variant =
      !defective && Math.floor((i + 1) * this.variantRate + 0.5) > Math.floor(i * this.variantRate + 0.5);
    return defective ? this.defect(scope) : this.fromEvent(variant);
  }

  private fromEvent(variant: boolean): GeneratedRecord {
    const clean = this.nextCleanEvent();
    if (!variant) return this.emit(clean.text, undefined, "valid", "clean", clean.timeMs);
    for (let k = 0; k < variantKinds.length; k++) {
      const kind = variantKinds[(this.variantCursor + k) % variantKinds.length]!;
      if (!kind.applies(clean)) continue;
      this.variantCursor = (this.variantCursor + k + 1) % variantKinds.length;
      this.summary.variants[kind.name] = (this.summary.variants[kind.name] ?? 0) + 1;
      if (kind.unknownField) {
        this.summary.unknownFields[kind.unknownField] =
          (this.summary.unknownFields[kind.unknownField] ?? 0) + 1;
      }
      return this.emit(kind.build(clean, this.integerIds), undefined, "valid", kind.name, clean.timeMs);
    }
    return this.emit(clean.text, undefined, "valid", "clean", clean.timeMs);
  }

  private defect(scope: RecordScope): GeneratedRecord {
    for (let k = 0; k < reasonCycle.length; k++) {
      const reason = reasonCycle[(this.reasonCursor + k) % reasonCycle.length]!;
      if (!reasonAllowedIn(reason, scope)) continue;
      if (reason === "duplicate" && this.earlyValid.length === 0) continue;
      if (
        reason === "record_too_large" &&
        this.lastTooLarge >= 0 &&
        this.summary.events - this.lastTooLarge < tooLargeEveryRecords
      ) {
        continue;
      }
      this.reasonCursor = (this.reasonCursor + k + 1) % reasonCycle.length;
      return reason === "duplicate" ? this.duplicate() : this.injectDefect(reason);
    }
    // Unreachable in practice (missing_field fits every scope); stay total anyway.
    return this.injectDefect("missing_field");
  }

  private injectDefect(reason: Exclude<RejectReason, "duplicate" | "unreadable_object">): GeneratedRecord {
    const kinds = defectKinds[reason];
    const index = this.kindCursor.get(reason) ?? 0;
    this.kindCursor.set(reason, (index + 1) % kinds.length);
    const kind = kinds[index]!;
    const clean = this.nextCleanEvent();
    if (reason === "record_too_large") this.lastTooLarge = this.summary.events;
    const out = kind.build(clean, this.binary);
    this.summary.defects[kind.name] = (this.summary.defects[kind.name] ?? 0) + 1;
    return this.emit(out.text, out.raw, reason, kind.name, clean.timeMs, out.field);
  }

  /** A copy of an earlier valid record: exact, or a retry that differs only in dropped fields. */
  private duplicate(): GeneratedRecord {
    const r = this.random;
    const early = r.chance(0.25) || this.recentValid.length === 0;
    const pool = early ? this.earlyValid : this.recentValid;
    const original = pool[r.int(pool.length)]!;
    // The twin occupies a slot of the traffic curve, like the retry it models.
    this.slotUsed++;
    let text = original;
    let kind = "duplicate:exact";
    if (r.chance(0.5)) {
      // Only ip_address differs: it never reaches transformed/, so whichever twin arrives first, the
      // written row and the unknown-field counts are the same.
      const record = JSON.parse(original) as Record<string, unknown>;
      record.ip_address = `198.51.100.${r.range(1, 254)}`;
      text = JSON.stringify(record);
      kind = "duplicate:near";
    }
    this.summary.defects[kind] = (this.summary.defects[kind] ?? 0) + 1;
    const timeMs = this.session?.events[Math.max(0, this.cursor - 1)]?.timeMs ?? this.startMs;
    return this.emit(text, undefined, "duplicate", kind, timeMs);
  }

  private emit(
    text: string,
    raw: Buffer | undefined,
    outcome: "valid" | RejectReason,
    kind: string,
    timeMs: number,
    field?: string,
  ): GeneratedRecord {
    const s = this.summary;
    this.lastEventTimeMs = timeMs;
    s.events++;
    // Clean and variant records are ASCII by construction; measure the others.
    s.bytes += raw ? raw.length : kind === "clean" ? text.length : Buffer.byteLength(text);
    if (outcome === "valid") {
      s.valid++;
      if (this.wantsCopy()) this.remember(text);
    } else {
      s.rejectedByReason[outcome] = (s.rejectedByReason[outcome] ?? 0) + 1;
    }
    const record: { -readonly [K in keyof GeneratedRecord]: GeneratedRecord[K] } = {
      text,
      outcome,
      kind,
      timeMs,
    };
    if (raw) record.raw = raw;
    if (field) record.field = field;
    return record;
  }

  /**
   * Whether the valid record just counted is kept as a future duplicate's twin: the first few, then every
   * 8th into a ring of recent ones (sampling keeps the byte path free of per-record strings).
   */
  private wantsCopy(): boolean {
    return this.earlyValid.length < earlyValidSize || this.summary.valid % 8 === 0;
  }

  private remember(text: string): void {
    if (this.earlyValid.length < earlyValidSize) this.earlyValid.push(text);
    if (this.summary.valid % 8 !== 0) return;
    const slot = (this.summary.valid / 8) % recentValidSize;
    if (slot < this.recentValid.length) this.recentValid[slot] = text;
    else this.recentValid.push(text);
  }

  /**
   * Writes the next record straight into `out` as bytes followed by `lineEnd`: the fast path for NDJSON
   * output, identical to `next("line")` + encoding. Returns false when all records were emitted.
   */
  nextInto(out: ChunkBuffer, lineEnd: "\n" | "\r\n"): boolean {
    const i = this.summary.events;
    if (i >= this.total) return false;
    const defective = Math.floor((i + 1) * this.dirtyRate) > Math.floor(i * this.dirtyRate);
    const variant =
      !defective && Math.floor((i + 1) * this.variantRate + 0.5) > Math.floor(i * this.variantRate + 0.5);
    if (defective || variant) {
      const record = defective ? this.defect("line") : this.fromEvent(true);
      if (record.raw) {
        out.appendBytes(record.raw);
        out.appendText("", true, lineEnd);
      } else {
        out.appendText(record.text, false, lineEnd);
      }
      return true;
    }
    const event = this.advance();
    const target = out.reserve(maxCleanEventBytes);
    const start = out.position;
    const end = this.serializer.write(target, start, event, this.cursor === 1);
    const s = this.summary;
    this.lastEventTimeMs = event.timeMs;
    s.events++;
    s.valid++;
    s.bytes += end - start;
    if (this.wantsCopy()) this.remember(target.toString("latin1", start, end));
    let p = end;
    if (lineEnd === "\r\n") target[p++] = 13;
    target[p++] = 10;
    out.commit(p);
    return true;
  }

  /** The next event of the traffic plan as clean JSON text. */
  private nextCleanEvent(): CleanEvent {
    const event = this.advance();
    const end = this.serializer.write(this.scratch, 0, event, this.cursor === 1);
    return {
      text: this.scratch.toString("latin1", 0, end),
      timeMs: event.timeMs,
      hasPrice: event.product !== undefined,
      hasQuantity: event.quantity !== undefined,
    };
  }

  /** Moves to the next planned event (starting a session when needed) and counts it in its hour slot. */
  private advance(): PlannedEvent {
    let session = this.session;
    if (!session || this.cursor >= session.events.length) session = this.startSession();
    this.slotUsed++;
    return session.events[this.cursor++]!;
  }

  private startSession(): PlannedSession {
    while (this.slotUsed >= this.slotQuota && this.slot < this.cumulative.length - 2) {
      this.slotUsed -= this.slotQuota;
      this.slot++;
      this.slotQuota = this.quota(this.slot);
    }
    const quota = Math.max(1, this.slotQuota);
    const slotStart = this.startMs + Math.max(0, this.slot) * HOUR_MS;
    const startMs =
      slotStart + Math.floor((Math.min(this.slotUsed, quota) / quota) * HOUR_MS) + this.random.int(20_000);
    const session = this.planner.plan(startMs, Math.max(1, this.slotQuota - this.slotUsed));
    // Keep every event inside the generated range: pull a late session back before the end.
    const last = session.events[session.events.length - 1]!.timeMs;
    if (last >= this.endMs) {
      const shift = last - (this.endMs - 1);
      for (const e of session.events) e.timeMs = Math.max(this.startMs, e.timeMs - shift);
    }
    this.session = session;
    this.cursor = 0;
    this.serializer.setSession(session);
    return session;
  }

  /** Events in hour slot `i`: exact rounding of the cumulative curve, so all slots sum to `events`. */
  private quota(i: number): number {
    const total = this.cumulative[this.cumulative.length - 1]!;
    const at = (k: number): number => Math.round((this.total * this.cumulative[k]!) / total);
    return at(i + 1) - at(i);
  }
}

/**
 * Yields one JSON text per record (no newline), deterministic for the options. Returns the ground-truth
 * summary as the generator's return value. Text mode: the invalid-UTF-8 defect is replaced by another
 * malformed_json shape (same reason, same counts); use `generateEventRecords(options, { binary: true })`
 * for the bytes.
 */
export function* generateEventLines(
  options: GeneratorOptions,
): Generator<string, GenerationSummary, undefined> {
  const generator = new EventGenerator(options);
  for (let record = generator.next(); record; record = generator.next()) yield record.text;
  return generator.summary;
}

/** Yields every record with its expected outcome; returns the summary. */
export function* generateEventRecords(
  options: GeneratorOptions,
  mode: { binary?: boolean; scope?: RecordScope } = {},
): Generator<GeneratedRecord, GenerationSummary, undefined> {
  const generator = new EventGenerator(options, mode.binary ?? false);
  for (let record = generator.next(mode.scope); record; record = generator.next(mode.scope)) yield record;
  return generator.summary;
}

/** The ground truth alone (generates and discards the records). */
export function summarizeGeneration(options: GeneratorOptions): GenerationSummary {
  const generator = new EventGenerator(options);
  while (generator.next()) {
    /* drain */
  }
  return generator.summary;
}

/** Every reason the generator can produce (all record-level reasons; unreadable_object is per object). */
export const generatedReasons: readonly RejectReason[] = rejectReasons.filter(
  (r) => r !== "unreadable_object",
);
