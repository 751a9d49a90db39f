import type { Command } from "commander";
import { transformCommand } from "./transform-command.js";

/** Every CLI command, one file each under this folder. Add yours here (one line). */
export function registerCommands(program: Command): void {
  program.addCommand(transformCommand());
}
