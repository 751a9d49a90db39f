import { open, type FileHandle } from "node:fs/promises";

const FIELD = 0x01; // never valid in JSON text, so it can separate columns without quoting
const NEWLINE = 0x0a;
const FLUSH_BYTES = 8 << 20; // 8 MiB

/**
 * Appends candidate records as `seq \x01 obj \x01 line \x01 checked \x01 text \n` to a staging file that DuckDB reads with
 * read_csv (delim \x01, no quoting). Records must not contain `\x01`, `\r`, `\n` or NUL; the splitter
 * guarantees it. Writes are batched into large buffers: per-record writes would dominate the run.
 */
export class StagingWriter {
  private buffer = Buffer.allocUnsafe(FLUSH_BYTES * 2);
  private used = 0;
  private pending: Promise<unknown> = Promise.resolve();
  records = 0;

  private constructor(private readonly handle: FileHandle) {}

  static async create(path: string): Promise<StagingWriter> {
    return new StagingWriter(await open(path, "w"));
  }

  /**
   * Adds one record; `text` is a slice of the object's bytes. `seq` orders records by arrival (first
   * arrival wins on duplicates); it defaults to the running count.
   */
  add(
    obj: number,
    line: number,
    text: Buffer,
    checked: boolean,
    seq = this.records,
  ): Promise<void> | undefined {
    const header = `${seq}\x01${obj}\x01${line}\x01${checked ? "true" : "false"}\x01`;
    const need = header.length + text.length + 1;
    if (this.used + need > this.buffer.length) {
      return this.flush().then(() => {
        if (need > this.buffer.length) this.buffer = Buffer.allocUnsafe(need * 2);
        return this.add(obj, line, text, checked, seq);
      });
    }
    this.used += this.buffer.write(header, this.used, "latin1");
    this.used += text.copy(this.buffer, this.used);
    this.buffer[this.used++] = NEWLINE;
    this.records++;
    return this.used >= FLUSH_BYTES ? this.flush() : undefined;
  }

  async flush(): Promise<void> {
    if (this.used === 0) return;
    const chunk = this.buffer.subarray(0, this.used);
    // Double-buffering: hand this buffer to the OS and fill a fresh one meanwhile.
    await this.pending;
    this.pending = this.handle.write(chunk);
    this.buffer = Buffer.allocUnsafe(this.buffer.length);
    this.used = 0;
  }

  async close(): Promise<void> {
    await this.flush();
    await this.pending;
    await this.handle.close();
  }
}

export const stagingColumnSeparator = String.fromCharCode(FIELD);
