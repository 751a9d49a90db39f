/**
 * Bytes accepted but not yet delivered, across all streams. Requests reserve before writing to the WAL
 * and get a 503 when the reservation does not fit: back-pressure instead of loss or unbounded memory.
 */
export class BufferBudget {
  private used = 0;

  constructor(readonly maxBytes: number) {}

  get usedBytes(): number {
    return this.used;
  }

  get availableBytes(): number {
    return Math.max(0, this.maxBytes - this.used);
  }

  /** Reserves `bytes` if they fit; false otherwise. */
  tryReserve(bytes: number): boolean {
    if (this.used + bytes > this.maxBytes) return false;
    this.used += bytes;
    return true;
  }

  /** Reserves regardless of the limit (records recovered from the WAL are already accepted). */
  force(bytes: number): void {
    this.used += bytes;
  }

  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }
}
