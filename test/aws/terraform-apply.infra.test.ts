import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { cpSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { parse } from "@cdktf/hcl2json";
import {
  FirehoseClient,
  DescribeDeliveryStreamCommand,
  ListDeliveryStreamsCommand,
} from "@aws-sdk/client-firehose";
import { GetJobCommand, GetJobsCommand, GlueClient } from "@aws-sdk/client-glue";
import {
  GetBucketEncryptionCommand,
  GetBucketLoggingCommand,
  PutBucketLoggingCommand,
  ListBucketsCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { parseTerraformOutputs } from "../../src/aws/terraform-outputs.js";
import { startMotoServer, type MotoServer } from "../support/moto-server.js";
import {
  pythonSide,
  requireTool,
  terraform,
  terraformAwsProviders,
  terraformPluginDir,
} from "../support/optional-suite.js";
import { tempDir } from "../support/temp-dir.js";

/**
 * `terraform apply`, then `terraform destroy`, of a copy of infra/ against moto in server mode. The copy
 * gets one test-only override file: the provider version found offline, and moto's endpoint for every
 * service. The real configuration is never edited. The resources moto cannot create or delete are left out
 * with -target; docs/aws.md lists each with the error moto gave, and this test keeps the two lists equal.
 */

const root = fileURLToPath(new URL("../../../", import.meta.url));

/** Left out of the apply, with why (docs/aws.md, "terraform apply against moto", says the same). */
const notApplied: readonly string[] = [
  'aws_s3_bucket_policy.this["scripts"]',
  "aws_athena_named_query.clickstream",
];

let moto: MotoServer | undefined;
let infra: string;

function available(): boolean {
  return pythonSide.missing() === undefined && terraform.missing() === undefined;
}

/** Runs terraform in the copy; resolves with its output, rejects with it when the exit code is not 0. */
function tf(args: string[], timeoutMs = 600_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("terraform", [`-chdir=${infra}`, ...args], {
      env: {
        ...moto!.env(),
        TF_IN_AUTOMATION: "1",
        CHECKPOINT_DISABLE: "1",
        TF_CLI_CONFIG_FILE: "/dev/null",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`terraform ${args[0]} exited ${code}:\n${err}\n${out.slice(-6000)}`));
    });
  });
}

/** Every resource address of infra/ (for_each resources as a whole) and the bucket roles, from a real HCL parser. */
async function parseInfra(): Promise<{ addresses: string[]; bucketRoles: string[] }> {
  const addresses: string[] = [];
  let bucketRoles: string[] = [];
  for (const file of readdirSync(join(root, "infra"))
    .filter((f) => f.endsWith(".tf"))
    .sort()) {
    const parsed = (await parse(file, readFileSync(join(root, "infra", file), "utf8"))) as {
      resource?: Record<string, Record<string, unknown>>;
      locals?: Record<string, unknown>[];
    };
    for (const [type, byName] of Object.entries(parsed.resource ?? {}))
      for (const name of Object.keys(byName)) addresses.push(`${type}.${name}`);
    for (const locals of parsed.locals ?? [])
      if (locals.bucket_roles) bucketRoles = Object.keys(locals.bucket_roles as object);
  }
  return { addresses, bucketRoles };
}

