import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ClickstreamError, wrapError } from "../errors/clickstream-error.js";
import type { ErrorCode } from "../errors/error-codes.js";
import type { ServedTable } from "./catalog-views.js";
import type {
  ExecutionLimits,
  QueryParam,
  SessionSettings,
  WorkerReply,
  WorkerRequest,
  WorkerResult,
} from "./worker-protocol.js";

const workerPath = fileURLToPath(new URL("./query-worker.js", import.meta.url));

/** How long a cancelled query may take to stop before its worker is killed. */
const cancelGraceMs = 2000;

/** How long past the deadline a query may take to answer its interrupt before its process is killed. */
export function killGraceMs(timeoutMs: number): number {
  return Math.min(5000, Math.max(500, Math.round(timeoutMs / 10)));
}

/** A request waiting for its answer, and the worker it went to (only that worker's death fails it). */
type Pending = { child: ChildProcess; resolve: (value: unknown) => void; reject: (error: unknown) => void };

/**
 * The parent's handle on the query worker (query-worker.ts): starts it with its memory capped (Linux:
 * the data segment, `ulimit -d`), sends it the tables, runs statements in it, and kills it when a query
 * outlives its deadline plus a grace period, or reports how it died. A dead worker is started again, with
 * the same tables, by the next request.
 */
export class QueryWorker {
  private child: ChildProcess | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Each worker's temp folder, removed when it exits (a killed worker cannot clean up after itself). */
  private readonly tempRoots = new Map<ChildProcess, string>();
  refused: ReadonlySet<string> = new Set();

  constructor(
    private tables: ServedTable[],
    private readonly settings: Omit<SessionSettings, "tempRoot">,
    private readonly memoryLimitBytes: number,
  ) {}

  /** Opens the session over `tables` (in a new worker if none runs). */
  async open(tables: ServedTable[] = this.tables): Promise<void> {
    this.tables = tables;
    const child = this.child ?? this.start();
    const settings = { ...this.settings, tempRoot: this.tempRoots.get(child)! };
    const refused = (await this.request({ id: 0, op: "open", tables, settings })) as string[];
    this.refused = new Set(refused);
  }

  /** Runs the parse checks, then the statement, under the limits; the worker dies if it overstays. */
  async run(
    checks: { sql: string; dialect: "athena" | "duckdb" }[],
    sql: string,
    limits: ExecutionLimits,
    params: readonly QueryParam[] = [],
  ): Promise<WorkerResult> {
    if (!this.child) await this.open();
    const child = this.child!;
    const deadline = setTimeout(
      () => {
        // DuckDB did not answer its interrupt (some operators never look): end the process.
        this.failAll(
          child,
          new ClickstreamError(
            "CS_ERR_QUERY_TIMEOUT",
            `interrupted after ${limits.timeoutMs} ms (the query did not stop; its worker was killed)`,
          ),
        );
        child.kill("SIGKILL");
        if (this.child === child) this.child = undefined;
      },
      limits.timeoutMs + killGraceMs(limits.timeoutMs),
    );
    try {
      return (await this.request({
        id: 0,
        op: "run",
        checks,
        sql,
        limits,
        params: [...params],
      })) as WorkerResult;
    } finally {
      clearTimeout(deadline);
    }
  }

  /**
   * Interrupts the running query (a cancellation). A worker that does not answer within the grace period
   * is killed, so a cancelled query never keeps its engine busy.
   */
  interrupt(): void {
    const child = this.child;
    if (!child || ![...this.pending.values()].some((p) => p.child === child)) return;
    // A worker that is going away anyway cannot take the message; the grace timer below still applies.
    child.send({ id: 0, op: "interrupt" } satisfies WorkerRequest, () => undefined);
    // Only the requests running now: one sent after the cancelled query ended is not the one to kill.
    const interrupted = [...this.pending.entries()].filter(([, p]) => p.child === child).map(([id]) => id);
    setTimeout(() => {
      if (!interrupted.some((id) => this.pending.has(id))) return;
      this.failAll(child, new ClickstreamError("CS_ERR_QUERY_CANCELLED", "the query was cancelled"));
      child.kill("SIGKILL");
      if (this.child === child) this.child = undefined;
    }, cancelGraceMs).unref();
  }

