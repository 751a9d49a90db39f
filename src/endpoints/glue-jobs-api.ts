import { randomBytes } from "node:crypto";
import type { CrawlReport } from "../catalog/crawler.js";
import { isClickstreamError } from "../errors/clickstream-error.js";
import { bucketFolders } from "../storage/storage.js";
import { inputReader, pageToken, tokenOffset } from "./api-input.js";
import { AwsError } from "./aws-error.js";
import type { GlueOperations } from "./glue-catalog-api.js";
import type { LocalStack } from "./local-stack.js";

const input = inputReader("InvalidInputException");

/** What the job and the crawler run: the transform and the crawl over the warehouse (glue-job-work.ts). */
export interface GlueWork {
  /** One run of the transform, with the engine the warehouse uses; stops before its commit when `signal` aborts. */
  transform(signal: AbortSignal, run: { id: string; jobName: string }): Promise<void>;
  /** One crawl; cancelled with nothing written when `signal` aborts before its catalog writes. */
  crawl(signal: AbortSignal): Promise<CrawlReport>;
}

type JobRunState = "STARTING" | "RUNNING" | "STOPPING" | "STOPPED" | "SUCCEEDED" | "FAILED";

interface JobRun {
  readonly id: string;
  readonly arguments: Record<string, string>;
  readonly startedOn: number;
  state: JobRunState;
  lastModifiedOn: number;
  completedOn?: number;
  errorMessage?: string;
  readonly stop: AbortController;
}

interface CrawlerStatus {
  state: "READY" | "RUNNING" | "STOPPING";
  startedAt?: number;
  /** Aborted by StopCrawler. */
  stop?: AbortController;
  last?: { status: "SUCCEEDED" | "FAILED" | "CANCELLED"; startTime: number; errorMessage?: string };
  /** Seconds of each finished crawl, for GetCrawlerMetrics. */
  readonly runtimes: number[];
  tablesCreated: number;
  tablesUpdated: number;
}

/** Job runs kept for GetJobRun / GetJobRuns (Glue keeps 90 days; a process keeps its last ones). */
const keptRuns = 200;
/** When the local job and crawler "were created": fixed, so answers are stable. */
const created = Date.parse("2026-01-01T00:00:00Z") / 1000;
/** infra/variables.tf's defaults, as GetJob reports them. */
const jobDefaults = { GlueVersion: "5.1", WorkerType: "G.1X", NumberOfWorkers: 2, Timeout: 60 } as const;

/**
 * Glue's job and crawler operations over the local pipeline: the job (`<project>-transform-job`) runs the
 * transform, the crawler (`<project>-crawler`) the crawl, in this process. GetJob, GetJobs, ListJobs,
 * StartJobRun, GetJobRun, GetJobRuns, BatchStopJobRun (states STARTING → RUNNING → SUCCEEDED / FAILED,
 * or STOPPING → STOPPED; one run at a time, as MaxConcurrentRuns 1: ConcurrentRunsExceededException);
 * GetCrawler, GetCrawlers, ListCrawlers, StartCrawler (READY → RUNNING → STOPPING → READY;
 * CrawlerRunningException during a crawl), StopCrawler (a crawl still reading footers ends CANCELLED with
 * nothing written; CrawlerNotRunningException, CrawlerStoppingException), GetCrawlerMetrics.
 */
