import { Command } from "commander";
import { ClickstreamError } from "../errors/clickstream-error.js";
import { reportError } from "./cli-support.js";
import { registerCommands } from "./commands/index.js";

const program = new Command()
  .name("clickstream")
  .description(
    "Clickstream analytics pipeline: collector → raw JSON → transform (DuckDB) → Parquet → crawl → catalog → Athena SQL.",
  )
  .version("0.1.0")
  .enablePositionalOptions();

registerCommands(program);

// Commander's own refusals (unknown option, a value outside --format's choices, a missing argument) get
// the catalogue's code and fix too, in every command.
for (const command of [program, ...program.commands]) {
  command.configureOutput({
    outputError: (message, write) => {
      // No whole help after it: the fix names --help, and a suggestion ("Did you mean query?") is the answer.
      const detail = message
        .replace(/^error:\s*/, "")
        .replace(/\s*\((Did you mean .*\?)\)/, ". $1")
        .trim();
      reportError(new ClickstreamError("CS_ERR_INVALID_ARGUMENT", detail), write);
    },
  });
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // A flag's parser refused its value (flag-parsers.ts): the code and the fix, never a stack trace.
  reportError(error);
  process.exitCode = 1;
}
