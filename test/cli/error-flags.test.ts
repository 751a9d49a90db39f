import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Command } from "commander";
import { registerCommands } from "../../src/cli/commands/index.js";
import { acquireWalLock } from "../../src/collector/wal-lock.js";
import { tempDir } from "../support/temp-dir.js";

const run = promisify(execFile);
const bin = fileURLToPath(new URL("../../../bin/clickstream", import.meta.url));

/** Runs the CLI; resolves with its exit code and the error it printed (the `error …` line and its fix). */
async function failure(args: string[]): Promise<{ code: number; error: string }> {
  try {
    await run(process.execPath, [bin, ...args], { timeout: 60_000 });
    return { code: 0, error: "" };
  } catch (e) {
    const { code, stderr } = e as { code: number; stderr: string };
    return { code, error: stderr.slice(Math.max(0, stderr.indexOf("error CS_ERR_"))) };
  }
}

/** The long flags of each command, read from the CLI itself. */
function flagsOf(name: string): Set<string> {
  const program = new Command();
  registerCommands(program);
  const command = program.commands.find((c) => c.name() === name)!;
  return new Set([...command.options.map((o) => o.long!), "--help"]);
}

async function busyPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as { port: number }).port, server };
}

test("every listen and lock error names a flag the running command has, and the flag that set the busy port", async () => {
  const { port, server } = await busyPort();
  const warehouse = await tempDir();
  await mkdir(join(warehouse, "raw"), { recursive: true });
  const lockedWarehouse = await tempDir();
  const release = await acquireWalLock(join(lockedWarehouse, "_state", "collector", "wal"));
  const busy = String(port);
  // A console reachable from other machines needs a token: pipeline has no --token flag.
  const openConsole = join(warehouse, "open-console.json");
  await writeFile(openConsole, JSON.stringify({ console: { host: "0.0.0.0" } }));
  const cases: { command: string; args: string[]; code: string; names: string }[] = [
    { command: "serve", args: ["--port", busy], code: "CS_ERR_COLLECTOR_LISTEN", names: "--port" },
    { command: "console", args: ["--port", busy], code: "CS_ERR_COLLECTOR_LISTEN", names: "--port" },
    {
      command: "pipeline",
      args: ["--port", busy, "--admin-port", "-1", "--console-port", "-1"],
      code: "CS_ERR_COLLECTOR_LISTEN",
      names: "--port",
    },
    {
      command: "pipeline",
      args: ["--port", "0", "--admin-port", "-1", "--console-port", busy],
      code: "CS_ERR_COLLECTOR_LISTEN",
      names: "--console-port",
    },
    {
      command: "pipeline",
      args: ["--port", "0", "--admin-port", busy, "--console-port", "-1"],
      code: "CS_ERR_PIPELINE_ADMIN_LISTEN",
      names: "--admin-port",
    },
    {
      command: "serve",
      args: ["--port", "0", "--warehouse", lockedWarehouse],
      code: "CS_ERR_COLLECTOR_WAL_LOCKED",
      names: "--wal-dir",
    },
    {
      command: "pipeline",
      args: ["--port", "0", "--admin-port", "-1", "--console-port", "-1", "--warehouse", lockedWarehouse],
      code: "CS_ERR_COLLECTOR_WAL_LOCKED",
      names: "--warehouse",
    },
    {
      command: "console",
      args: ["--port", "0", "--host", "0.0.0.0"],
      code: "CS_ERR_CONSOLE_TOKEN_REQUIRED",
      names: "--token",
    },
    {
      command: "pipeline",
      args: ["--port", "0", "--admin-port", "-1", "--console-port", "0", "--config", openConsole],
      code: "CS_ERR_CONSOLE_TOKEN_REQUIRED",
      names: "--config",
    },
  ];
  try {
    const problems: string[] = [];
    for (const c of cases) {
      const args = [c.command, "--warehouse", warehouse, ...c.args];
      const { code, error } = await failure(args);
      const label = `clickstream ${args.join(" ")}`;
      if (code !== 1) problems.push(`${label}: exit ${code}`);
      if (!error.startsWith(`error ${c.code}: `)) problems.push(`${label}: not ${c.code}: ${error}`);
      const named = [...error.matchAll(/--[a-z][a-z0-9-]*/g)].map((m) => m[0]);
      if (!named.includes(c.names)) problems.push(`${label}: does not name ${c.names}: ${error}`);
      const known = flagsOf(c.command);
      for (const flag of named)
        if (!known.has(flag)) problems.push(`${label}: names ${flag}, which ${c.command} has not: ${error}`);
      // The port busy is the console's: the collector's --port is no fix for it.
      if (c.names === "--console-port" && /another `?--port\b/.test(error))
        problems.push(`${label}: points at --port: ${error}`);
      if (c.code === "CS_ERR_COLLECTOR_WAL_LOCKED" && /free space/.test(error))
        problems.push(`${label}: a lock held is no matter of free space: ${error}`);
    }
    assert.deepEqual(problems, []);
  } finally {
    await release();
    server.close();
  }
});
