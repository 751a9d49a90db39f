import { readFile } from "node:fs/promises";
import { Command, Option } from "commander";
import { ClickstreamError, isClickstreamError, wrapError } from "../../errors/clickstream-error.js";
import { parseQueryFile, pickStatement, type NamedStatement } from "../../query/query-file.js";
import type { QueryResult } from "../../query/query-result.js";
import { formatResult, resultFormats, toObjects, type ResultFormat } from "../../query/result-formatter.js";
import { saveResult } from "../../query/result-store.js";
import {
  action,
  configOption,
  reportError,
  storageFromOptions,
  storageOptions,
  warehouseOption,
  withExamples,
  type StorageFlags,
} from "../cli-support.js";
import { instantFlag, integerFlag } from "../flag-parsers.js";
import { plural } from "../../format/human-format.js";
import { writeTerminal } from "../../terminal/terminal-text.js";

interface QueryOptions extends StorageFlags {
  warehouse?: string;
  engine: "local" | "athena";
  format: ResultFormat;
  spreadsheetSafe?: boolean;
  output?: boolean;
  file?: string;
  name?: string;
  now?: Date;
  timeoutMs?: number;
  maxRows?: number;
  maxBytes?: number;
  param: string[];
}

/** `clickstream query`: Athena SQL on the local warehouse. */
export function queryCommand(): Command {
  const command = new Command("query")
    .description(
      "Run Athena (Trino) SQL on the catalog tables with DuckDB: `transformed` and `clickstream_db.transformed` resolve; only catalogued partitions are visible. Read-only.",
    )
    .argument("[sql]", "one SQL statement (or use --file)")
    .addOption(warehouseOption())
    .addOption(configOption())
    .addOption(new Option("--format <format>", "output format").choices(resultFormats).default("table"))
    .option(
      "--spreadsheet-safe",
      "with --format csv: prefix cells that start with = + - @ tab or CR with ' so a spreadsheet shows them as text, not formulas",
    )
    .option("--output", "also save the result as CSV under athena-results/ and print its key")
    .option("--file <file>", "run a file of `;`-separated statements")
    .option(
      "--name <name>",
      "with --file: run only the statement named by `-- Query N: Title` (N, title or title prefix)",
    )
    .option(
      "--now <instant>",
      "pin current_date / now() to this ISO-8601 instant (reproducible reports)",
      instantFlag("--now"),
    )
    .option(
      "--timeout-ms <ms>",
      "per-query time limit (default: query.timeoutMs)",
      integerFlag("--timeout-ms", { min: 1 }),
    )
    .option(
      "--max-rows <n>",
      "result row cap (default: query.maxResultRows)",
      integerFlag("--max-rows", { min: 1 }),
    )
    .option(
      "--max-bytes <bytes>",
      "result size cap in bytes of CSV/JSON text (default: query.maxResultBytes)",
      integerFlag("--max-bytes", { min: 1024 }),
    )
    .option(
      "--param <value>",
      "a value for the next `?` placeholder, bound as a string (repeat for each; Athena: ExecutionParameters)",
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .addOption(
      new Option("--engine <engine>", "local: DuckDB on the warehouse; athena: the deployed Athena workgroup")
        .choices(["local", "athena"])
        .default("local"),
    );
  for (const option of storageOptions()) command.addOption(option);
  command.action(
    action(async (sql: string | undefined, opts: QueryOptions) => {
      if ((sql === undefined) === (opts.file === undefined)) {
        throw new ClickstreamError("CS_ERR_INVALID_ARGUMENT", "give either SQL or --file FILE");
      }
      if (opts.name && !opts.file)
        throw new ClickstreamError("CS_ERR_INVALID_ARGUMENT", "--name needs --file");
      if (opts.spreadsheetSafe && opts.format !== "csv")
        throw new ClickstreamError("CS_ERR_INVALID_ARGUMENT", "--spreadsheet-safe needs --format csv");
      let statements: NamedStatement[];
      if (opts.file) {
        const text = await readFile(opts.file, "utf8").catch((error: unknown) => {
          throw wrapError("CS_ERR_INVALID_ARGUMENT", error, `cannot read --file ${opts.file}`);
        });
        statements = parseQueryFile(text);
        if (opts.name) statements = [pickStatement(statements, opts.name)];
      } else {
        statements = parseQueryFile(sql!);
      }
      if (opts.engine === "athena") {
        const { queryOnAthena } = await import("../../aws/cli-engines.js");
        const labelled = statements.map((st) => ({
          sql: st.sql,
          label: st.number ? `Query ${st.number}: ${st.title}` : (st.title ?? null),
        }));
        return queryOnAthena(labelled, {
          ...opts,
          format: opts.format,
          spreadsheetSafe: opts.spreadsheetSafe,
          params: opts.param,
        });
      }
      const { config, storage } = await storageFromOptions(opts, {
        query: {
          timeoutMs: opts.timeoutMs,
          maxResultRows: opts.maxRows,
          maxResultBytes: opts.maxBytes,
          now: opts.now?.toISOString(),
        },
      });
      // Loaded on use: DuckDB costs every other command's start-up otherwise.
      const { openQueryEngine } = await import("../../query/query-engine.js");
      const engine = await openQueryEngine({ storage, config });
      try {
        // Several statements as json: one array of { query, title, rows | error } so stdout stays one document.
        const many: Record<string, unknown>[] = [];
        const jsonArray = statements.length > 1 && opts.format === "json";
        const failed: string[] = [];
        for (const statement of statements) {
          const label = statement.number
            ? `Query ${statement.number}: ${statement.title}`
            : (statement.title ?? `statement ${statement.index}`);
          if (statements.length > 1 && opts.format === "table")
            writeTerminal(process.stdout, `-- ${label}\n`);
          let result: QueryResult;
          try {
            result = await engine.run(statement.sql, { params: opts.param });
          } catch (error) {
            // One statement's failure is reported and the rest still run (a file may hold statements the
            // local engine refuses, such as ANALYZE); a single statement fails the command as before.
            if (statements.length === 1) throw error;
            const e = isClickstreamError(error) ? error : wrapError("CS_ERR_INTERNAL", error);
            failed.push(label);
            writeTerminal(process.stderr, `-- ${label}\n`);
            reportError(e);
            if (jsonArray) {
              many.push({
                query: statement.number ?? String(statement.index),
                title: statement.title ?? null,
                error: { code: e.code, message: e.message },
              });
            }
            continue;
          }
          if (jsonArray) {
            many.push({
              query: statement.number ?? String(statement.index),
              title: statement.title ?? null,
              rows: toObjects(result),
            });
          } else process.stdout.write(formatResult(result, opts.format, opts));
          if (opts.output) {
            const saved = await saveResult(storage, result, statement.sql);
            // Keep stdout parseable for json/csv: the key then goes to stderr.
            writeTerminal(opts.format === "table" ? process.stdout : process.stderr, `saved ${saved.key}\n`);
          }
        }
        if (jsonArray) process.stdout.write(`${JSON.stringify(many, null, 2)}\n`);
        if (failed.length > 0) {
          writeTerminal(
            process.stderr,
            `${failed.length} of ${plural(statements.length, "statement")} failed: ${failed.join("; ")}\n`,
          );
          process.exitCode = 1;
        }
      } finally {
        engine.close();
      }
    }),
  );
  return withExamples(command, [
    `clickstream query "SELECT event_type, count(*) AS events FROM transformed GROUP BY 1 ORDER BY 2 DESC"`,
    `clickstream query --format json "SELECT * FROM clickstream_db.transformed WHERE year = '2026' AND month = '11' AND day = '05' LIMIT 5"`,
    "clickstream query --file queries/athena_queries.sql --name 2",
    `clickstream query --file queries/athena_queries.sql --name "Daily revenue" --format csv --output`,
    `clickstream query --format csv --spreadsheet-safe "SELECT page_url, count(*) AS views FROM transformed GROUP BY 1" > views.csv`,
    `clickstream query --now 2026-11-07T12:00:00Z "SELECT count(*) FROM transformed WHERE event_date = current_date"`,
    `clickstream query "SHOW PARTITIONS transformed"`,
    `clickstream query "MSCK REPAIR TABLE transformed"`,
    `clickstream query --file queries/dashboard.sql --name overview --param 2026-11-18 --param 2026-11-24`,
    `clickstream query --engine athena --file queries/athena_queries.sql --name 1   # on the deployed Athena`,
  ]);
}
