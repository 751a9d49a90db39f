import { limits, reasonMessage } from "../contract/data-contract.js";
import type { StepResult } from "./run-context.js";
import type { SplitReject } from "./record-splitter.js";
import type { SqlRunner } from "./sql-runner.js";
import { defineTable } from "./table-definition.js";

/** Records rejected before DuckDB judged them (per-record path, unreadable objects). */
export const framingRejectsTable = defineTable("framing_rejects", {
  obj: "INTEGER",
  line: "INTEGER",
  sub: "INTEGER",
  reason: "VARCHAR",
  message: "VARCHAR",
  raw: "VARCHAR",
});

type Row = [number, number | null, number, string, string, string];

/**
 * Rejects found by the per-record path in Node, kept beside DuckDB's own until the rejects are written.
 * Each is a record found and a record rejected: the step that found it counts both (`takeCounts`).
 */
export class FramingRejects {
  private readonly rows: Row[] = [];
  /** Rows already counted by a step's result. */
  private counted = 0;

  /** A whole object that cannot be read: one reject, no line, a bounded prefix as its raw text. */
  unreadable(obj: number, message: string, prefix: Buffer): void {
    const detail = message.replace(/^the object cannot be read: /, "");
    this.push([
      obj,
      null,
      0,
      "unreadable_object",
      reasonMessage("unreadable_object", { detail }),
      text(prefix),
    ]);
  }

  add(obj: number, reject: SplitReject, sub: number): void {
    this.push([obj, reject.line, sub, reject.reason, reject.message, text(reject.raw)]);
  }

  private push(row: Row): void {
    this.rows.push(row);
  }

  /** The rejects added since the last call, as records found and rejected: the calling step's counts. */
  takeCounts(): StepResult {
    const rejected: Partial<Record<SplitReject["reason"], number>> = {};
    for (const row of this.rows.slice(this.counted)) {
      const reason = row[3] as SplitReject["reason"];
      rejected[reason] = (rejected[reason] ?? 0) + 1;
    }
    const found = this.rows.length - this.counted;
    this.counted = this.rows.length;
    return { found, rejected };
  }

  async writeTable(sql: SqlRunner): Promise<void> {
    await framingRejectsTable.create(sql);
    await framingRejectsTable.append(sql, this.rows);
  }
}

/** Bytes as reject text: bad UTF-8 shows as U+FFFD, cut to the contract's length. */
function text(bytes: Buffer): string {
  return bytes.toString("utf8").slice(0, limits.maxRejectRawChars);
}
