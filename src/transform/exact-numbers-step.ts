import { epochMillis, isWholeLiteral } from "./exact-number.js";
import { exactNumberFields } from "./field-rules-sql.js";
import { ruleValues } from "./judge-step.js";
import { memberText } from "./properties-text.js";
import { buildRulesSql } from "./record-rules-sql.js";
import type { RunContext, StepResult } from "./run-context.js";
import { defineTable } from "./table-definition.js";

/** Records judged again with their number literals' exact values (x_<field>: see exactNumberFields). */
export const exactLinesTable = defineTable("exact_lines", {
  obj: "INTEGER",
  line: "INTEGER",
  sub: "INTEGER",
  raw: "VARCHAR",
  // Epoch milliseconds for the timestamp; for a quantity whether it is whole, as 0/1 (the appender
  // takes no BOOLEAN; the relation that reads it casts it).
  ...Object.fromEntries(
    exactNumberFields.map((f) => [`x_${f.name}`, f.kind === "timestamp" ? "BIGINT" : "INTEGER"] as const),
  ),
});

/**
 * Step 4b, exact numbers: records whose timestamp or quantity is a non-integer literal, judged again with the literals' exact
 * values (exact-number.ts) through the same rules: a double rounds `1764064800.1239999999` up and reads
 * `1e-428` as 0.
 */
export async function resolveExactNumbers(ctx: RunContext): Promise<StepResult> {
  const { sql } = ctx;
  const pending = (await sql.rows(
    `SELECT obj, line, sub, raw FROM judged WHERE numbers_pending AND reason IS DISTINCT FROM 'malformed_json'`,
  )) as { obj: number; line: number; sub: number; raw: string }[];
  if (pending.length === 0) return {};
  await exactLinesTable.create(sql);
  await exactLinesTable.append(
    sql,
    pending.map((p) => [
      p.obj,
      p.line,
      p.sub,
      p.raw,
      ...exactNumberFields.map((f) => {
        const text = memberText(p.raw, f.name);
        if (text === undefined || !/^-?[0-9]/.test(text)) return null;
        if (f.kind === "timestamp") return epochMillis(text)?.toString() ?? null;
        return isWholeLiteral(text) ? 1 : 0;
      }),
    ]),
  );
  await sql.run(
    `DELETE FROM judged USING exact_lines e WHERE judged.obj = e.obj AND judged.line = e.line AND judged.sub = e.sub`,
  );
  const xs = exactNumberFields.map((f) =>
    f.kind === "timestamp" ? `x_${f.name}` : `x_${f.name}::BOOLEAN AS x_${f.name}`,
  );
  const input = `(SELECT obj, line, sub, false AS checked, raw, 'fast' AS kind, ${xs.join(", ")} FROM exact_lines)`;
  await sql.run(
    `INSERT INTO judged BY NAME ${buildRulesSql(input, { exactNumbers: true })}`,
    ruleValues(ctx),
  );
  await sql.run(`DROP TABLE exact_lines`);
  return {};
}
