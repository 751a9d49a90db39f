import type { Command } from "commander";

/** Every CLI command, one file each under this folder. Add yours here (one line). */
export function registerCommands(program: Command): void {
  void program;
}