  close(): void {
    const child = this.child;
    this.child = undefined;
    if (!child) return;
    this.failAll(child, new ClickstreamError("CS_ERR_QUERY_FAILED", "the query engine was closed"));
    child.kill("SIGKILL");
    // The exit event may come after the caller is gone: remove the temp folder now.
    rmSync(this.tempRoots.get(child)!, { recursive: true, force: true });
  }

  private request(message: WorkerRequest): Promise<unknown> {
    const child = this.child ?? this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { child, resolve, reject });
      child.channel?.ref();
      child.send({ ...message, id }, (error) => {
        if (error) this.settle(id, () => reject(error));
      });
    });
  }

  private settle(id: number, fn: () => void): void {
    if (!this.pending.delete(id)) return;
    // Idle, the worker must not keep the parent process alive.
    if (![...this.pending.values()].some((p) => p.child === this.child)) this.child?.channel?.unref();
    fn();
  }

  /** Fails the requests sent to `child` (not those of a worker started since). */
  private failAll(child: ChildProcess, error: ClickstreamError): void {
    for (const [id, pending] of [...this.pending]) {
      if (pending.child === child) this.settle(id, () => pending.reject(error));
    }
  }

  private start(): ChildProcess {
    const kb = Math.floor(this.memoryLimitBytes / 1024);
    const tempRoot = mkdtempSync(join(tmpdir(), "clickstream-query-"));
    const child =
      process.platform === "linux"
        ? spawn(
            "/bin/sh",
            ["-c", `ulimit -d ${kb} 2>/dev/null; exec "$0" "$@"`, process.execPath, workerPath],
            {
              stdio: ["ignore", "ignore", "pipe", "ipc"],
              serialization: "advanced",
            },
          )
        : spawn(process.execPath, [workerPath], {
            stdio: ["ignore", "ignore", "pipe", "ipc"],
            serialization: "advanced",
          });
    let stderrTail = "";
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (text: string) => {
      stderrTail = (stderrTail + text).slice(-4000);
    });
    child.on("message", (reply: WorkerReply) => {
      const pending = this.pending.get(reply.id);
      if (!pending) return;
      this.settle(reply.id, () =>
        reply.ok ? pending.resolve(reply.value) : pending.reject(remoteError(reply.error)),
      );
    });
    child.on("error", (error) => {
      this.failAll(child, wrapError("CS_ERR_QUERY_FAILED", error, "starting the query worker"));
    });
    child.on("exit", (code, signal) => {
      if (this.child === child) this.child = undefined;
      rmSync(tempRoot, { recursive: true, force: true });
      this.tempRoots.delete(child);
      this.failAll(child, exitError(code, signal, stderrTail));
    });
    child.unref();
    this.tempRoots.set(child, tempRoot);
    this.child = child;
    return child;
  }
}

/** A ClickstreamError rebuilt from the worker's reply (same code and message). */
function remoteError(wire: { code: string; message: string }): ClickstreamError {
  const error = new ClickstreamError(wire.code as ErrorCode);
  error.message = wire.message;
  return error;
}

/** Why a worker died in the middle of a query, from its exit and the end of its stderr. */
function exitError(code: number | null, signal: NodeJS.Signals | null, stderr: string): ClickstreamError {
  const how = signal ? `signal ${signal}` : `exit code ${code}`;
  if (/out of memory|bad_alloc|Allocation failed|Cannot allocate/i.test(stderr)) {
    return new ClickstreamError("CS_ERR_QUERY_OUT_OF_MEMORY", `the query worker ran out of memory (${how})`);
  }
  // This class kills a worker only after failing its requests: a SIGKILL met here came from elsewhere,
  // most likely the system reclaiming memory.
  if (signal === "SIGKILL") {
    return new ClickstreamError(
      "CS_ERR_QUERY_OUT_OF_MEMORY",
      "the query worker was killed (SIGKILL), most likely by the system for lack of memory",
    );
  }
  const last = stderr.trim().split("\n").slice(-3).join(" | ");
  return new ClickstreamError(
    "CS_ERR_QUERY_FAILED",
    `the query worker stopped (${how})${last ? `: ${last}` : ""}`,
  );
}
