import { open, rm, type FileHandle } from "node:fs/promises";

/** One file of a cut object: where it is, its size, and how many lines (LF) it holds. */
export interface Piece {
  readonly path: string;
  bytes: number;
  lines: number;
}

const LF = 0x0a;
const CR = 0x0d;
const OPEN = 0x7b; // {
const CLOSE = 0x7d; // }

/**
 * Writes a stream of text into files of about `targetBytes` each, so an object of any size is judged a
 * bounded piece at a time. A cut is made only between two records: after an LF that follows a `}` (a CR
 * between them allowed) and precedes a `{`. In valid JSON an LF never lies inside a string, and a `}`
 * then `{` is never inside one value, so no record is cut in two. Text with no such place (one huge
 * value) stays in one piece, however big; the caller decides what that piece costs.
 */
export class PieceCutter {
  readonly pieces: Piece[] = [];
  private handle: FileHandle | undefined;
  private last = -1;
  private beforeLast = -1;
  /** An LF ended the previous chunk after a `}`: a `{` opening this one makes that LF a cut. */
  private pendingCut = false;

  constructor(
    private readonly targetBytes: number,
    private readonly pathFor: (n: number) => string,
  ) {}

  /** Total bytes written so far. */
  get bytes(): number {
    return this.pieces.reduce((sum, p) => sum + p.bytes, 0);
  }

  async write(chunk: Buffer): Promise<void> {
    let rest = chunk;
    if (this.pendingCut && rest.length > 0) {
      this.pendingCut = false;
      if (rest[0] === OPEN) await this.nextPiece();
    }
    while (rest.length > 0) {
      const current = await this.current();
      const room = this.targetBytes - current.bytes;
      const cut = room > rest.length ? -1 : this.findCut(rest, Math.max(0, room - 1));
      if (cut === -1) {
        const n = rest.length;
        const endsAfterRecord =
          rest[n - 1] === LF &&
          (this.at(rest, n - 2) === CLOSE || (this.at(rest, n - 2) === CR && this.at(rest, n - 3) === CLOSE));
        await this.append(rest);
        this.pendingCut = endsAfterRecord && current.bytes >= this.targetBytes;
        return;
      }
      await this.append(rest.subarray(0, cut + 1));
      rest = rest.subarray(cut + 1);
      await this.nextPiece();
    }
  }

  /** Cuts the last piece back to its last LF; returns the start of the bytes cut off (a broken tail). */
  async truncateToLastLine(): Promise<Buffer> {
    const piece = this.pieces.at(-1);
    if (!piece || !this.handle) return Buffer.alloc(0);
    // Back a window at a time until an LF (or the piece's start): the broken line may be long.
    const window = 64 * 1024;
    let cutAt = 0;
    for (let end = piece.bytes; end > 0; end -= window) {
      const start = Math.max(0, end - window);
      const { buffer } = await this.handle.read(Buffer.alloc(end - start), 0, end - start, start);
      const lf = buffer.lastIndexOf(LF);
      if (lf !== -1) {
        cutAt = start + lf + 1;
        break;
      }
    }
    const length = Math.min(window, piece.bytes - cutAt);
    const { buffer: tail } = await this.handle.read(Buffer.alloc(length), 0, length, cutAt);
    await this.handle.truncate(cutAt);
    piece.bytes = cutAt;
    return tail;
  }

  /** Removes every piece written, to start again. */
  async reset(): Promise<void> {
    await this.close();
    await Promise.all(this.pieces.map((p) => rm(p.path, { force: true })));
    this.pieces.length = 0;
    this.last = this.beforeLast = -1;
    this.pendingCut = false;
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
  }

  private at(chunk: Buffer, i: number): number {
    if (i >= 0) return chunk[i]!;
    return i === -1 ? this.last : i === -2 ? this.beforeLast : -1;
  }

  /** The first LF at or after `from` that lies between two records, or -1. */
  private findCut(chunk: Buffer, from: number): number {
    for (let i = chunk.indexOf(LF, from); i !== -1; i = chunk.indexOf(LF, i + 1)) {
      if (i + 1 >= chunk.length || chunk[i + 1] !== OPEN) continue;
      const before = this.at(chunk, i - 1);
      if (before === CLOSE || (before === CR && this.at(chunk, i - 2) === CLOSE)) return i;
    }
    return -1;
  }

  private async current(): Promise<Piece> {
    if (!this.handle) await this.nextPiece();
    return this.pieces.at(-1)!;
  }

  private async nextPiece(): Promise<void> {
    await this.close();
    const path = this.pathFor(this.pieces.length);
    this.handle = await open(path, "w+");
    this.pieces.push({ path, bytes: 0, lines: 0 });
  }

  private async append(bytes: Buffer): Promise<void> {
    if (bytes.length === 0) return;
    const piece = this.pieces.at(-1)!;
    await this.handle!.write(bytes);
    piece.bytes += bytes.length;
    for (let i = bytes.indexOf(LF); i !== -1; i = bytes.indexOf(LF, i + 1)) piece.lines++;
    this.beforeLast = bytes.length >= 2 ? bytes[bytes.length - 2]! : this.last;
    this.last = bytes[bytes.length - 1]!;
  }
}
