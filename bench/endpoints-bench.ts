import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from "@aws-sdk/client-athena";
import { DuckDBInstance } from "@duckdb/node-api";
import { runCrawler } from "../src/catalog/crawler.js";
import { startCollector } from "../src/collector/collector-server.js";
import { parseConfig } from "../src/config/load-config.js";
import { awsEndpoints } from "../src/endpoints/aws-endpoints.js";
import { localStack } from "../src/endpoints/local-stack.js";
import { openQueryEngine } from "../src/query/query-engine.js";
import { LocalStorage } from "../src/storage/local-storage.js";
import { fmt, type BenchSection } from "./bench-section.js";
import { generate } from "./query-bench.js";

const smallQuery = "SELECT event_type, count(*) AS events FROM transformed GROUP BY 1 ORDER BY 1";
const largeQuery = "SELECT event_id, user_id, event_type, price FROM transformed";
const root = new URL("../../", import.meta.url).pathname;
const venvPython = join(root, ".venv", "bin", "python");
const pythonClients = join(root, "bench", "endpoints_clients.py");

interface PythonAnswer {
  readonly pyathenaMs: number;
  readonly paging: {
    readonly rows: number;
    readonly pages: number;
    readonly ms: number;
    readonly parseMs: number;
  };
}

/** PyAthena's small query and boto3's paging (bench/endpoints_clients.py), or why they could not run. */
async function runPythonClients(
  url: string,
  config: Parameters<typeof localStack>[0],
  runs: number,
): Promise<PythonAnswer | string> {
  if (!existsSync(venvPython)) return "needs .venv (npm run setup:python)";
  const stack = localStack(config, "us-east-1");
  const args = {
    small: smallQuery,
    large: largeQuery,
    runs,
    output: `s3://${stack.buckets["athena-results"]}/bench/`,
    workgroup: stack.workgroups[0],
    database: stack.database,
  };
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
  Object.assign(env, {
    AWS_ENDPOINT_URL: url,
    AWS_DEFAULT_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "bench",
    AWS_SECRET_ACCESS_KEY: "bench",
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    AWS_EC2_METADATA_DISABLED: "true",
  });
  try {
    const { stdout } = await promisify(execFile)(venvPython, [pythonClients, JSON.stringify(args)], {
      env,
      maxBuffer: 16 * 1024 * 1024,
      timeout: 600_000,
    });
    return JSON.parse(stdout) as PythonAnswer;
  } catch (error) {
    return `failed: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`;
  }
}

/**
 * The local Athena endpoint with the AWS SDK on loopback: a small query's start → poll → results against
 * the same query on the engine in-process (the endpoint's overhead), and paging a large result through
 * GetQueryResults in pages of 1000 (rows/s; pages come from the kept result, the query runs once).
 */
