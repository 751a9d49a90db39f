import type { RejectReason } from "../contract/data-contract.js";

/** One line of errors/: a record that could not be transformed, kept so it can be fixed and replayed. */
export interface RejectRecord {
  readonly reason: RejectReason;
  /** The field at fault, when one field is. */
  readonly field: string | null;
  readonly message: string;
  /** The raw object key the record came from. */
  readonly source: string;
  /** 1-based line of the record's start in the (decompressed) object, where known. */
  readonly line: number | null;
  /** The record's original text (for unreadable objects: empty). */
  readonly raw: string;
}
