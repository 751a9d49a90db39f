import { GetJobRunCommand, StartJobRunCommand, type GlueClient, type JobRun } from "@aws-sdk/client-glue";
import { z } from "zod";
import { ClickstreamError } from "../errors/clickstream-error.js";
import type { Storage } from "../storage/storage.js";
import { awsRequestError } from "./aws-clients.js";
import { pollUntil, type PollOptions } from "./poll-until.js";
import { formatDuration } from "../format/human-format.js";
import { createProgressDisplay, type ProgressDisplay } from "../terminal/progress-display.js";
import { stateKeys } from "../storage/warehouse-layout.js";

/** Job run states after which nothing more happens (Glue API JobRunState). */
const finalJobRunStates = ["SUCCEEDED", "FAILED", "STOPPED", "TIMEOUT", "ERROR", "EXPIRED"] as const;

/** Key of the run report the Glue job writes to the state bucket (the errors bucket on AWS). */
export const glueRunReportKey = stateKeys.glue.runReport;

const count = z.number().int().min(0);

/**
 * The run report glue/clickstream_transform.py writes at the end of every run: the local transform's
 * report (src/table/run-report.ts) plus the engine and job name. `records.read = written + rejected`.
 */
const glueRunReportSchema = z.looseObject({
  engine: z.literal("glue"),
  jobName: z.string(),
  runId: z.string(),
  status: z.enum(["succeeded", "no_new_data"]),
  startedAt: z.string(),
  finishedAt: z.string(),
  durationMs: count,
  processingTime: z.string(),
  objectsProcessed: count,
  records: z.object({ read: count, written: count, rejected: count }),
  rejectedByReason: z.record(z.string(), count),
  unknownFields: z.record(z.string(), count),
  partitionsWritten: z.array(z.string()),
  rowsRewritten: count,
  bytesRead: count,
  bytesWritten: count,
  errorObjects: z.array(z.string()),
});
export type GlueRunReport = z.infer<typeof glueRunReportSchema>;

export interface GlueJobRunOptions extends PollOptions {
  readonly client: GlueClient;
  readonly jobName: string;
  /** Run arguments; they override the job's default arguments (e.g. `--future_tolerance_hours`). */
  readonly arguments?: Record<string, string>;
  /** Storage whose `state` bucket holds the run reports; without it the counts are not fetched. */
  readonly reportStorage?: Storage;
  /** Progress output; `null` for none. Default: a display on stderr. */
  readonly display?: ProgressDisplay | null;
}

export interface GlueJobRunResult {
  readonly runId: string;
  readonly state: string;
  readonly errorMessage?: string;
  readonly executionTimeSeconds?: number;
  readonly dpuSeconds?: number;
  /** The job's counts, from its run report (undefined when the report could not be read). */
  readonly report?: GlueRunReport;
  /** Why the report is missing, when it is. */
  readonly reportProblem?: string;
}

/**
 * `clickstream transform --engine glue`: StartJobRun, then GetJobRun until a final state, then the run
 * report. Throws CS_ERR_AWS_JOB_FAILED when the run ends in any state but SUCCEEDED.
 */
