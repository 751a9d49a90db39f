// test tier: fast (in-process, no child processes)
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { bucketsFromOutputs, readTerraformOutputs } from "../../src/aws/terraform-outputs.js";
import { tempDir } from "../support/temp-dir.js";

const out = (value: string) => ({ sensitive: false, type: "string", value });

/** What `terraform output -json` prints for infra/outputs.tf. */
const outputs = {
  region: out("eu-west-1"),
  raw_bucket_name: out("cs-raw-123456789012-eu-west-1"),
  transformed_bucket_name: out("cs-transformed-123456789012-eu-west-1"),
  errors_bucket_name: out("cs-errors-123456789012-eu-west-1"),
  state_bucket_name: out("cs-errors-123456789012-eu-west-1"),
  scripts_bucket_name: out("cs-scripts-123456789012-eu-west-1"),
  athena_results_bucket_name: out("cs-athena-results-123456789012-eu-west-1"),
  athena_workgroup_name: out("cs-workgroup"),
  firehose_stream_name: out("cs-stream"),
  glue_job_name: out("cs-transform"),
  crawler_name: out("cs-crawler"),
  database_name: out("clickstream_db"),
  named_queries: { sensitive: false, type: ["map", "string"], value: { query_01: "abc" } },
};

describe("terraform outputs", () => {
  it("reads terraform-outputs.json into the deployment's names and bucket config", async () => {
    const file = join(await tempDir(), "terraform-outputs.json");
    await writeFile(file, JSON.stringify(outputs));
    const deployment = await readTerraformOutputs(file);
    assert.equal(deployment.region, "eu-west-1");
    assert.equal(deployment.glueJob, "cs-transform");
    assert.equal(deployment.athenaWorkgroup, "cs-workgroup");
    assert.equal(deployment.firehoseStream, "cs-stream");
    assert.deepEqual(bucketsFromOutputs(deployment), {
      raw: "cs-raw-123456789012-eu-west-1",
      transformed: "cs-transformed-123456789012-eu-west-1",
      errors: "cs-errors-123456789012-eu-west-1",
      athenaResults: "cs-athena-results-123456789012-eu-west-1",
      state: "cs-errors-123456789012-eu-west-1",
    });
  });

  it("names a missing file and a missing output clearly", async () => {
    const dir = await tempDir();
    await assert.rejects(readTerraformOutputs(join(dir, "nope.json")), {
      code: "CS_ERR_AWS_OUTPUTS_MISSING",
    });
    const file = join(dir, "partial.json");
    const { glue_job_name: _dropped, ...partial } = outputs;
    await writeFile(file, JSON.stringify(partial));
    await assert.rejects(readTerraformOutputs(file), {
      code: "CS_ERR_AWS_OUTPUTS_INVALID",
      message: /glue_job_name/,
    });
    await writeFile(file, "not json");
    await assert.rejects(readTerraformOutputs(file), { code: "CS_ERR_AWS_OUTPUTS_INVALID" });
  });
});
