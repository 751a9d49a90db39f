import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";
import type { TransformConfig } from "../../src/config/config-schema.js";
import { defaultPython, localRunnerScript, type SparkRunReport } from "../../src/spark/spark-job-runner.js";

const responsePrefix = "@@clickstream-spark ";

/**
 * One Spark session (one JVM) for many runs of the Glue job's local runner: `clickstream_local.py
 * --serve` takes one request per stdin line and answers each on stdout. The CLI starts a JVM per run;
 * suites with many runs share this one.
 */
export class SharedSparkSession {
  private readonly waiting: { resolve: (line: string) => void; reject: (error: Error) => void }[] = [];
  private log = "";

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on("line", (line) => {
      if (line.startsWith(responsePrefix)) this.waiting.shift()?.resolve(line.slice(responsePrefix.length));
    });
    child.on("exit", (code) => {
      for (const w of this.waiting.splice(0))
        w.reject(new Error(`spark session exited (${code}): ${this.log}`));
    });
    child.stderr.on("data", (chunk: Buffer) => {
      this.log = (this.log + chunk.toString("utf8")).slice(-32 * 1024);
    });
  }

  static start(python = defaultPython): SharedSparkSession {
    const child = spawn(python, [localRunnerScript, "--serve"], {
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1", PYTHONUNBUFFERED: "1" },
    });
    return new SharedSparkSession(child);
  }

  /** One run over a warehouse folder, as `transform --engine spark` would do it (without the lock). */
  async run(request: {
    warehouse: string;
    runId: string;
    now: Date;
    fullRefresh?: boolean;
    config?: Pick<TransformConfig, "futureToleranceMs" | "eventCategories" | "otherCategory">;
  }): Promise<SparkRunReport> {
    const answer = new Promise<string>((resolve, reject) => this.waiting.push({ resolve, reject }));
    const body = {
      warehouse: request.warehouse,
      runId: request.runId,
      now: request.now.toISOString(),
      fullRefresh: request.fullRefresh ?? false,
      rules: request.config ?? null,
    };
    this.child.stdin.write(`${JSON.stringify(body)}\n`);
    const response = JSON.parse(await answer) as { ok: boolean; report?: SparkRunReport; error?: string };
    if (!response.ok) throw new Error(`spark run failed: ${response.error}\n${this.log}`);
    return response.report!;
  }

  /** Ends the session: the runner stops Spark when stdin closes. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.stdin.end();
    await exited;
  }
}