describe("terraform apply and destroy of infra/ against moto", () => {
  before(async () => {
    if (!available()) return;
    moto = await startMotoServer();
    const work = await tempDir("clickstream-tf-moto-");
    for (const dir of ["infra", "glue", "queries", "contract"])
      cpSync(join(root, dir), join(work, dir), { recursive: true });
    infra = join(work, "infra");
    const provider = terraformAwsProviders()[0]!;
    const services = ["athena", "cloudwatchlogs", "firehose", "glue", "iam", "kms", "s3", "sts"];
    writeFileSync(
      join(infra, "moto_override.tf"),
      `# Test-only: the provider found offline, and moto's endpoint for every service infra/ uses.
terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "${provider}"
    }
  }
}

provider "aws" {
  access_key                  = "${moto.credentials.accessKeyId}"
  secret_key                  = "${moto.credentials.secretAccessKey}"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  s3_use_path_style           = true

  endpoints {
${services.map((s) => `    ${s} = "${moto!.endpoint}"`).join("\n")}
  }
}
`,
    );
    await tf(["init", "-input=false", `-plugin-dir=${terraformPluginDir}`]);
  });
  after(async () => {
    await moto?.close();
  });

  it("applies everything moto can create, the outputs satisfy the CLI, and destroy leaves nothing behind", async (t) => {
    if (!requireTool(t, pythonSide) || !requireTool(t, terraform)) return;
    // -target names whole resources, or single for_each instances: every bucket policy but the one left out.
    const { addresses, bucketRoles } = await parseInfra();
    assert.equal(bucketRoles.length, 5);
    const targets = [
      ...addresses.filter((a) => a !== "aws_s3_bucket_policy.this"),
      ...bucketRoles.map((role) => `aws_s3_bucket_policy.this["${role}"]`),
    ].filter((a) => !notApplied.includes(a));
    // A disposable deployment: buckets may be deleted with what is in them (moto, like S3, writes access
    // logs into the log bucket), as `./deploy.sh --destroy` empties them first.
    const vars = ["-var", "force_destroy=true"];
    const started = Date.now();
    await tf([
      "apply",
      "-auto-approve",
      "-input=false",
      "-no-color",
      ...vars,
      ...targets.map((a) => `-target=${a}`),
    ]);
    t.diagnostic(`apply: ${Math.round((Date.now() - started) / 1000)} s`);
    // A targeted apply writes only outputs that depend on a target (not `region`): a refresh-only apply,
    // which changes no resource, writes the rest as a full apply would.
    await tf(["apply", "-refresh-only", "-auto-approve", "-input=false", "-no-color", ...vars]);

    // The outputs are what deploy.sh writes to terraform-outputs.json: the CLI's reader accepts them.
    const outputs = parseTerraformOutputs(
      JSON.parse(await tf(["output", "-json"])),
      "terraform output -json",
    );
    assert.equal(outputs.rawBucket, `clickstream-pipeline-raw-${moto!.accountId}-us-east-1`);
    assert.equal(outputs.stateBucket, outputs.errorsBucket);

    const client = { endpoint: moto!.endpoint, region: moto!.region, credentials: moto!.credentials };
    const s3 = new S3Client({ ...client, forcePathStyle: true });
    const firehose = new FirehoseClient(client);
    const glue = new GlueClient(client);
    try {
      const keyArn = JSON.parse(await tf(["output", "-json", "kms_key_arn"])) as string;
      for (const bucket of [outputs.rawBucket, outputs.transformedBucket, outputs.errorsBucket]) {
        const rule = (await s3.send(new GetBucketEncryptionCommand({ Bucket: bucket })))
          .ServerSideEncryptionConfiguration?.Rules?.[0];
        assert.deepEqual(rule?.ApplyServerSideEncryptionByDefault, {
          SSEAlgorithm: "aws:kms",
          KMSMasterKeyID: keyArn,
        });
        const logging = (await s3.send(new GetBucketLoggingCommand({ Bucket: bucket }))).LoggingEnabled;
        assert.equal(logging?.TargetPrefix, `${bucket}/`);
      }
      const stream = (
        await firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: outputs.firehoseStream }))
      ).DeliveryStreamDescription;
      assert.equal(
        stream?.Destinations?.[0]?.ExtendedS3DestinationDescription?.Prefix,
        "raw/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/",
      );
      const job = (await glue.send(new GetJobCommand({ JobName: outputs.glueJob }))).Job;
      assert.equal(job?.GlueVersion, "5.1");
      assert.equal(job?.SecurityConfiguration, "clickstream-pipeline-encryption");

      // moto writes an access log object for every request at once (S3 delivers them minutes later): while
      // force_destroy empties one bucket, its deletes kept filling the log bucket being emptied, and
      // destroy now and then retried until the timeout. Logging off first, as for a bucket being retired.
      for (const { Name } of (await s3.send(new ListBucketsCommand({}))).Buckets ?? []) {
        await s3.send(new PutBucketLoggingCommand({ Bucket: Name!, BucketLoggingStatus: {} }));
      }
      const destroying = Date.now();
      await tf(["destroy", "-auto-approve", "-input=false", "-no-color", ...vars]);
      t.diagnostic(`destroy: ${Math.round((Date.now() - destroying) / 1000)} s`);
      assert.deepEqual((await s3.send(new ListBucketsCommand({}))).Buckets ?? [], []);
      assert.deepEqual((await glue.send(new GetJobsCommand({}))).Jobs ?? [], []);
      assert.deepEqual((await firehose.send(new ListDeliveryStreamsCommand({}))).DeliveryStreamNames, []);
      // Services the project's SDK does not carry are asked with the AWS CLI from the virtualenv.
      const cli = (args: string[]) =>
        JSON.parse(
          execFileSync(join(root, ".venv", "bin", "aws"), [...args, "--output", "json"], {
            env: moto!.env(),
            encoding: "utf8",
          }),
        ) as Record<string, unknown>;
      assert.deepEqual((cli(["iam", "list-roles"]) as { Roles: unknown[] }).Roles, []);
      const key = cli(["kms", "describe-key", "--key-id", keyArn]) as { KeyMetadata: { KeyState: string } };
      assert.equal(
        key.KeyMetadata.KeyState,
        "PendingDeletion",
        "a KMS key is only ever scheduled for deletion",
      );
      assert.equal(JSON.parse(await tf(["show", "-json"])).values, undefined, "the state is empty");
    } finally {
      for (const c of [s3, firehose, glue]) c.destroy();
    }
  });

  it("docs/aws.md lists exactly the resources left out of the apply", async (t) => {
    if (!requireTool(t, pythonSide) || !requireTool(t, terraform)) return;
    const docs = readFileSync(join(root, "docs", "aws.md"), "utf8");
    const section = docs.slice(docs.indexOf("### terraform apply against moto"));
    const listed = [...section.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]);
    assert.deepEqual(listed, [...notApplied]);
  });
});
