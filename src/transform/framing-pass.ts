import type { SplitSink } from "./record-splitter.js";

/**
 * What the per-record path's framing jobs share: each object's local file, a sink per object for what
 * the splitter finds (records to the staging file, rejects to the framing rejects), and the judged
 * placeholders they replace (`[obj, line]`; line 0 for a whole object).
 */
export interface FramingPass {
  readonly pathOf: ReadonlyMap<number, string>;
  /** `subs` numbers the records found on each line of the object (shared by one object's calls). */
  readonly sinkFor: (obj: number, subs: Map<number, number>) => SplitSink;
  readonly replaced: [number, number][];
}
