import { randomUUID } from "node:crypto";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { ClickstreamError } from "../errors/clickstream-error.js";
import { localNamedQueries } from "./athena-named-queries.js";
import type { ClickstreamConfig } from "../config/config-schema.js";
import { localStack, type LocalStack } from "./local-stack.js";

/** One `terraform output -json` entry. */
interface OutputEntry {
  readonly sensitive: false;
  readonly type: string | readonly unknown[];
  readonly value: unknown;
}

/**
 * The local stack as `terraform output -json` describes a deployment: the keys of infra/outputs.tf, each
 * `{"sensitive": false, "type": "string", "value": …}` (named_queries a map of key → id), so a script
 * written for a real deployment (`jq -r .raw_bucket_name.value terraform-outputs.json`) reads it unchanged.
 */
async function localOutputs(stack: LocalStack, streamName: string): Promise<Record<string, OutputEntry>> {
  const text = (value: string): OutputEntry => ({ sensitive: false, type: "string", value });
  const bucket = (suffix: string): string => `${stack.project}-${suffix}-${stack.accountId}-${stack.region}`;
  const queries = await localNamedQueries(stack);
  return {
    region: text(stack.region),
    raw_bucket_name: text(stack.buckets.raw!),
    transformed_bucket_name: text(stack.buckets.transformed!),
    errors_bucket_name: text(stack.buckets.errors!),
    state_bucket_name: text(stack.buckets.errors!),
    scripts_bucket_name: text(bucket("scripts")),
    athena_results_bucket_name: text(stack.buckets["athena-results"]!),
    access_logs_bucket_name: text(bucket("access-logs")),
    // No KMS here; an ARN of the local account that names no real key.
    kms_key_arn: text(
      `arn:aws:kms:${stack.region}:${stack.accountId}:key/00000000-0000-0000-0000-000000000000`,
    ),
    athena_workgroup_name: text(stack.workgroups[0]!),
    firehose_stream_name: text(streamName),
    glue_job_name: text(stack.jobName),
    crawler_name: text(stack.crawlerName),
    database_name: text(stack.database),
    named_queries: {
      sensitive: false,
      type: ["map", "string"],
      value: Object.fromEntries(queries.map((q) => [q.key, q.query.NamedQueryId])),
    },
  };
}

/** The bucket outputs of a file: the ones that tell a deployment's account. */
const bucketKeys = ["raw_bucket_name", "transformed_bucket_name", "athena_results_bucket_name"] as const;

/**
 * Why an existing outputs file may not be replaced, or undefined when it may: only a file that names a
 * local stack (every bucket in the local account, `…-000000000000-<region>`, which no AWS account has) is
 * ours to overwrite. Anything else (a real deployment's outputs, another file) is kept.
 */
function refusal(text: string, accountId: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return "it is not a JSON outputs file written by clickstream";
  }
  const outputs = parsed as Record<string, { value?: unknown } | undefined> | null;
  if (typeof outputs !== "object" || outputs === null || Array.isArray(outputs))
    return "it is not a JSON outputs file written by clickstream";
  for (const key of bucketKeys) {
    const value = outputs[key]?.value;
    if (typeof value !== "string" || !value.includes(`-${accountId}-`))
      return typeof value === "string"
        ? `its ${key} is ${JSON.stringify(value)}, a bucket outside the local account ${accountId}: it names a real deployment`
        : `it has no ${key}: it was not written by clickstream`;
  }
  return undefined;
}

/**
 * Writes the local stack's outputs to `path` (a temp file renamed over it, so a reader never sees half a
 * file). Refuses, with CS_ERR_OUTPUTS_NOT_LOCAL, to replace a file that does not name a local stack.
 */
export async function writeLocalOutputs(
  path: string,
  config: Pick<ClickstreamConfig, "catalog" | "collector">,
): Promise<void> {
  const stack = localStack(config, config.collector.region);
  let existing: string | undefined;
  try {
    existing = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const why = existing === undefined ? undefined : refusal(existing, stack.accountId);
  if (why !== undefined) throw new ClickstreamError("CS_ERR_OUTPUTS_NOT_LOCAL", `${path}: ${why}`);
  const temp = join(dirname(path), `.${randomUUID()}.tmp`);
  try {
    await writeFile(
      temp,
      `${JSON.stringify(await localOutputs(stack, config.collector.eventsStream), null, 2)}\n`,
      { flag: "wx" },
    );
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
