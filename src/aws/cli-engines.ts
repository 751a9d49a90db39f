import { createStorage } from "../storage/create-storage.js";
import { parseConfig } from "../config/load-config.js";
import { formatResult, type ResultFormat } from "../query/result-formatter.js";
import { createAthenaClient, createGlueClient } from "./aws-clients.js";
import { formatAthenaSummary, runAthenaQuery } from "./athena-query-engine.js";
import { formatCrawlerResult, runGlueCrawler } from "./glue-crawler-engine.js";
import { formatGlueJobResult, runGlueJob } from "./glue-job-engine.js";
import { bucketsFromOutputs, readTerraformOutputs, type DeploymentOutputs } from "./terraform-outputs.js";
import { writeTerminal } from "../terminal/terminal-text.js";

/**
 * The AWS engines behind `--engine glue|athena`: the same commands, run by AWS's services on the deployment
 * described by terraform-outputs.json. Loaded on demand so local commands never pay for the AWS SDK.
 */
export interface AwsEngineFlags {
  terraformOutputs?: string | undefined;
  region?: string | undefined;
  /** `--endpoint`: every AWS call (Glue, Athena, S3) to this URL instead of AWS, e.g. a local `clickstream serve`. */
  endpoint?: string | undefined;
  json?: boolean | undefined;
}

async function deployment(flags: AwsEngineFlags): Promise<DeploymentOutputs> {
  return readTerraformOutputs(flags.terraformOutputs);
}

/** `clickstream transform --engine glue`: StartJobRun, progress until a final state, the job's counts. */
export async function transformOnGlue(flags: AwsEngineFlags & { now?: Date | undefined }): Promise<void> {
  const outputs = await deployment(flags);
  const region = flags.region ?? outputs.region;
  const reportStorage = createStorage(
    parseConfig({
      warehouse: {
        storage: "s3",
        region,
        buckets: bucketsFromOutputs(outputs),
        ...(flags.endpoint ? { endpoint: flags.endpoint } : {}),
      },
    }),
  );
  const result = await runGlueJob({
    client: createGlueClient({ region, endpoint: flags.endpoint }),
    jobName: outputs.glueJob,
    // The job's run argument --now pins the processing time, as --now does locally.
    ...(flags.now ? { arguments: { "--now": flags.now.toISOString() } } : {}),
    reportStorage,
    ...(flags.json ? { display: null } : {}),
  });
  if (flags.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else writeTerminal(process.stdout, formatGlueJobResult(outputs.glueJob, result));
}

/** `clickstream crawl --engine glue`: StartCrawler and wait for the crawl's outcome. */
export async function crawlOnGlue(flags: AwsEngineFlags): Promise<void> {
  const outputs = await deployment(flags);
  const result = await runGlueCrawler({
    client: createGlueClient({ region: flags.region ?? outputs.region, endpoint: flags.endpoint }),
    crawlerName: outputs.crawler,
    ...(flags.json ? { display: null } : {}),
  });
  if (flags.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else writeTerminal(process.stdout, formatCrawlerResult(result));
}

/** `clickstream query --engine athena`: each statement in the deployment's workgroup, same output formats. */
export async function queryOnAthena(
  statements: { sql: string; label: string | null }[],
  flags: AwsEngineFlags & {
    format: ResultFormat;
    spreadsheetSafe?: boolean | undefined;
    params?: readonly string[] | undefined;
  },
): Promise<void> {
  const outputs = await deployment(flags);
  const client = createAthenaClient({ region: flags.region ?? outputs.region, endpoint: flags.endpoint });
  for (const statement of statements) {
    if (statements.length > 1 && flags.format === "table" && statement.label) {
      writeTerminal(process.stdout, `-- ${statement.label}\n`);
    }
    const result = await runAthenaQuery({
      client,
      sql: statement.sql,
      workgroup: outputs.athenaWorkgroup,
      database: outputs.database,
      // Athena's execution parameters are SQL literals: each value goes as a quoted string.
      executionParameters: (flags.params ?? []).map((v) => `'${v.replaceAll("'", "''")}'`),
      ...(flags.format === "table" ? {} : { display: null }),
    });
    process.stdout.write(formatResult({ columns: result.columns, rows: result.rows }, flags.format, flags));
    writeTerminal(process.stderr, formatAthenaSummary(result));
  }
}
