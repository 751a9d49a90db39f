import { Command, Option } from "commander";
import {
  action,
  configOption,
  storageFromOptions,
  storageOptions,
  stopSignal,
  untilStopped,
  warehouseOption,
  withExamples,
  type StorageFlags,
} from "../cli-support.js";
import { integerFlag } from "../flag-parsers.js";
import { writeTerminal } from "../../terminal/terminal-text.js";

interface ConsoleFlags extends StorageFlags {
  host?: string;
  port?: number;
  token?: string;
  timeoutMs?: number;
  maxRows?: number;
}

/** `clickstream console`: the dashboard and the SQL workbench in a browser, on the same engine as `query`. */
export function consoleCommand(): Command {
  const command = new Command("console")
    .description(
      "Serve the web console: a dashboard of the warehouse (tiles, time series, top pages, sources, devices, funnel, data quality, live events) and an Athena-style SQL workbench. Read-only; the same query engine as `clickstream query`.",
    )
    .addOption(warehouseOption())
    .addOption(configOption())
    .addOption(new Option("--host <host>", "address to listen on (default 127.0.0.1; others need --token)"))
    .addOption(
      new Option("--port <port>", "port; 0 = any free port (default 4574)").argParser(
        integerFlag("--port", { max: 65535 }),
      ),
    )
    .addOption(
      new Option("--token <secret>", "require this token on every request (needed off loopback)").env(
        "CLICKSTREAM_CONSOLE_TOKEN",
      ),
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
    );
  for (const option of storageOptions()) command.addOption(option);
  command.action(
    action(async (flags: ConsoleFlags) => {
      const { config, storage } = await storageFromOptions(flags, {
        query: { timeoutMs: flags.timeoutMs, maxResultRows: flags.maxRows },
        console: { host: flags.host, port: flags.port, token: flags.token },
      });
      const stopping = stopSignal();
      const { startConsoleServer } = await import("../../console/console-server.js");
      const running = await startConsoleServer({
        storage,
        config,
        listenNames: { port: "--port", host: "--host", token: "--token" },
      });
      const suffix = config.console.token ? "/?token=<your token>" : "/";
      writeTerminal(
        process.stdout,
        `console on ${running.url}${suffix} (warehouse ${config.warehouse.dir}); Ctrl+C stops it\n`,
      );
      await untilStopped(stopping, () => running.close());
    }),
  );
  return withExamples(command, [
    "clickstream console                       # then open http://127.0.0.1:4574/",
    "clickstream console --warehouse ./warehouse --port 8080",
    'clickstream console --host 0.0.0.0 --token "$(openssl rand -hex 16)"',
    "curl -s 'http://127.0.0.1:4574/api/overview?from=2026-11-18&to=2026-11-24'",
    `curl -s -X POST http://127.0.0.1:4574/api/query -H 'content-type: application/json' -d '{"sql":"SHOW TABLES"}'`,
  ]);
}
