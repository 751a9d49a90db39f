import { spawn, type ChildProcess } from "node:child_process";
import { venvPython } from "./optional-suite.js";

/**
 * moto in server mode (an AWS emulator nobody here wrote), from the project's virtualenv, on a free
 * loopback port. One server per test file: start it in `before`, close it in `after`.
 */
export interface MotoServer {
  /** `http://127.0.0.1:<port>`: every service answers on it (AWS_ENDPOINT_URL for SDKs and CLIs). */
  readonly endpoint: string;
  readonly region: string;
  /** The account moto reports (STS GetCallerIdentity, ARNs, the deployment's bucket names). */
  readonly accountId: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Environment for a child process (our CLI, the AWS CLI) whose AWS calls should go to this server. */
  env(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  /** POSTs JSON to one of moto's own `/moto-api/…` endpoints (state transitions, preloaded results). */
  api(path: string, body: unknown): Promise<void>;
  close(): Promise<void>;
}

const startTimeoutMs = 30_000;

export async function startMotoServer(): Promise<MotoServer> {
  // -p 0: werkzeug binds a free port and prints it; no race between choosing a port and binding it.
  const child = spawn(venvPython, ["-m", "moto.server", "-H", "127.0.0.1", "-p", "0"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  const endpoint = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`moto did not start within ${startTimeoutMs} ms:\n${log}`));
    }, startTimeoutMs);
    const onData = (chunk: Buffer): void => {
      log += chunk.toString();
      const match = /Running on (http:\/\/127\.0\.0\.1:\d+)/.exec(log);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`moto exited (${code}) before listening:\n${log}`));
    });
  });
  // Keep draining its request log so the pipe never fills and blocks the server.
  child.stdout!.resume();
  child.stderr!.resume();
  await waitUntilAnswering(endpoint);

  const region = "us-east-1";
  const credentials = { accessKeyId: "testing", secretAccessKey: "testing" };
  return {
    endpoint,
    region,
    accountId: "123456789012",
    credentials,
    env: (extra = {}) => {
      // Nothing from the developer's own AWS set-up may leak into a test.
      const env: NodeJS.ProcessEnv = { ...process.env };
      for (const name of Object.keys(env)) if (name.startsWith("AWS_")) delete env[name];
      return {
        ...env,
        AWS_ENDPOINT_URL: endpoint,
        AWS_REGION: region,
        AWS_DEFAULT_REGION: region,
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        AWS_CONFIG_FILE: "/dev/null",
        AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
        AWS_EC2_METADATA_DISABLED: "true",
        ...extra,
      };
    },
    api: async (path, body) => {
      const response = await fetch(`${endpoint}${path}`, { method: "POST", body: JSON.stringify(body) });
      if (!response.ok) throw new Error(`moto ${path}: ${response.status} ${await response.text()}`);
    },
    close: () => stop(child),
  };
}

async function waitUntilAnswering(endpoint: string): Promise<void> {
  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    try {
      const response = await fetch(`${endpoint}/moto-api/data.json`);
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`moto at ${endpoint} did not answer`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}
