import { propertiesFromText } from "./properties-text.js";
import type { RunContext, StepResult } from "./run-context.js";
import { defineTable } from "./table-definition.js";

/** Properties objects mapped from the record's exact text, one entry a row in order (`ord`). */
export const propertyEntriesTable = defineTable("property_entries", {
  obj: "INTEGER",
  line: "INTEGER",
  sub: "INTEGER",
  k: "VARCHAR",
  v: "VARCHAR",
  ord: "INTEGER",
});

/** Step 4d, properties: the properties objects DuckDB could not map in bulk, mapped from the record's exact text. */
export async function resolveProperties(ctx: RunContext): Promise<StepResult> {
  const { sql } = ctx;
  const pending = (await sql.rows(
    `SELECT obj, line, sub, raw FROM judged WHERE properties_pending AND reason IS NULL`,
  )) as { obj: number; line: number; sub: number; raw: string }[];
  if (pending.length === 0) return {};
  await propertyEntriesTable.create(sql);
  const rows: [number, number, number, string, string, number][] = [];
  for (const p of pending) {
    for (const [i, [k, v]] of (propertiesFromText(p.raw, "properties") ?? []).entries()) {
      rows.push([p.obj, p.line, p.sub, k, v, i]);
    }
  }
  await propertyEntriesTable.append(sql, rows);
  await sql.run(`UPDATE judged SET properties = e.m FROM (
      SELECT obj, line, sub, map_from_entries(list({'k': k, 'v': v} ORDER BY ord)) AS m
      FROM property_entries GROUP BY obj, line, sub) e
    WHERE judged.obj = e.obj AND judged.line = e.line AND judged.sub = e.sub`);
  return {};
}
