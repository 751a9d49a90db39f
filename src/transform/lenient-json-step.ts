import { reasonMessage } from "../contract/data-contract.js";
import type { RunContext, StepResult } from "./run-context.js";
import { defineTable } from "./table-definition.js";

/** Records a strict JSON parser rejected although DuckDB's lenient one took them. */
export const lenientTable = defineTable("lenient", { obj: "INTEGER", line: "INTEGER", sub: "INTEGER" });

/**
 * Step 4c, strict JSON: DuckDB's JSON reader accepts a few things RFC 8259 does not (NaN/Infinity, trailing commas). The rules
 * flag records whose text could hold them; JSON.parse, a strict parser, decides.
 */
export async function rejectLenientJson(ctx: RunContext): Promise<StepResult> {
  const { sql } = ctx;
  const suspects = (await sql.rows(
    `SELECT obj, line, sub, raw FROM judged WHERE suspect AND reason IS DISTINCT FROM 'malformed_json'`,
  )) as { obj: number; line: number; sub: number; raw: string }[];
  const bad = suspects.filter((s) => {
    try {
      JSON.parse(s.raw);
      return false;
    } catch {
      return true;
    }
  });
  if (bad.length === 0) return {};
  await lenientTable.create(sql);
  await lenientTable.append(
    sql,
    bad.map((b) => [b.obj, b.line, b.sub]),
  );
  await sql.run(
    `UPDATE judged SET reason = 'malformed_json', field = NULL, message = $message, unknown_fields = NULL,
       event_time = NULL
     FROM lenient l WHERE judged.obj = l.obj AND judged.line = l.line AND judged.sub = l.sub`,
    { message: reasonMessage("malformed_json") },
  );
  return {};
}
