import type { Command } from "commander";
import { sendCommand } from "./send-command.js";
import { serveCommand } from "./serve-command.js";

/** Every CLI command, one file each under this folder. Add yours here (one line). */
export function registerCommands(program: Command): void {
  void program;
  program.addCommand(serveCommand());
  program.addCommand(sendCommand());
}
