/**
 * Appends record texts straight into large byte chunks. Writing each text into a Buffer as soon as it is
 * made keeps the short-lived strings in V8's young generation; collecting millions of strings and joining
 * them later was dominated by garbage collection.
 */
export class ChunkBuffer {
  private chunk: Buffer;
  private offset = 0;
  private readonly full: Buffer[] = [];

  constructor(private readonly chunkBytes = 4 * 1024 * 1024) {
    this.chunk = Buffer.allocUnsafe(chunkBytes);
  }

  /** Bytes buffered (completed chunks plus the current one). */
  get size(): number {
    let total = this.offset;
    for (const b of this.full) total += b.length;
    return total;
  }

  /** Appends a string as UTF-8 (`ascii`: the caller knows it is ASCII), then LF or CRLF when asked. */
  appendText(text: string, ascii = false, lineEnd: "" | "\n" | "\r\n" = ""): void {
    // A UTF-16 code unit never takes more than 3 UTF-8 bytes.
    const need = (ascii ? text.length : text.length * 3) + 2;
    if (this.offset + need > this.chunk.length) this.roll(need);
    // latin1 is the cheapest encoder and identical to UTF-8 for ASCII text.
    this.offset += this.chunk.write(text, this.offset, ascii ? "latin1" : "utf8");
    if (lineEnd === "\r\n") this.chunk[this.offset++] = 13;
    if (lineEnd !== "") this.chunk[this.offset++] = 10;
  }

  /** Makes room for `n` bytes and returns the chunk to write into, from `position` on; then call `commit`. */
  reserve(n: number): Buffer {
    if (this.offset + n > this.chunk.length) this.roll(n);
    return this.chunk;
  }

  /** Where the next byte goes in the chunk `reserve` returned. */
  get position(): number {
    return this.offset;
  }

  /** Marks the chunk filled up to `end` (after writing into what `reserve` returned). */
  commit(end: number): void {
    this.offset = end;
  }

  /** Appends raw bytes. */
  appendBytes(bytes: Buffer): void {
    if (this.offset + bytes.length > this.chunk.length) this.roll(bytes.length);
    bytes.copy(this.chunk, this.offset);
    this.offset += bytes.length;
  }

  /** Takes every completed byte so far, leaving the buffer empty. */
  take(): Buffer[] {
    if (this.offset > 0) {
      this.full.push(this.chunk.subarray(0, this.offset));
      this.chunk = Buffer.allocUnsafe(this.chunkBytes);
      this.offset = 0;
    }
    return this.full.splice(0, this.full.length);
  }

  /** Completed chunks are ready to be written (at least one chunk is full). */
  get hasFullChunk(): boolean {
    return this.full.length > 0;
  }

  private roll(need: number): void {
    if (this.offset > 0) this.full.push(this.chunk.subarray(0, this.offset));
    this.chunk = Buffer.allocUnsafe(Math.max(this.chunkBytes, need));
    this.offset = 0;
  }
}