export async function runGlueJob(options: GlueJobRunOptions): Promise<GlueJobRunResult> {
  const { client, jobName } = options;
  let runId: string;
  try {
    const started = await client.send(
      new StartJobRunCommand({
        JobName: jobName,
        ...(options.arguments ? { Arguments: options.arguments } : {}),
      }),
    );
    if (!started.JobRunId) throw new Error("StartJobRun returned no JobRunId");
    runId = started.JobRunId;
  } catch (error) {
    throw awsRequestError(`StartJobRun ${jobName}`, error);
  }

  const display =
    options.display === null
      ? undefined
      : (options.display ?? createProgressDisplay(`glue ${jobName} ${runId}`));
  let run: JobRun;
  try {
    run = await pollUntil(`Glue job run ${runId}`, { ...options, defaultIntervalMs: 10_000 }, async () => {
      let current: JobRun | undefined;
      try {
        current = (await client.send(new GetJobRunCommand({ JobName: jobName, RunId: runId }))).JobRun;
      } catch (error) {
        throw awsRequestError(`GetJobRun ${jobName} ${runId}`, error);
      }
      const state = current?.JobRunState ?? "UNKNOWN";
      display?.update(state, current?.StateDetail ? { note: current.StateDetail } : {});
      return isFinal(state) ? current : undefined;
    });
  } finally {
    display?.stop();
  }

  const state = run.JobRunState ?? "UNKNOWN";
  const base = {
    runId,
    state,
    ...(run.ErrorMessage ? { errorMessage: run.ErrorMessage } : {}),
    ...(run.ExecutionTime !== undefined ? { executionTimeSeconds: run.ExecutionTime } : {}),
    ...(run.DPUSeconds !== undefined ? { dpuSeconds: run.DPUSeconds } : {}),
  };
  if (state !== "SUCCEEDED") {
    throw new ClickstreamError(
      "CS_ERR_AWS_JOB_FAILED",
      `${jobName} run ${runId} ended ${state}${run.ErrorMessage ? `: ${run.ErrorMessage}` : ""}`,
    );
  }
  if (!options.reportStorage) return { ...base, reportProblem: "no storage given for the run report" };
  const fetched = await readGlueRunReport(options.reportStorage, runId);
  return { ...base, ...fetched };
}

/** Reads and validates the run report of one job run from the state bucket. */
async function readGlueRunReport(
  storage: Storage,
  runId: string,
): Promise<{ report?: GlueRunReport; reportProblem?: string }> {
  const key = glueRunReportKey(runId);
  let text: string;
  try {
    text = (await storage.readBytes("state", key)).toString("utf8");
  } catch (error) {
    return { reportProblem: `cannot read ${key}: ${(error as Error).message}` };
  }
  try {
    const parsed = glueRunReportSchema.safeParse(JSON.parse(text));
    if (!parsed.success)
      return { reportProblem: `${key} is not a run report: ${parsed.error.issues[0]?.message}` };
    return { report: parsed.data };
  } catch {
    return { reportProblem: `${key} is not JSON` };
  }
}

/** The summary printed after a run: final state, time, DPU-seconds and the job's counts. */
export function formatGlueJobResult(jobName: string, result: GlueJobRunResult): string {
  const lines = [`Glue job ${jobName} run ${result.runId}: ${result.state}`];
  const cost: string[] = [];
  if (result.executionTimeSeconds !== undefined)
    cost.push(`ran ${formatDuration(result.executionTimeSeconds * 1000)}`);
  if (result.dpuSeconds !== undefined) cost.push(`${(result.dpuSeconds / 3600).toFixed(3)} DPU-hours`);
  if (cost.length > 0) lines.push(`  ${cost.join(", ")}`);
  const r = result.report;
  if (r) {
    lines.push(
      `  objects processed  ${r.objectsProcessed}`,
      `  records read       ${r.records.read}`,
      `  records written    ${r.records.written}`,
      `  records rejected   ${r.records.rejected}`,
    );
    for (const [reason, n] of Object.entries(r.rejectedByReason).sort())
      if (n > 0) lines.push(`    ${reason.padEnd(24)} ${n}`);
    const unknown = Object.entries(r.unknownFields).sort();
    if (unknown.length > 0)
      lines.push(`  unknown fields     ${unknown.map(([name, n]) => `${name} (${n})`).join(", ")}`);
    lines.push(`  partitions written ${r.partitionsWritten.length}`);
    if (r.errorObjects.length > 0) lines.push(`  rejects in         ${r.errorObjects.join(", ")}`);
  } else if (result.reportProblem) {
    lines.push(`  counts unavailable: ${result.reportProblem}`);
  }
  return `${lines.join("\n")}\n`;
}

function isFinal(state: string): boolean {
  return (finalJobRunStates as readonly string[]).includes(state);
}
