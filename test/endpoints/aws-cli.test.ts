import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { awsCliV2, awsCliV2Path, pythonClients, requireTool, venvPython } from "../support/optional-suite.js";
import { isolatedAwsCliEnv } from "../support/serve-process.js";
import { tempDir } from "../support/temp-dir.js";
import {
  credentials,
  names,
  region,
  startEndpointsFixture,
  type EndpointsFixture,
} from "./endpoints-fixture.js";

const exec = promisify(execFile);

/**
 * The Athena steps of the pipeline's walk-through (docs/aws.md, issue 15 §2) as a shell script with the
 * AWS CLI, then the result read back through S3, STS and the catalog's partitions. The CLI v1 finds the
 * endpoint in AWS_ENDPOINT_URL; v2 is given --endpoint-url on every call.
 */
const walkThrough = (aws: string): string => `
RESULTS_BUCKET=${names.resultsBucket}
WORKGROUP=${names.workgroup}
ID=$(${aws} athena start-query-execution --query-string "SELECT * FROM transformed LIMIT 10;" --query-execution-context "Database=clickstream_db" --result-configuration "OutputLocation=s3://\${RESULTS_BUCKET}/" --work-group \${WORKGROUP} --output text --query QueryExecutionId)
for i in $(seq 100); do
  STATE=$(${aws} athena get-query-execution --query-execution-id "$ID" --output text --query QueryExecution.Status.State)
  [ "$STATE" = SUCCEEDED ] && break
  sleep 0.1
done
echo "$STATE" > state.txt
${aws} athena get-query-results --query-execution-id "$ID" > results.json
${aws} s3 ls "s3://\${RESULTS_BUCKET}/athena-results/" > listing.txt
${aws} s3 cp "s3://\${RESULTS_BUCKET}/athena-results/$ID.csv" result.csv --only-show-errors
${aws} sts get-caller-identity --output text --query Account > account.txt
${aws} glue get-partitions --database-name clickstream_db --table-name transformed --expression "day = '05'" --output text --query 'Partitions[].Values[2]' > partitions.txt
echo "$ID"
`;

let f: EndpointsFixture | undefined;
before(async () => {
  if (pythonClients.missing() === undefined || awsCliV2.missing() === undefined)
    f = await startEndpointsFixture();
});
after(() => f?.stop());

async function runWalkThrough(aws: string, extraEnv: NodeJS.ProcessEnv, awsDir: string): Promise<void> {
  const cwd = await tempDir("clickstream-cli-walkthrough-");
  const env = {
    ...isolatedAwsCliEnv(`${awsDir}:${process.env.PATH}`, cwd),
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    ...extraEnv,
  };
  const { stdout } = await exec("bash", ["-euo", "pipefail", "-c", walkThrough(aws)], {
    cwd,
    env,
    timeout: 120_000,
  });
  const id = stdout.trim();
  const read = (name: string): Promise<string> => readFile(join(cwd, name), "utf8");
  assert.equal((await read("state.txt")).trim(), "SUCCEEDED");
  const results = JSON.parse(await read("results.json")) as {
    ResultSet: {
      Rows: { Data: { VarCharValue?: string }[] }[];
      ResultSetMetadata: { ColumnInfo: { Name: string }[] };
    };
  };
  const columns = results.ResultSet.ResultSetMetadata.ColumnInfo.map((c) => c.Name);
  const expected = await f!.engineRun("SELECT * FROM transformed LIMIT 0");
  assert.deepEqual(
    columns,
    expected.columns.map((c) => c.name),
  );
  assert.equal(results.ResultSet.Rows.length, 11, "the header row and 10 rows");
  assert.match(await read("listing.txt"), new RegExp(`${id}\\.csv`));
  const csv = await read("result.csv");
  assert.equal(
    csv,
    (await f!.storage.readBytes("athena-results", `athena-results/${id}.csv`)).toString("utf8"),
  );
  assert.equal(csv.split("\n")[0], columns.map((c) => `"${c}"`).join(","));
  assert.equal((await read("account.txt")).trim(), "000000000000");
  assert.equal((await read("partitions.txt")).trim(), "05");
}

describe("the walk-through's Athena steps with the AWS CLI", () => {
  test("AWS CLI v1 (PyPI's awscli, in .venv) with AWS_ENDPOINT_URL", async (t) => {
    if (!requireTool(t, pythonClients)) return;
    await runWalkThrough("aws", { AWS_ENDPOINT_URL: f!.serve.url }, dirname(venvPython));
  });

  test("AWS CLI v2 (Debian's awscli) with --endpoint-url", async (t) => {
    if (!requireTool(t, awsCliV2)) return;
    await runWalkThrough(`aws --endpoint-url ${f!.serve.url}`, {}, dirname(awsCliV2Path));
  });
});
