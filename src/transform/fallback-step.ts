import { frameLines } from "./line-framing.js";
import { frameNotTextObjects } from "./not-text-objects.js";
import type { FramingPass } from "./framing-pass.js";
import { ruleValues } from "./judge-step.js";
import { buildRulesSql } from "./record-rules-sql.js";
import { combinedResult, type RunContext, type StepResult } from "./run-context.js";
import { StagingWriter, stagedRecordsSql, stagingValues } from "./staging-writer.js";
import { defineTable } from "./table-definition.js";

/** The judged placeholders the per-record path replaced. */
export const replacedLinesTable = defineTable("replaced_lines", { obj: "INTEGER", line: "INTEGER" });

/**
 * Step 4, the per-record path: what DuckDB could not frame in bulk, record by record in Node, with
 * exactly the contract's framing rules (record-splitter.ts, the same code the vectors check): whole
 * objects that are not UTF-8 text (not-text-objects.ts), then lines that are not one record as they
 * stand (line-framing.ts). The records found go to the staging file (`ctx.stagingPath`) and replace
 * their placeholders in `judged`, through the same rules SQL. The steps after it re-judge what DuckDB
 * judged in bulk but not exactly: number literals, lenient JSON, properties.
 */
export async function fallbackRecords(ctx: RunContext): Promise<StepResult> {
  const { sql, rejects } = ctx;
  const staging = await StagingWriter.create(ctx.stagingPath);
  const pass: FramingPass = {
    pathOf: new Map(
      (await sql.rows(`SELECT obj, path FROM text_files`)).map((r) => [Number(r.obj), String(r.path)]),
    ),
    sinkFor: (obj, subs) => ({
      record: (line, text, checked) => {
        const sub = (subs.get(line) ?? 0) + 1;
        subs.set(line, sub);
        return staging.add(obj, line, sub, text, checked);
      },
      reject: (reject) => {
        const sub = (subs.get(reject.line ?? 0) ?? 0) + 1;
        subs.set(reject.line ?? 0, sub);
        rejects.add(obj, reject, sub);
      },
    }),
    replaced: [],
  };
  let found = 0;
  try {
    found += await frameNotTextObjects(ctx, pass);
    await frameLines(ctx, pass);
  } finally {
    await staging.close();
  }
  found += staging.records;

  if (pass.replaced.length > 0) {
    await replacedLinesTable.create(sql);
    await replacedLinesTable.append(sql, pass.replaced);
    // The judge counted those lines as one record each; what this step found there replaces them.
    const [row] = await sql.rows(`SELECT count(*)::BIGINT AS n FROM judged j
      WHERE j.kind = 'fast' AND EXISTS (SELECT 1 FROM replaced_lines r WHERE r.obj = j.obj AND r.line = j.line)`);
    found -= Number(row!.n);
    await sql.run(
      `DELETE FROM judged USING replaced_lines r WHERE judged.obj = r.obj AND judged.line = r.line`,
    );
  }
  if (staging.records > 0) {
    await sql.run(`INSERT INTO judged BY NAME ${buildRulesSql(stagedRecordsSql())}`, {
      ...ruleValues(ctx),
      ...stagingValues(staging.path),
    });
  }
  return combinedResult({ found }, rejects.takeCounts());
}
