import type { Command } from "commander";
import { catalogCommand } from "./catalog-command.js";
import { crawlCommand } from "./crawl-command.js";
import { queryCommand } from "./query-command.js";

/** Every CLI command, one file each under this folder. Add yours here (one line). */
export function registerCommands(program: Command): void {
  program.addCommand(crawlCommand());
  program.addCommand(catalogCommand());
  program.addCommand(queryCommand());
}
