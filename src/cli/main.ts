import { Command } from "commander";
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

await program.parseAsync(process.argv);
