import { spawn, type ChildProcess } from "node:child_process";
import { after } from "node:test";
import { fileURLToPath } from "node:url";
import { tempDir } from "./temp-dir.js";

const bin = fileURLToPath(new URL("../../../bin/clickstream", import.meta.url));
const children = new Set<ChildProcess>();
after(() => {
  for (const child of children) child.kill("SIGKILL");
});

export interface ServeProcess {
  readonly url: string;
  readonly warehouse: string;
  readonly child: ChildProcess;
  /** SIGTERM, which flushes the collector's buffers into raw/, then waits for the exit. */
  stop(): Promise<void>;
  /** Resolves once the child's log (stderr and stdout so far) matches `pattern`; rejects after `timeoutMs`. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

/**
 * `clickstream serve` (or `options.command`, e.g. `pipeline`) as a child process on a free port, once it
 * listens: over a fresh warehouse, or over `options.warehouse` (a prepared one), with `options.args` added.
 */
export async function serveProcess(
  prefix = "clickstream-serve-",
  options: { warehouse?: string; command?: "serve" | "pipeline"; args?: readonly string[] } = {},
): Promise<ServeProcess> {
  const warehouse = options.warehouse ?? (await tempDir(prefix));
  const child = spawn(
    process.execPath,
    [
      bin,
      options.command ?? "serve",
      "--warehouse",
      warehouse,
      "--port",
      "0",
      "--log-format",
      "json",
      ...(options.args ?? []),
    ],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  children.add(child);
  let out = "";
  child.stderr!.on("data", (chunk: Buffer) => (out += chunk.toString()));
  child.stdout!.on("data", (chunk: Buffer) => (out += chunk.toString()));
  const waitForLog = (pattern: RegExp, timeoutMs = 60_000): Promise<void> =>
    new Promise((resolve, reject) => {
      const started = Date.now();
      const poll = (): void => {
        if (pattern.test(out)) resolve();
        else if (child.exitCode !== null)
          reject(new Error(`exited (${child.exitCode}) before ${pattern}: ${out}`));
        else if (Date.now() - started > timeoutMs)
          reject(new Error(`no ${pattern} within ${timeoutMs} ms: ${out}`));
        else setTimeout(poll, 50);
      };
      poll();
    });
  // The log (JSON lines, --log-format json) is on stderr.
  await waitForLog(/"url":"http:\/\/[^"]+"/, 120_000);
  const url = /"url":"(http:\/\/[^"]+)"/.exec(out)![1]!;
  const stop = async (): Promise<void> => {
    if (!children.has(child)) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
    children.delete(child);
  };
  return { url, warehouse, child, stop, waitForLog };
}

/**
 * The environment a script runs the AWS CLI in against a local collector: the given PATH, a home of its
 * own, no config or credentials files of this machine, no instance metadata lookups, no pager.
 */
export function isolatedAwsCliEnv(path: string, home: string): NodeJS.ProcessEnv {
  return {
    PATH: path,
    HOME: home,
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_PAGER: "",
  };
}
