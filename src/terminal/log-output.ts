import type { FastifyBaseLogger } from "fastify";
import { terminalValue, writeTerminal } from "./terminal-text.js";

/** How a long-running command (`serve`, `pipeline`) writes its log: readable lines, or pino's JSON lines. */
export const logFormats = ["text", "json"] as const;
export type LogFormat = (typeof logFormats)[number];

/** pino's level numbers (fastify logs through pino). */
const levelNames: Record<number, string> = {
  10: "trace",
  20: "debug",
  30: "info",
  40: "warn",
  50: "error",
  60: "fatal",
};

/** Keys of a pino line that the readable form shows elsewhere or leaves out. */
const shownElsewhere = new Set(["level", "time", "msg", "pid", "hostname", "reqId", "v"]);

/**
 * One log for a command and the servers it starts: `line()` for the command's own messages and
 * `stream` for fastify's pino logger, so both come out in the same format on the same stream (stderr:
 * stdout stays for results).
 */
export interface LogOutput {
  readonly format: LogFormat;
  /** Where fastify's logger writes: `logger: { level, stream }`. */
  readonly stream: { write(line: string): void };
  /** A message of the command's own, at info level. */
  line(message: string): void;
}

export function createLogOutput(
  format: LogFormat,
  out: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr,
): LogOutput {
  if (format === "json") {
    return {
      format,
      stream: { write: (line) => void out.write(line) },
      line: (message) => void out.write(`${JSON.stringify({ level: 30, time: Date.now(), msg: message })}\n`),
    };
  }
  const write = (time: string, level: string, message: string): void =>
    writeTerminal(out, `${time} ${level === "info" ? "" : `${level.toUpperCase()} `}${message}\n`);
  return {
    format,
    stream: {
      write(line) {
        write(...readable(line));
      },
    },
    line: (message) => write(new Date().toISOString(), "info", message),
  };
}

/** A pino JSON line as time, level and `message key=value …` (values escaped for the terminal). */
function readable(line: string): [string, string, string] {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return [new Date().toISOString(), "info", terminalValue(line.trimEnd())];
  }
  const time =
    typeof record.time === "number" ? new Date(record.time).toISOString() : new Date().toISOString();
  const level = levelNames[Number(record.level)] ?? "info";
  const msg = String(record.msg ?? "");
  const fields = Object.entries(record)
    .filter(([key, value]) => !shownElsewhere.has(key) && !(typeof value === "string" && msg.includes(value)))
    .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`);
  const message = [msg, ...fields].filter(Boolean).join(" ");
  return [time, level, terminalValue(message)];
}

/** Fastify's logging options for a server option that is a logger, a log output, false or absent. */
export function fastifyLogging(
  logger: FastifyBaseLogger | LogOutput | false | undefined,
  level: "info" | "warn",
):
  | { logger: false | { level: string; stream?: LogOutput["stream"] } }
  | { loggerInstance: FastifyBaseLogger } {
  if (logger === false) return { logger: false };
  if (logger === undefined) return { logger: { level } };
  if ("line" in logger && "format" in logger) return { logger: { level, stream: logger.stream } };
  return { loggerInstance: logger };
}
