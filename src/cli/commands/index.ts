import type { Command } from "commander";
import { catalogCommand } from "./catalog-command.js";
import { compactCommand } from "./compact-command.js";
import { consoleCommand } from "./console-command.js";
import { crawlCommand } from "./crawl-command.js";
import { demoCommand } from "./demo-command.js";
import { generateCommand } from "./generate-command.js";
import { pipelineCommand } from "./pipeline-command.js";
import { queryCommand } from "./query-command.js";
import { sendCommand } from "./send-command.js";
import { serveCommand } from "./serve-command.js";
import { transformCommand } from "./transform-command.js";

/** Every CLI command, one file each under this folder, in pipeline order. */
export function registerCommands(program: Command): void {
  program.addCommand(generateCommand());
  program.addCommand(serveCommand());
  program.addCommand(sendCommand());
  program.addCommand(transformCommand());
  program.addCommand(compactCommand());
  program.addCommand(crawlCommand());
  program.addCommand(catalogCommand());
  program.addCommand(queryCommand());
  program.addCommand(pipelineCommand());
  program.addCommand(consoleCommand());
  program.addCommand(demoCommand());
}
