import { open, type FileHandle } from "node:fs/promises";
import { quotedString } from "@duckdb/node-api";
import { limits } from "../contract/data-contract.js";
import { STAGED_CR, STAGED_LF } from "./one-object-line.js";

const FIELD = 0x01; // never valid in JSON text, so it can separate columns without quoting
const NEWLINE = 0x0a;
const FLUSH_BYTES = 8 << 20; // 8 MiB

/** Columns of a staging file: records the per-record path found, for DuckDB to judge. */
export const stagedColumns = {
  obj: "INTEGER",
  line: "INTEGER",
  sub: "INTEGER",
  checked: "BOOLEAN",
  raw: "VARCHAR",
} as const;

/**
 * Appends records as `obj \x01 line \x01 sub \x01 checked \x01 text \n` to a staging file that DuckDB reads
 * with read_csv (delim \x01, no quoting). Records must not contain `\x01`, `\r`, `\n` or NUL; the splitter
 * guarantees it. Writes are batched into large buffers: per-record writes would dominate.
 */
export class StagingWriter {
  private buffer = Buffer.allocUnsafe(FLUSH_BYTES * 2);
  private used = 0;
  private pending: Promise<unknown> = Promise.resolve();
  records = 0;

  private constructor(
    private readonly handle: FileHandle,
    readonly path: string,
  ) {}

  static async create(path: string): Promise<StagingWriter> {
    return new StagingWriter(await open(path, "w"), path);
  }

  /** Adds one record; `sub` orders several records found on one line (first arrival wins on duplicates). */
  add(obj: number, line: number, sub: number, text: Buffer, checked: boolean): Promise<void> | undefined {
    const header = `${obj}\x01${line}\x01${sub}\x01${checked ? "true" : "false"}\x01`;
    const need = header.length + text.length + 1;
    if (this.used + need > this.buffer.length) {
      return this.flush().then(() => {
        if (need > this.buffer.length) this.buffer = Buffer.allocUnsafe(need * 2);
        return this.add(obj, line, sub, text, checked);
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

/** The values `stagedRecordsSql` binds. */
export const stagingValues = (path: string): { staging_path: string } => ({ staging_path: path });

export const stagingColumnSeparator = String.fromCharCode(FIELD);

/**
 * A relation over the staging file, as candidate records of the rules SQL (kind `fast`); its path is
 * bound as `$staging_path` (`stagingValues`).
 */
export function stagedRecordsSql(): string {
  // A multi-line record travels with its LF/CR as two control bytes (record-splitter.ts): restored here.
  return `(SELECT obj, line, sub, checked, replace(replace(raw, chr(${STAGED_LF}), chr(10)), chr(${STAGED_CR}), chr(13)) AS raw,
      'fast' AS kind FROM read_csv($staging_path,
      columns = {'obj': 'INTEGER', 'line': 'INTEGER', 'sub': 'INTEGER', 'checked': 'BOOLEAN', 'raw': 'VARCHAR'},
      delim = ${quotedString(stagingColumnSeparator)}, quote = '', escape = '', header = false, auto_detect = false,
      new_line = '\\n', max_line_size = ${limits.maxRecordBytes * 2 + 64}))`;
}