export async function runEndpointsBench(options: { quick: boolean }): Promise<BenchSection> {
  const rows = options.quick ? 100_000 : 1_000_000;
  const runs = options.quick ? 3 : 20;
  const dir = await mkdtemp(join(tmpdir(), "clickstream-endpoints-bench-"));
  const bare = await DuckDBInstance.create(":memory:", { threads: "2" });
  try {
    await generate(await bare.connect(), dir, rows);
    const storage = new LocalStorage(dir);
    const config = parseConfig({
      warehouse: { dir },
      query: { duckdbThreads: 2, maxResultRows: rows, maxResultBytes: 1024 * 1024 * 1024 }, // 1 GiB
    });
    await runCrawler({ storage, config });
    const collector = await startCollector({
      storage,
      walDir: join(dir, "_state", "collector", "wal"),
      config: config.collector,
      port: 0,
      logger: false,
      services: awsEndpoints({ storage, config }),
    });
    const athena = new AthenaClient({
      endpoint: collector.url,
      region: "us-east-1",
      credentials: { accessKeyId: "bench", secretAccessKey: "bench" },
    });
    const engine = await openQueryEngine({ storage, config });
    try {
      /** Runs `sql` through the endpoint; returns the rows paged and the time the paging alone took. */
      const throughEndpoint = async (
        sql: string,
        pageSize = 1000,
      ): Promise<{ count: number; pagingMs: number }> => {
        const { QueryExecutionId } = await athena.send(new StartQueryExecutionCommand({ QueryString: sql }));
        let state: string | undefined;
        do
          state = (await athena.send(new GetQueryExecutionCommand({ QueryExecutionId }))).QueryExecution!
            .Status!.State;
        while (state === "QUEUED" || state === "RUNNING");
        if (state !== "SUCCEEDED") throw new Error(`bench query ${state}`);
        let token: string | undefined;
        let count = 0;
        const pagingStarted = performance.now();
        do {
          const page = await athena.send(
            new GetQueryResultsCommand({ QueryExecutionId, MaxResults: pageSize, NextToken: token }),
          );
          count += page.ResultSet!.Rows!.length;
          token = page.NextToken;
        } while (token);
        return { count, pagingMs: performance.now() - pagingStarted };
      };
      const best = async (fn: () => Promise<unknown>): Promise<number> => {
        await fn();
        let ms = Infinity;
        for (let i = 0; i < runs; i++) {
          const started = performance.now();
          await fn();
          ms = Math.min(ms, performance.now() - started);
        }
        return ms;
      };
      const endpointMs = await best(() => throughEndpoint(smallQuery));
      const engineMs = await best(() => engine.run(smallQuery));
      const overhead = endpointMs - engineMs;

      const large = await throughEndpoint(largeQuery);
      const paged = large.count;
      const rowsPerSecond = (paged - 1) / (large.pagingMs / 1000);
      const python = await runPythonClients(collector.url, config, runs);
      const pythonRows: BenchSection["rows"] =
        typeof python === "string"
          ? [{ name: "PyAthena and boto3", value: `not run: ${python}` }]
          : [
              {
                name: "small query through PyAthena's cursor: overhead over the engine in-process",
                value: `${(python.pyathenaMs - engineMs).toFixed(1)} ms (${python.pyathenaMs.toFixed(1)} ms vs ${engineMs.toFixed(1)} ms)`,
                goal: "≤ 50 ms",
                met: python.pyathenaMs - engineMs <= 50,
              },
              {
                name: `boto3: paging ${fmt.int(python.paging.rows)} rows (${fmt.int(python.paging.pages)} pages of 1000)`,
                value: `${fmt.int(python.paging.rows / (python.paging.ms / 1000))} rows/s`,
                goal: "≥ 100,000 rows/s",
                met: python.paging.rows / (python.paging.ms / 1000) >= 100_000,
              },
              {
                name: "boto3 paging: a page's time, and botocore's own parsing of it",
                value: `${(python.paging.ms / python.paging.pages).toFixed(1)} ms, of which parsing ${(python.paging.parseMs / python.paging.pages).toFixed(1)} ms`,
              },
            ];
      return {
        title: `Local AWS endpoints (Athena through the AWS SDK for JavaScript, PyAthena and boto3; ${rows.toLocaleString("en-US")} events)`,
        rows: [
          {
            name: "AWS SDK for JavaScript: small query, start, poll, results",
            value: `${endpointMs.toFixed(1)} ms`,
          },
          { name: "same query, engine in-process", value: `${engineMs.toFixed(1)} ms` },
          {
            name: "AWS SDK for JavaScript: endpoint overhead",
            value: `${overhead.toFixed(1)} ms`,
            goal: "≤ 50 ms",
            met: overhead <= 50,
          },
          ...pythonRows,
          {
            name: `AWS SDK for JavaScript: paging ${fmt.int(paged - 1)} rows (pages of 1000)`,
            value: `${fmt.int(rowsPerSecond)} rows/s`,
            goal: "≥ 100,000 rows/s",
            met: rowsPerSecond >= 100_000,
          },
        ],
        notes: [
          `best of ${runs} runs after a warm-up; the endpoint's time includes DuckDB's profile of the run (DataScannedInBytes, read from the run itself, no second execution), the result CSV and three HTTP round trips; paging is timed from the first GetQueryResults to the last (the query ran once before, in StartQueryExecution).`,
          "PyAthena 3.30.1's default cursor with poll_interval=0.005 (its default of 1 s is sized for AWS, whose own floor is about 1 s); boto3's get_query_results paginator with PageSize 1000, in bench/endpoints_clients.py, both in one Python child process with AWS_ENDPOINT_URL at the endpoint; the rows/s include boto3's own response parsing.",
        ],
      };
    } finally {
      engine.close();
      athena.destroy();
      await collector.close();
    }
  } finally {
    bare.closeSync();
    await rm(dir, { recursive: true, force: true });
  }
}
