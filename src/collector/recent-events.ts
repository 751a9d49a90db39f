import type { IngestApi, RecordsListener } from "./collector-core.js";

/** One record as the collector saw it, for the console's live panel (checking a tracker integration). */
export interface LiveEvent {
  /** When the collector received it (ISO instant). */
  receivedAt: string;
  /** Which API it came through, or `raw` when it was read back from a raw object. */
  source: IngestApi | "raw";
  /** `accepted`: stored (raw/); `rejected`: refused, with the reason; `pending`: stored, not yet transformed. */
  state: "accepted" | "rejected" | "pending";
  /** The collector's or the transform's reject reason (`malformed_json`, `missing_field`, …). */
  reason?: string;
  message?: string;
  /** The record's text (cut at `maxTextChars`). */
  text: string;
}

/** Where the live panel gets recent events: the in-process collector, or the warehouse's raw objects. */
export interface LiveEventSource {
  /** Says where the events come from, shown on the panel. */
  readonly description: string;
  /** The newest events first, at most `limit`. */
  recent(limit: number): Promise<LiveEvent[]>;
}

const maxTextChars = 2000;

/**
 * The last N records the collector accepted or refused, in memory (a ring buffer): the hook a process
 * running both the collector and the console (`clickstream pipeline`) passes to the live panel. The
 * collector server makes it the core's `onRecords` listener.
 */
export class RecentEvents implements LiveEventSource, RecordsListener {
  readonly description =
    "the collector in this process (records as received, before the transform judges them)";
  private readonly ring: LiveEvent[] = [];
  private next = 0;

  constructor(private readonly capacity = 200) {}

  /** Records one request's accepted payload (one record per line). */
  accepted(api: IngestApi, payload: Buffer): void {
    const receivedAt = new Date().toISOString();
    // Only the tail can be shown; don't split a 4 MiB batch to keep its last 200 lines.
    const tail = payload.subarray(Math.max(0, payload.length - this.capacity * maxTextChars));
    const lines = tail.toString("utf8").split("\n").filter(Boolean).slice(-this.capacity);
    for (const line of lines) this.push({ receivedAt, source: api, state: "accepted", text: cut(line) });
  }

  /** Records a refused record with the collector's reason. */
  rejected(api: IngestApi, reason: string, message: string, text = ""): void {
    this.push({
      receivedAt: new Date().toISOString(),
      source: api,
      state: "rejected",
      reason,
      message,
      text: cut(text),
    });
  }

  async recent(limit: number): Promise<LiveEvent[]> {
    const ordered = [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)].reverse();
    return ordered.slice(0, limit);
  }

  private push(event: LiveEvent): void {
    if (this.ring.length < this.capacity) this.ring.push(event);
    else this.ring[this.next] = event;
    this.next = (this.next + 1) % this.capacity;
  }
}

function cut(text: string): string {
  return text.length > maxTextChars ? `${text.slice(0, maxTextChars)}…` : text;
}
