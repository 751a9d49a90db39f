import { Command } from "commander";
import { reportError } from "./cli-support.js";
import { registerCommands } from "./commands/index.js";

const program = new Command()
  .name("clickstream")
  .description(
    "Clickstream analytics pipeline: collector → raw JSON → transform (DuckDB) → Parquet → crawl → catalog → Athena SQL.",
  )
  .version("0.1.0")
  .showHelpAfterError()
  .enablePositionalOptions();

registerCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // A flag's parser refused its value (flag-parsers.ts): the code and the fix, never a stack trace.
  reportError(error);
  process.exitCode = 1;
}
