import { shopOrigin } from "./catalogue.js";
import type { SeededRandom } from "./seeded-random.js";
import type { PlannedEvent, PlannedSession } from "./session-planner.js";

/** Upper bound of a clean event's size, so callers can reserve room before `write`. */
export const maxCleanEventBytes = 4096;

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const HEX = Buffer.from("0123456789abcdef", "latin1");
/** Byte b → its two hex digits at [2b, 2b + 1]. */
const HEX_PAIRS = Buffer.from(
  Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0")).join(""),
  "latin1",
);
const ascii = (text: string): Buffer => Buffer.from(text, "latin1");
const OPEN = ascii('{"event_id":"');
const PAGE_URL = ascii(`Z","page_url":"${shopOrigin}`);
const QUANTITY = ascii(',"quantity":');

/** `<type>","timestamp":"` per event type, encoded once (types are string literals: cheap Map keys). */
const typePieces = new Map<string, Buffer>();
function typePiece(type: string): Buffer {
  let bytes = typePieces.get(type);
  if (bytes === undefined) {
    bytes = ascii(`${type}","timestamp":"`);
    typePieces.set(type, bytes);
  }
  return bytes;
}

/**
 * Writes clean events as JSON bytes straight into a buffer. This is the generator's hot path: building
 * each event as a JS string and encoding it afterwards cost as much again as generating it (V8 string
 * trees must be flattened, then encoded); constant pieces here are encoded once per session or per process.
 * Every text the generator produces comes from these bytes, so string and byte outputs are identical.
 */
export class EventSerializer {
  private head = OPEN;
  private referrer = OPEN;
  private tail = OPEN;
  private tailWithAgent = OPEN;
  private dayStart = Number.NaN;
  private dayPrefix = OPEN;

  constructor(private readonly random: SeededRandom) {}

  /** Encodes the per-session constants once. */
  setSession(session: PlannedSession): void {
    this.head = ascii(`","user_id":"${session.userId}","session_id":"${session.sessionId}","event_type":"`);
    this.referrer = ascii(`"${session.referrerJson}`);
    // Like browser trackers, the user agent travels with the session's first event only.
    const context = `"ip_address":"${session.ipAddress}","additional_data":${session.additionalPrefix},"load_ms":`;
    this.tail = ascii(`,"device_type":"${session.device}",${context}`);
    this.tailWithAgent = ascii(
      `,"device_type":"${session.device}","user_agent":"${session.userAgent}",${context}`,
    );
  }

  /**
   * Writes one event at `pos` (at least `maxCleanEventBytes` must be free) and returns the end position.
   * `{"event_id":"…","user_id":"…","session_id":"…","event_type":"…","timestamp":"…","page_url":"…"
   * [,"referrer":"…"][,"product_id":…,"price":…][,"quantity":n],"device_type":"…"[,"user_agent":"…"],
   * "ip_address":"…","additional_data":{…}}`
   */
  write(target: Buffer, pos: number, event: PlannedEvent, first: boolean): number {
    const r = this.random;
    let p = pos;
    target.set(OPEN, p);
    p += OPEN.length;
    p = writeUuid(target, p, r.uint32(), r.uint32(), r.uint32(), r.uint32());
    target.set(this.head, p);
    p += this.head.length;
    const type = typePiece(event.type);
    target.set(type, p);
    p += type.length;
    p = this.writeTimestamp(target, p, event.timeMs);
    target.set(PAGE_URL, p);
    p += PAGE_URL.length;
    target.set(event.url, p);
    p += event.url.length;
    target.set(this.referrer, p);
    p += this.referrer.length;
    if (event.product !== undefined) {
      const product = event.product.jsonBytes;
      target.set(product, p);
      p += product.length;
    }
    if (event.quantity !== undefined) {
      target.set(QUANTITY, p);
      p = writeUint(target, p + QUANTITY.length, event.quantity);
    }
    const tail = first ? this.tailWithAgent : this.tail;
    target.set(tail, p);
    p = writeUint(target, p + tail.length, 80 + r.int(1500));
    // Short per-event members: a plain loop beats Buffer#write's argument handling.
    const extra = event.extra;
    for (let k = 0; k < extra.length; k++) target[p++] = extra.charCodeAt(k);
    target[p++] = 0x7d; // }
    target[p++] = 0x7d;
    return p;
  }

