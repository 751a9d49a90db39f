import type { Storage } from "../storage/storage.js";
import { stateKeys } from "../storage/warehouse-layout.js";
import type { HistoryEntry } from "./api-types.js";

/** Where the workbench keeps its history, in the state bucket beside the catalog. */
const historyKey = stateKeys.consoleQueryHistory;

/**
 * The query history, newest first, capped, persisted as one JSON file written atomically after each
 * change (so it survives restarts). Writes are chained so two queries finishing together cannot
 * interleave; a corrupt file is kept aside rather than overwritten.
 */
export class QueryHistory {
  private writes: Promise<void> = Promise.resolve();

  private constructor(
    private readonly storage: Storage,
    private entries: HistoryEntry[],
    private readonly maxEntries: number,
  ) {}

  static async open(storage: Storage, maxEntries: number): Promise<QueryHistory> {
    let entries: HistoryEntry[] = [];
    if (await storage.stat("state", historyKey)) {
      const text = (await storage.readBytes("state", historyKey)).toString("utf8");
      try {
        const parsed = JSON.parse(text) as { entries?: unknown };
        if (!Array.isArray(parsed.entries)) throw new Error("no entries array");
        entries = parsed.entries as HistoryEntry[];
      } catch {
        await storage.rename("state", historyKey, `${historyKey}.corrupt-${Date.now()}`);
      }
    }
    // A query that was running when the console stopped did not finish.
    for (const entry of entries) {
      if (entry.status === "running")
        Object.assign(entry, { status: "cancelled", errorMessage: "the console stopped" });
    }
    return new QueryHistory(storage, entries, maxEntries);
  }

  list(): readonly HistoryEntry[] {
    return this.entries;
  }

  add(entry: HistoryEntry): Promise<void> {
    this.entries = [entry, ...this.entries].slice(0, this.maxEntries);
    return this.save();
  }

  update(id: string, patch: Partial<HistoryEntry>): Promise<void> {
    const entry = this.entries.find((e) => e.id === id);
    if (!entry) return Promise.resolve();
    Object.assign(entry, patch);
    return this.save();
  }

  /** Waits for pending writes (on close). */
  flushed(): Promise<void> {
    return this.writes;
  }

  private save(): Promise<void> {
    const body = `${JSON.stringify({ entries: this.entries }, null, 1)}\n`;
    this.writes = this.writes
      .catch(() => undefined)
      .then(async () => {
        // Queries name what their authors looked for: readable by the console's user only.
        await this.storage.writeAtomic("state", historyKey, body, { ownerOnly: true });
      });
    return this.writes;
  }
}
