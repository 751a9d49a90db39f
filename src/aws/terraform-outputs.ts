import { readFile } from "node:fs/promises";
import { z } from "zod";
import { ClickstreamError } from "../errors/clickstream-error.js";

/** The file `./deploy.sh` writes with `terraform output -json`. */
export const defaultTerraformOutputsFile = "terraform-outputs.json";

// `terraform output -json`: { "<name>": { "sensitive": bool, "type": <type>, "value": <value> }, … }
const outputSchema = z.object({ value: z.unknown(), sensitive: z.boolean().optional(), type: z.unknown() });
const stringOutput = outputSchema.extend({ value: z.string().min(1) });

const outputsSchema = z.object({
  region: stringOutput,
  raw_bucket_name: stringOutput,
  transformed_bucket_name: stringOutput,
  errors_bucket_name: stringOutput,
  athena_results_bucket_name: stringOutput,
  athena_workgroup_name: stringOutput,
  firehose_stream_name: stringOutput,
  glue_job_name: stringOutput,
  crawler_name: stringOutput,
  database_name: stringOutput,
  // Optional: older deployments had no separate state output (the errors bucket holds _state/).
  state_bucket_name: stringOutput.optional(),
});

/** What the CLI's AWS engines need to know about a deployment. */
export interface DeploymentOutputs {
  readonly region: string;
  readonly rawBucket: string;
  readonly transformedBucket: string;
  readonly errorsBucket: string;
  /** Bucket holding `_state/` (run reports of the Glue job): the errors bucket. */
  readonly stateBucket: string;
  readonly athenaResultsBucket: string;
  readonly athenaWorkgroup: string;
  readonly firehoseStream: string;
  readonly glueJob: string;
  readonly crawler: string;
  readonly database: string;
}

/** Validates parsed `terraform output -json` text. Throws CS_ERR_AWS_OUTPUTS_INVALID naming each problem. */
export function parseTerraformOutputs(raw: unknown, source = defaultTerraformOutputsFile): DeploymentOutputs {
  const result = outputsSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new ClickstreamError("CS_ERR_AWS_OUTPUTS_INVALID", `${source}: ${problems}`);
  }
  const o = result.data;
  return {
    region: o.region.value,
    rawBucket: o.raw_bucket_name.value,
    transformedBucket: o.transformed_bucket_name.value,
    errorsBucket: o.errors_bucket_name.value,
    stateBucket: o.state_bucket_name?.value ?? o.errors_bucket_name.value,
    athenaResultsBucket: o.athena_results_bucket_name.value,
    athenaWorkgroup: o.athena_workgroup_name.value,
    firehoseStream: o.firehose_stream_name.value,
    glueJob: o.glue_job_name.value,
    crawler: o.crawler_name.value,
    database: o.database_name.value,
  };
}

/** Reads and validates terraform-outputs.json. Throws CS_ERR_AWS_OUTPUTS_MISSING when the file is absent. */
export async function readTerraformOutputs(path = defaultTerraformOutputsFile): Promise<DeploymentOutputs> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new ClickstreamError("CS_ERR_AWS_OUTPUTS_MISSING", path, { cause: error });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ClickstreamError("CS_ERR_AWS_OUTPUTS_INVALID", `${path} is not JSON`, { cause: error });
  }
  return parseTerraformOutputs(raw, path);
}

/** The `warehouse.buckets` config section of a deployment. */
export function bucketsFromOutputs(outputs: DeploymentOutputs): {
  raw: string;
  transformed: string;
  errors: string;
  athenaResults: string;
  state: string;
} {
  return {
    raw: outputs.rawBucket,
    transformed: outputs.transformedBucket,
    errors: outputs.errorsBucket,
    athenaResults: outputs.athenaResultsBucket,
    state: outputs.stateBucket,
  };
}