  /** `YYYY-MM-DDTHH:MM:SS.sss` (the `Z` comes with the next piece); the date part is cached per day. */
  private writeTimestamp(target: Buffer, pos: number, ms: number): number {
    let offset = ms - this.dayStart;
    if (!(offset >= 0 && offset < DAY_MS)) {
      this.dayStart = ms - (((ms % DAY_MS) + DAY_MS) % DAY_MS);
      this.dayPrefix = ascii(new Date(this.dayStart).toISOString().slice(0, 11));
      offset = ms - this.dayStart;
    }
    target.set(this.dayPrefix, pos);
    let p = pos + this.dayPrefix.length;
    p = writeTwo(target, p, Math.floor(offset / HOUR_MS));
    target[p++] = 0x3a; // :
    p = writeTwo(target, p, Math.floor(offset / 60_000) % 60);
    target[p++] = 0x3a;
    p = writeTwo(target, p, Math.floor(offset / 1000) % 60);
    target[p++] = 0x2e; // .
    const millis = offset % 1000;
    target[p++] = 48 + Math.floor(millis / 100);
    target[p++] = 48 + (Math.floor(millis / 10) % 10);
    target[p++] = 48 + (millis % 10);
    return p;
  }
}

function writeTwo(target: Buffer, p: number, n: number): number {
  target[p] = 48 + Math.floor(n / 10);
  target[p + 1] = 48 + (n % 10);
  return p + 2;
}

function writeUint(target: Buffer, p: number, n: number): number {
  let digits = 1;
  for (let rest = n; rest >= 10; rest = Math.floor(rest / 10)) digits++;
  let rest = n;
  for (let k = p + digits - 1; k >= p; k--) {
    target[k] = 48 + (rest % 10);
    rest = Math.floor(rest / 10);
  }
  return p + digits;
}

function writeHex(target: Buffer, p: number, value: number, nibbles: number): number {
  for (let shift = (nibbles - 1) * 4; shift >= 0; shift -= 4) target[p++] = HEX[(value >>> shift) & 15]!;
  return p;
}

/** Eight hex digits of a 32-bit word, a byte (two digits) per table lookup. */
function writeHex8(target: Buffer, p: number, value: number): number {
  let i = (value >>> 23) & 0x1fe;
  target[p] = HEX_PAIRS[i]!;
  target[p + 1] = HEX_PAIRS[i + 1]!;
  i = (value >>> 15) & 0x1fe;
  target[p + 2] = HEX_PAIRS[i]!;
  target[p + 3] = HEX_PAIRS[i + 1]!;
  i = (value >>> 7) & 0x1fe;
  target[p + 4] = HEX_PAIRS[i]!;
  target[p + 5] = HEX_PAIRS[i + 1]!;
  i = (value << 1) & 0x1fe;
  target[p + 6] = HEX_PAIRS[i]!;
  target[p + 7] = HEX_PAIRS[i + 1]!;
  return p + 8;
}

/** A version-4-shaped UUID (`xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx`) from four random words. */
function writeUuid(target: Buffer, pos: number, a: number, b: number, c: number, d: number): number {
  let p = writeHex8(target, pos, a);
  target[p++] = 0x2d; // -
  p = writeHex(target, p, b >>> 16, 4);
  target[p++] = 0x2d;
  target[p++] = 0x34; // version 4
  p = writeHex(target, p, b & 0xfff, 3);
  target[p++] = 0x2d;
  p = writeHex(target, p, 0x8000 | ((c >>> 16) & 0x3fff), 4);
  target[p++] = 0x2d;
  p = writeHex(target, p, c & 0xffff, 4);
  return writeHex8(target, p, d);
}