export function glueJobs(
  stack: LocalStack,
  work: GlueWork,
): { operations: GlueOperations; close(): Promise<void> } {
  const runs: JobRun[] = [];
  /** The run and the crawl in progress, awaited on close. */
  const pending = new Set<Promise<void>>();
  const track = (task: Promise<void>): void => {
    pending.add(task);
    void task.finally(() => pending.delete(task));
  };
  const crawler: CrawlerStatus = { state: "READY", runtimes: [], tablesCreated: 0, tablesUpdated: 0 };
  const now = (): number => Date.now() / 1000;

  const job = (call: Record<string, unknown>, member = "JobName"): void => {
    const name = input.required(call, member);
    if (name !== stack.jobName)
      throw new AwsError(
        "EntityNotFoundException",
        `Job with name: ${name} not found (this endpoint's is ${stack.jobName})`,
      );
  };
  const crawlerNamed = (name: string): void => {
    if (name !== stack.crawlerName)
      throw new AwsError("EntityNotFoundException", `Crawler with name ${name} does not exist`);
  };
  const runOf = (id: string): JobRun => {
    const run = runs.find((r) => r.id === id);
    if (!run) throw new AwsError("EntityNotFoundException", `Job Run Id: ${id} not found`);
    return run;
  };
  const setState = (run: JobRun, state: JobRunState): void => {
    run.state = state;
    run.lastModifiedOn = now();
    if (["STOPPED", "SUCCEEDED", "FAILED"].includes(state)) run.completedOn = run.lastModifiedOn;
  };

  const execute = async (run: JobRun): Promise<void> => {
    // STARTING until the work begins (Glue provisions workers first), so a client sees the states in order.
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (run.stop.signal.aborted) return setState(run, "STOPPED");
    setState(run, "RUNNING");
    try {
      await work.transform(run.stop.signal, { id: run.id, jobName: stack.jobName });
      setState(run, run.stop.signal.aborted ? "STOPPED" : "SUCCEEDED");
    } catch (error) {
      if (isClickstreamError(error) && error.code === "CS_ERR_TRANSFORM_STOPPED")
        return setState(run, "STOPPED");
      run.errorMessage = isClickstreamError(error)
        ? `${error.code}: ${error.message}`
        : error instanceof Error
          ? error.message
          : String(error);
      setState(run, "FAILED");
    }
  };

  const jobRunShape = (run: JobRun): Record<string, unknown> => {
    const end = run.completedOn ?? now();
    return {
      Id: run.id,
      Attempt: 0,
      JobName: stack.jobName,
      JobMode: "SCRIPT",
      StartedOn: run.startedOn,
      LastModifiedOn: run.lastModifiedOn,
      ...(run.completedOn !== undefined ? { CompletedOn: run.completedOn } : {}),
      JobRunState: run.state,
      Arguments: run.arguments,
      ...(run.errorMessage !== undefined ? { ErrorMessage: run.errorMessage } : {}),
      PredecessorRuns: [],
      AllocatedCapacity: jobDefaults.NumberOfWorkers,
      ExecutionTime: Math.round(end - run.startedOn),
      Timeout: jobDefaults.Timeout,
      MaxCapacity: jobDefaults.NumberOfWorkers,
      WorkerType: jobDefaults.WorkerType,
      NumberOfWorkers: jobDefaults.NumberOfWorkers,
      LogGroupName: "/aws-glue/jobs",
      GlueVersion: jobDefaults.GlueVersion,
      ExecutionClass: "STANDARD",
    };
  };

  const scripts = `s3://${stack.project}-scripts-${stack.accountId}-${stack.region}/scripts/`;
  const jobShape = (): Record<string, unknown> => ({
    Name: stack.jobName,
    JobMode: "SCRIPT",
    Description:
      "Raw clickstream JSON → clean, deduplicated, partitioned Parquet (runs `clickstream transform` locally).",
    Role: stack.jobRole,
    CreatedOn: created,
    LastModifiedOn: created,
    ExecutionProperty: { MaxConcurrentRuns: 1 },
    Command: { Name: "glueetl", ScriptLocation: `${scripts}clickstream_transform.py`, PythonVersion: "3" },
    DefaultArguments: {
      "--job-language": "python",
      "--job-bookmark-option": "job-bookmark-enable",
      "--raw_bucket": stack.buckets.raw,
      "--transformed_bucket": stack.buckets.transformed,
      "--errors_bucket": stack.buckets.errors,
      "--state_bucket": stack.buckets.errors,
    },
    MaxRetries: 0,
    AllocatedCapacity: jobDefaults.NumberOfWorkers,
    Timeout: jobDefaults.Timeout,
    MaxCapacity: jobDefaults.NumberOfWorkers,
    WorkerType: jobDefaults.WorkerType,
    NumberOfWorkers: jobDefaults.NumberOfWorkers,
    GlueVersion: jobDefaults.GlueVersion,
    ExecutionClass: "STANDARD",
  });

  const crawl = async (stop: AbortController): Promise<void> => {
    const started = Date.now();
    try {
      const report = await work.crawl(stop.signal);
      crawler.tablesCreated += report.tables.filter((t) => t.action === "created").length;
      crawler.tablesUpdated += report.tables.filter((t) => t.action === "updated").length;
      crawler.last = { status: "SUCCEEDED", startTime: started / 1000 };
    } catch (error) {
      const message = isClickstreamError(error) ? `${error.code}: ${error.message}` : String(error);
      crawler.last = stop.signal.aborted
        ? { status: "CANCELLED", startTime: started / 1000 }
        : { status: "FAILED", startTime: started / 1000, errorMessage: message };
    }
    crawler.stop = undefined;
    // Glue's crawler passes STOPPING while it wraps up (here: recording the crawl), then READY.
    crawler.state = "STOPPING";
    crawler.runtimes.push((Date.now() - started) / 1000);
    if (crawler.runtimes.length > 100) crawler.runtimes.shift();
    await new Promise((resolve) => setTimeout(resolve, 50));
    crawler.state = "READY";
    crawler.startedAt = undefined;
  };

  const crawlerShape = (): Record<string, unknown> => ({
    Name: stack.crawlerName,
    Role: stack.crawlerRole,
    Targets: {
      // One target per table folder of the transformed bucket, as infra/'s crawler has.
      S3Targets: bucketFolders.transformed.map((folder) => ({
        Path: `s3://${stack.buckets.transformed}/${folder}`,
        Exclusions: ["**/_temporary/**", "**/_SUCCESS", "**/.*"],
      })),
    },
    DatabaseName: stack.database,
    Description: `Catalogs s3://<transformed>/transformed/ as ${stack.database}.transformed (runs \`clickstream crawl\` locally).`,
    Classifiers: [],
    RecrawlPolicy: { RecrawlBehavior: "CRAWL_NEW_FOLDERS_ONLY" },
    SchemaChangePolicy: { UpdateBehavior: "LOG", DeleteBehavior: "LOG" },
    LineageConfiguration: { CrawlerLineageSettings: "DISABLE" },
    State: crawler.state,
    ...(crawler.startedAt !== undefined ? { CrawlElapsedTime: Date.now() - crawler.startedAt } : {}),
    CreationTime: created,
    LastUpdated: created,
    ...(crawler.last
      ? {
          LastCrawl: {
            Status: crawler.last.status,
            ...(crawler.last.errorMessage !== undefined ? { ErrorMessage: crawler.last.errorMessage } : {}),
            LogGroup: "/aws-glue/crawlers",
            LogStream: stack.crawlerName,
            MessagePrefix: `${stack.crawlerName}-${Math.floor(crawler.last.startTime)}`,
            StartTime: crawler.last.startTime,
          },
        }
      : {}),
    Version: 1,
    Configuration: JSON.stringify({
      Version: 1.0,
      CrawlerOutput: {
        Partitions: { AddOrUpdateBehavior: "InheritFromTable" },
        Tables: { AddOrUpdateBehavior: "MergeNewColumns" },
      },
      Grouping: { TableGroupingPolicy: "CombineCompatibleSchemas" },
    }),
  });

  const operations: GlueOperations = {
    GetJob: async (call) => {
      job(call);
      return { Job: jobShape() };
    },
    GetJobs: async (call) => {
      input.integer(call, "MaxResults", 1, 1000);
      tokenOffset(input.string(call, "NextToken"), "GetJobs", "InvalidInputException");
      return { Jobs: [jobShape()] };
    },
    ListJobs: async (call) => {
      input.integer(call, "MaxResults", 1, 1000);
      tokenOffset(input.string(call, "NextToken"), "ListJobs", "InvalidInputException");
      return { JobNames: [stack.jobName] };
    },
    StartJobRun: async (call) => {
      job(call);
      if (input.string(call, "JobRunId") !== undefined)
        throw input.invalid("JobRunId", "retrying a run is not served by this local endpoint");
      const active = runs.find((r) => ["STARTING", "RUNNING", "STOPPING"].includes(r.state));
      if (active)
        throw new AwsError(
          "ConcurrentRunsExceededException",
          `Concurrent runs exceeded for ${stack.jobName} (run ${active.id} is ${active.state}; MaxConcurrentRuns is 1)`,
        );
      const args = input.object(call, "Arguments");
      for (const [k, v] of Object.entries(args))
        if (typeof v !== "string") throw input.invalid(`Arguments.${k}`, "Member must be a string");
      const started = now();
      const run: JobRun = {
        id: `jr_${randomBytes(32).toString("hex")}`,
        arguments: args as Record<string, string>,
        startedOn: started,
        lastModifiedOn: started,
        state: "STARTING",
        stop: new AbortController(),
      };
      runs.unshift(run);
      if (runs.length > keptRuns) runs.pop();
      track(execute(run));
      return { JobRunId: run.id };
    },
    GetJobRun: async (call) => {
      job(call);
      return { JobRun: jobRunShape(runOf(input.required(call, "RunId"))) };
    },
    GetJobRuns: async (call) => {
      job(call);
      const max = input.integer(call, "MaxResults", 1, 200) ?? 100;
      const scope = "GetJobRuns";
      const offset = tokenOffset(input.string(call, "NextToken"), scope, "InvalidInputException");
      const page = runs.slice(offset, offset + max);
      const end = offset + page.length;
      return {
        JobRuns: page.map(jobRunShape),
        ...(end < runs.length ? { NextToken: pageToken(scope, end) } : {}),
      };
    },
    BatchStopJobRun: async (call) => {
      job(call);
      const ids = call.JobRunIds;
      if (
        !Array.isArray(ids) ||
        ids.length < 1 ||
        ids.length > 25 ||
        !ids.every((i) => typeof i === "string")
      )
        throw input.invalid("JobRunIds", "Member must have length between 1 and 25");
      const stopped: { JobName: string; JobRunId: string }[] = [];
      const errors: Record<string, unknown>[] = [];
      for (const id of ids as string[]) {
        const run = runs.find((r) => r.id === id);
        if (!run || !["STARTING", "RUNNING"].includes(run.state)) {
          errors.push({
            JobName: stack.jobName,
            JobRunId: id,
            ErrorDetail: run
              ? {
                  ErrorCode: "InvalidInputException",
                  ErrorMessage: `Job Run ${id} is ${run.state}, not running`,
                }
              : { ErrorCode: "EntityNotFoundException", ErrorMessage: `Job Run Id: ${id} not found` },
          });
          continue;
        }
        run.stop.abort();
        if (run.state === "RUNNING") setState(run, "STOPPING");
        stopped.push({ JobName: stack.jobName, JobRunId: id });
      }
      return { SuccessfulSubmissions: stopped, Errors: errors };
    },

    GetCrawler: async (call) => {
      crawlerNamed(input.required(call, "Name"));
      return { Crawler: crawlerShape() };
    },
    GetCrawlers: async (call) => {
      input.integer(call, "MaxResults", 1, 1000);
      tokenOffset(input.string(call, "NextToken"), "GetCrawlers", "InvalidInputException");
      return { Crawlers: [crawlerShape()] };
    },
    ListCrawlers: async (call) => {
      input.integer(call, "MaxResults", 1, 1000);
      tokenOffset(input.string(call, "NextToken"), "ListCrawlers", "InvalidInputException");
      return { CrawlerNames: [stack.crawlerName] };
    },
    StartCrawler: async (call) => {
      crawlerNamed(input.required(call, "Name"));
      if (crawler.state !== "READY")
        throw new AwsError(
          "CrawlerRunningException",
          `Crawler with name ${stack.crawlerName} has already started`,
        );
      crawler.state = "RUNNING";
      crawler.startedAt = Date.now();
      crawler.stop = new AbortController();
      track(crawl(crawler.stop));
      return {};
    },
    StopCrawler: async (call) => {
      crawlerNamed(input.required(call, "Name"));
      if (crawler.state === "READY")
        throw new AwsError(
          "CrawlerNotRunningException",
          `Crawler with name ${stack.crawlerName} isn't running`,
        );
      if (crawler.state === "STOPPING" || crawler.stop?.signal.aborted)
        throw new AwsError("CrawlerStoppingException", `Crawler with name ${stack.crawlerName} is stopping`);
      // A crawl already writing the catalog finishes (its writes are one commit); one still reading stops.
      crawler.state = "STOPPING";
      crawler.stop?.abort();
      return {};
    },
    GetCrawlerMetrics: async (call) => {
      const names = call.CrawlerNameList;
      if (names !== undefined && (!Array.isArray(names) || !names.every((n) => typeof n === "string")))
        throw input.invalid("CrawlerNameList", "Member must be a list of strings");
      const wanted = (names as string[] | undefined) ?? [stack.crawlerName];
      const sorted = [...crawler.runtimes].sort((a, b) => a - b);
      const median = sorted.length === 0 ? 0 : sorted[Math.floor(sorted.length / 2)]!;
      return {
        CrawlerMetricsList: wanted
          .filter((n) => n === stack.crawlerName)
          .map((name) => ({
            CrawlerName: name,
            TimeLeftSeconds: 0,
            StillEstimating: crawler.state === "RUNNING",
            LastRuntimeSeconds: crawler.runtimes[crawler.runtimes.length - 1] ?? 0,
            MedianRuntimeSeconds: median,
            TablesCreated: crawler.tablesCreated,
            TablesUpdated: crawler.tablesUpdated,
            TablesDeleted: 0,
          })),
      };
    },
  };

  return {
    operations,
    // A run in progress stops before its commit (nothing half-published); a crawl is let finish.
    close: async () => {
      for (const run of runs) if (run.state === "STARTING" || run.state === "RUNNING") run.stop.abort();
      await Promise.all([...pending]);
    },
  };
}
