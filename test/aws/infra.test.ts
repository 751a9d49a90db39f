import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { getReferencesInExpression, parse } from "@cdktf/hcl2json";
import { bucketHomePrefix } from "../../src/storage/storage.js";
import {
  datePartitionPath,
  defaultStreamName,
  rawKeyPrefix,
  rawObjectKey,
} from "../../src/storage/warehouse-layout.js";
import { tempDir } from "../support/temp-dir.js";

/** Offline checks of infra/: a real HCL parser, then assertions on what the configuration says. */

const root = fileURLToPath(new URL("../../../", import.meta.url));
const infraDir = join(root, "infra");
const expectedFiles = [
  "athena.tf",
  "glue.tf",
  "iam.tf",
  "kinesis.tf",
  "kms.tf",
  "main.tf",
  "outputs.tf",
  "s3.tf",
  "variables.tf",
];

// hcl2json renders blocks as arrays of bodies and expressions as "${…}" strings.
type Body = Record<string, unknown>;
interface Config {
  resources: Map<string, Body>; // "type.name" → body
  data: Map<string, Body>; // "type.name" → body
  variables: Map<string, Body>;
  locals: Map<string, unknown>;
  outputs: Map<string, Body>;
  terraform: Body[];
  provider: Body;
}

let config: Config;

function block(value: unknown): Body {
  assert.ok(Array.isArray(value) && value.length === 1, `expected one block, got ${JSON.stringify(value)}`);
  return value[0] as Body;
}
function blocks(value: unknown): Body[] {
  return Array.isArray(value) ? (value as Body[]) : [];
}
const resource = (id: string): Body => {
  const body = config.resources.get(id);
  assert.ok(body, `resource ${id} exists`);
  return body;
};
const local = (name: string): unknown => {
  assert.ok(config.locals.has(name), `local.${name} exists`);
  return config.locals.get(name);
};

/** Expands `${local.x}` references to locals that are plain strings (enough for the prefixes). */
function expandLocals(text: string): string {
  return text.replace(/\$\{local\.([a-z0-9_]+)\}/g, (whole, name: string) => {
    const value = config.locals.get(name);
    return typeof value === "string" && !value.includes("${") ? value : whole;
  });
}

function allStrings(value: unknown, out: string[] = []): string[] {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) for (const v of value) allStrings(v, out);
  else if (value && typeof value === "object") for (const v of Object.values(value)) allStrings(v, out);
  return out;
}

before(async () => {
  const files = readdirSync(infraDir)
    .filter((f) => f.endsWith(".tf"))
    .sort();
  assert.deepEqual(files, expectedFiles);
  config = {
    resources: new Map(),
    data: new Map(),
    variables: new Map(),
    locals: new Map(),
    outputs: new Map(),
    terraform: [],
    provider: {},
  };
  for (const file of files) {
    const parsed = (await parse(file, readFileSync(join(infraDir, file), "utf8"))) as Record<string, unknown>;
    for (const [type, byName] of Object.entries(
      (parsed.resource ?? {}) as Record<string, Record<string, unknown>>,
    ))
      for (const [name, body] of Object.entries(byName)) config.resources.set(`${type}.${name}`, block(body));
    for (const [type, byName] of Object.entries(
      (parsed.data ?? {}) as Record<string, Record<string, unknown>>,
    ))
      for (const [name, body] of Object.entries(byName)) config.data.set(`${type}.${name}`, block(body));
    for (const [name, body] of Object.entries((parsed.variable ?? {}) as Record<string, unknown>))
      config.variables.set(name, block(body));
    for (const [name, body] of Object.entries((parsed.output ?? {}) as Record<string, unknown>))
      config.outputs.set(name, block(body));
    for (const locals of blocks(parsed.locals))
      for (const [k, v] of Object.entries(locals)) config.locals.set(k, v);
    config.terraform.push(...blocks(parsed.terraform));
    if (parsed.provider) config.provider = parsed.provider as Body;
  }
});

describe("infra/ (Terraform, checked offline)", () => {
  it("pins Terraform >= 1.5.7 and the AWS provider ~> 6.0", () => {
    const tf = block(config.terraform);
    assert.equal(tf.required_version, ">= 1.5.7");
    const providers = block(tf.required_providers) as Record<string, { source: string; version: string }>;
    assert.deepEqual(providers.aws, { source: "hashicorp/aws", version: "~> 6.0" });
    assert.equal(block((config.provider as Record<string, unknown>).aws).region, "${var.aws_region}");
  });

  it("every reference resolves to a declared resource, data source, variable or local, and every variable is used", async () => {
    const strings = [
      ...[...config.resources.values()],
      ...[...config.data.values()],
      ...[...config.outputs.values()],
      ...[...config.locals.values()],
      config.provider,
    ].flatMap((body) => allStrings(body));
    const used = new Set<string>();
    const problems: string[] = [];
    for (const text of strings.filter((s) => s.includes("${"))) {
      for (const ref of await getReferencesInExpression("infra.tf", text)) {
        const parts = ref.value.split(".");
        const [head, second, third] = parts;
        if (["each", "path", "count", "self", "terraform", "rule"].includes(head!)) continue;
        used.add(`${head}.${second}`);
        if (head === "var") {
          if (!config.variables.has(second!)) problems.push(`var.${second}`);
        } else if (head === "local") {
          if (!config.locals.has(second!)) problems.push(`local.${second}`);
        } else if (head === "data") {
          if (!config.data.has(`${second}.${third}`)) problems.push(`data.${second}.${third}`);
        } else if (!config.resources.has(`${head}.${second}`)) {
          problems.push(ref.value);
        }
      }
    }
    assert.deepEqual(problems, [], "unresolved references");
    const unusedVariables = [...config.variables.keys()].filter((name) => !used.has(`var.${name}`));
    assert.deepEqual(unusedVariables, [], "declared but unused variables");
    const unusedLocals = [...config.locals.keys()].filter((name) => !used.has(`local.${name}`));
    assert.deepEqual(unusedLocals, [], "declared but unused locals");
  });

  it("has five data buckets, each encrypted with the pipeline's key, fully private, owner-enforced, TLS-only and access-logged", () => {
    assert.deepEqual(Object.keys(local("bucket_roles") as object).sort(), [
      "athena_results",
      "errors",
      "raw",
      "scripts",
      "transformed",
    ]);
    const bucket = resource("aws_s3_bucket.this");
    assert.equal(bucket.for_each, "${local.bucket_names}");
    assert.equal(bucket.force_destroy, "${var.force_destroy}");
    assert.equal(config.variables.get("force_destroy")?.default, false);
    // Names carry project, account and region: globally unique.
    assert.match(String(local("bucket_names")), /var\.project_name.*local\.account_id.*var\.aws_region/);

    // Each setting iterates over every bucket, so no bucket can lack it.
    for (const id of [
      "aws_s3_bucket_server_side_encryption_configuration.this",
      "aws_s3_bucket_public_access_block.this",
      "aws_s3_bucket_ownership_controls.this",
      "aws_s3_bucket_policy.this",
      "aws_s3_bucket_versioning.this",
      "aws_s3_bucket_lifecycle_configuration.this",
      "aws_s3_bucket_logging.this",
    ])
      assert.equal(resource(id).for_each, "${aws_s3_bucket.this}", `${id} covers every bucket`);

    const sse = block(resource("aws_s3_bucket_server_side_encryption_configuration.this").rule);
    assert.deepEqual(block(sse.apply_server_side_encryption_by_default), {
      sse_algorithm: "aws:kms",
      kms_master_key_id: "${aws_kms_key.pipeline.arn}",
    });
    assert.equal(sse.bucket_key_enabled, true, "S3 Bucket Keys: one KMS call per bucket key, not per object");
    const key = resource("aws_kms_key.pipeline");
    assert.equal(key.enable_key_rotation, true);
    assert.equal(key.policy, "${data.aws_iam_policy_document.kms_key.json}");

    // Access logs go to a bucket of their own, which S3 lets write only with SSE-S3, through its policy.
    const logging = resource("aws_s3_bucket_logging.this");
    assert.equal(logging.target_bucket, "${aws_s3_bucket.access_logs.id}");
    assert.equal(logging.target_prefix, "${each.value.id}/");
    assert.equal(
      block(
        block(resource("aws_s3_bucket_server_side_encryption_configuration.access_logs").rule)
          .apply_server_side_encryption_by_default,
      ).sse_algorithm,
      "AES256",
    );
    const delivery = blocks(config.data.get("aws_iam_policy_document.access_logs")!.statement);
    assert.deepEqual(
      delivery.map((s) => [s.sid, s.effect ?? "Allow", s.actions]),
      [
        ["S3ServerAccessLogDelivery", "Allow", ["s3:PutObject"]],
        ["DenyInsecureTransport", "Deny", ["s3:*"]],
      ],
    );
    assert.deepEqual(block(delivery[0]!.principals), {
      type: "Service",
      identifiers: ["logging.s3.amazonaws.com"],
    });
    for (const id of [
      "aws_s3_bucket_public_access_block.access_logs",
      "aws_s3_bucket_ownership_controls.access_logs",
      "aws_s3_bucket_versioning.access_logs",
      "aws_s3_bucket_lifecycle_configuration.access_logs",
    ])
      assert.equal(resource(id).bucket, "${aws_s3_bucket.access_logs.id}", id);
    const pab = resource("aws_s3_bucket_public_access_block.this");
    for (const flag of [
      "block_public_acls",
      "block_public_policy",
      "ignore_public_acls",
      "restrict_public_buckets",
    ])
      assert.equal(pab[flag], true, flag);
    assert.equal(
      block(resource("aws_s3_bucket_ownership_controls.this").rule).object_ownership,
      "BucketOwnerEnforced",
    );

    const policy = resource("aws_s3_bucket_policy.this");
    assert.equal(policy.policy, "${data.aws_iam_policy_document.tls_only[each.key].json}");
    const tls = config.data.get("aws_iam_policy_document.tls_only")!;
    assert.equal(tls.for_each, "${aws_s3_bucket.this}");
    const deny = block(tls.statement);
    assert.equal(deny.effect, "Deny");
    assert.deepEqual(deny.actions, ["s3:*"]);
    assert.deepEqual(deny.resources, ["${each.value.arn}", "${each.value.arn}/*"]);
    assert.deepEqual(block(deny.condition), {
      test: "Bool",
      variable: "aws:SecureTransport",
      values: ["false"],
    });
    assert.deepEqual(block(deny.principals), { type: "*", identifiers: ["*"] });
  });

  it("versions every bucket and expires old versions, athena-results and errors (not _state/), aborting incomplete uploads everywhere", () => {
    const versioning = resource("aws_s3_bucket_versioning.this");
    assert.equal(versioning.bucket, "${each.value.id}");
    assert.equal(block(versioning.versioning_configuration).status, "Enabled");
    const lifecycle = resource("aws_s3_bucket_lifecycle_configuration.this");
    const [abort, noncurrent] = blocks(lifecycle.rule);
    assert.ok(abort && noncurrent, "two static rules");
    assert.equal(abort.status, "Enabled");
    assert.deepEqual(block(abort.filter), { prefix: "" });
    assert.ok(block(abort.abort_incomplete_multipart_upload).days_after_initiation);
    // Raw keeps old versions longer than the buckets rebuilt from it.
    assert.deepEqual(block(noncurrent.filter), { prefix: "" });
    assert.equal(
      block(noncurrent.noncurrent_version_expiration).noncurrent_days,
      '${each.key == "raw" ? var.raw_noncurrent_expiration_days : var.noncurrent_expiration_days}',
    );
    assert.deepEqual(block(noncurrent.expiration), { expired_object_delete_marker: true });
    const expiring = local("expiring_prefixes") as Record<string, { prefix: string; days: string }>;
    assert.deepEqual(Object.keys(expiring).sort(), ["athena_results", "errors"]);
    assert.equal(expandLocals(expiring.errors!.prefix), bucketHomePrefix.errors);
    assert.equal(expandLocals(expiring.athena_results!.prefix), bucketHomePrefix["athena-results"]);
    const dynamicRules = blocks((lifecycle.dynamic as Body).rule);
    assert.ok(blocks(block(dynamicRules[0]!.content).expiration).length === 1);
  });

  it("Firehose writes exactly the raw layout the collector writes and the transform reads", () => {
    const stream = resource("aws_kinesis_firehose_delivery_stream.events");
    assert.equal(stream.destination, "extended_s3");
    assert.deepEqual(block(stream.server_side_encryption), {
      enabled: true,
      key_type: "CUSTOMER_MANAGED_CMK",
      key_arn: "${aws_kms_key.pipeline.arn}",
    });
    assert.equal(resource("aws_cloudwatch_log_group.firehose").kms_key_id, "${aws_kms_key.pipeline.arn}");
    const s3 = block(stream.extended_s3_configuration);
    assert.equal(s3.bucket_arn, '${aws_s3_bucket.this["raw"].arn}');
    const prefix = expandLocals(
      String(s3.prefix === "${local.firehose_prefix}" ? local("firehose_prefix") : s3.prefix),
    );
    assert.equal(prefix, `${rawKeyPrefix}year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/`);
    // Evaluate Firehose's expressions for an instant and compare with the local key layout.
    const arrival = new Date(Date.UTC(2026, 2, 5, 23, 59, 58));
    const evaluated = prefix
      .replace("!{timestamp:yyyy}", "2026")
      .replace("!{timestamp:MM}", "03")
      .replace("!{timestamp:dd}", "05");
    assert.equal(evaluated, rawKeyPrefix + datePartitionPath(arrival));
    const key = rawObjectKey({ stream: defaultStreamName, arrival, uuid: "u" });
    assert.ok(key.startsWith(evaluated), `${key} lies under ${evaluated}`);

    const errorPrefix = expandLocals(String(local("firehose_error_output_prefix")));
    assert.equal(s3.error_output_prefix, "${local.firehose_error_output_prefix}");
    assert.match(errorPrefix, /!\{firehose:error-output-type\}/);
    assert.ok(!errorPrefix.startsWith(rawKeyPrefix), "Firehose's failed records stay out of raw/");

    assert.equal(s3.compression_format, "${var.firehose_compression_format}");
    assert.equal(config.variables.get("firehose_compression_format")?.default, "GZIP");
    assert.equal(s3.buffering_size, "${var.firehose_buffering_size_mb}");
    assert.equal(s3.buffering_interval, "${var.firehose_buffering_interval_seconds}");
    const processors = block(block(s3.processing_configuration).processors);
    assert.equal(processors.type, "AppendDelimiterToRecord");
    assert.equal(block(s3.cloudwatch_logging_options).enabled, true);
    // The stream's default name is the local collector's.
    assert.equal(
      String(local("stream_name")).replace(
        "${var.project_name}",
        String(config.variables.get("project_name")?.default),
      ),
      defaultStreamName,
    );
  });

  it("the job is bookmarked Glue Spark with its scripts in S3, and the crawler targets transformed/ and sessions/", () => {
    const job = resource("aws_glue_job.transform");
    const command = block(job.command);
    assert.equal(command.name, "glueetl");
    assert.equal(command.python_version, "3");
    // Glue 5.1 = Spark 3.5.6, Python 3.11, Java 17: what glue/requirements-dev.txt pins for --engine spark.
    assert.equal(config.variables.get("glue_version")?.default, "5.1");
    assert.match(readFileSync(join(root, "glue", "requirements-dev.txt"), "utf8"), /^pyspark==3\.5\.6$/m);
    assert.equal(job.security_configuration, "${aws_glue_security_configuration.pipeline.name}");
    const encryption = block(resource("aws_glue_security_configuration.pipeline").encryption_configuration);
    assert.deepEqual(
      [
        block(encryption.cloudwatch_encryption).cloudwatch_encryption_mode,
        block(encryption.job_bookmarks_encryption).job_bookmarks_encryption_mode,
        block(encryption.s3_encryption).s3_encryption_mode,
      ],
      ["SSE-KMS", "CSE-KMS", "SSE-KMS"],
    );
    const args = job.default_arguments as Record<string, string>;
    assert.equal(args["--job-bookmark-option"], "job-bookmark-enable");
    assert.equal(args["--enable-metrics"], "true");
    assert.equal(args["--enable-continuous-cloudwatch-log"], "true");
    assert.match(args["--TempDir"]!, /^s3:\/\/\$\{aws_s3_bucket\.this\["scripts"\]\.id\}\//);
    assert.match(args["--extra-py-files"]!, /aws_s3_object\.glue_rules\.key.*aws_s3_object\.glue_job\.key/);
    assert.match(args["--extra-files"]!, /aws_s3_object\.glue_contract\.key/);
    for (const name of ["--raw_bucket", "--transformed_bucket", "--errors_bucket", "--state_bucket"])
      assert.ok(args[name], `${name} is passed`);
    assert.equal(block(job.execution_property).max_concurrent_runs, 1);
    for (const [id, file] of [
      ["aws_s3_object.glue_script", "glue_script_path"],
      ["aws_s3_object.glue_rules", "glue_rules_path"],
      ["aws_s3_object.glue_job", "glue_job_path"],
      ["aws_s3_object.glue_contract", "glue_contract_path"],
    ] as const) {
      const object = resource(id);
      assert.equal(object.etag, `\${filemd5(local.${file})}`, `${id} redeploys on edit`);
      const path = String(local(file)).replace("${path.module}", infraDir);
      assert.ok(existsSync(path), `${path} exists`);
    }

    const crawler = resource("aws_glue_crawler.transformed");
    assert.equal(crawler.security_configuration, "${aws_glue_security_configuration.pipeline.name}");
    // One target per table, each named after its folder: transformed/ and the sessions table's folder.
    const sessionsFolder = (
      JSON.parse(readFileSync(join(root, "contract", "data-contract.json"), "utf8")) as {
        sessions: { folder: string };
      }
    ).sessions.folder;
    const targets = blocks(crawler.s3_target);
    assert.deepEqual(
      targets.map((target) => expandLocals(String(target.path))),
      [
        's3://${aws_s3_bucket.this["transformed"].id}/transformed/',
        `s3://\${aws_s3_bucket.this["transformed"].id}/${sessionsFolder}/`,
      ],
    );
    for (const target of targets)
      assert.deepEqual(target.exclusions, ["**/_temporary/**", "**/_SUCCESS", "**/.*"]);
    assert.equal(expandLocals("${local.transformed_prefix}"), bucketHomePrefix.transformed);
    assert.equal(expandLocals("${local.sessions_prefix}"), `${sessionsFolder}/`);
    const recrawl = block(crawler.recrawl_policy).recrawl_behavior;
    const policy = block(crawler.schema_change_policy);
    if (recrawl === "CRAWL_NEW_FOLDERS_ONLY")
      assert.deepEqual(policy, { update_behavior: "LOG", delete_behavior: "LOG" });
    assert.match(String(crawler.configuration), /InheritFromTable/);

    const schedule = resource("aws_glue_trigger.job_schedule");
    assert.equal(schedule.type, "SCHEDULED");
    assert.equal(schedule.schedule, "${var.job_schedule}");
    assert.equal(block(schedule.actions).job_name, "${aws_glue_job.transform.name}");
    const chain = resource("aws_glue_trigger.crawl_after_job");
    assert.equal(chain.type, "CONDITIONAL");
    assert.deepEqual(block(block(chain.predicate).conditions), {
      job_name: "${aws_glue_job.transform.name}",
      state: "SUCCEEDED",
    });
    assert.equal(block(chain.actions).crawler_name, "${aws_glue_crawler.transformed.name}");
  });

  it("the Athena workgroup enforces encrypted results in athena-results/ and a bytes-scanned cutoff", () => {
    const workgroup = resource("aws_athena_workgroup.clickstream");
    const c = block(workgroup.configuration);
    assert.equal(c.enforce_workgroup_configuration, true);
    assert.equal(c.publish_cloudwatch_metrics_enabled, true);
    assert.equal(c.bytes_scanned_cutoff_per_query, "${var.athena_bytes_scanned_cutoff}");
    assert.ok(Number(config.variables.get("athena_bytes_scanned_cutoff")?.default) >= 10_485_760);
    const results = block(c.result_configuration);
    assert.equal(
      expandLocals(String(results.output_location)),
      `s3://\${aws_s3_bucket.this["athena_results"].id}/${bucketHomePrefix["athena-results"]}`,
    );
    assert.deepEqual(block(results.encryption_configuration), {
      encryption_option: "SSE_KMS",
      kms_key_arn: "${aws_kms_key.pipeline.arn}",
    });
    const named = resource("aws_athena_named_query.clickstream");
    assert.equal(named.for_each, "${local.named_queries}");
    assert.equal(named.workgroup, "${aws_athena_workgroup.clickstream.id}");
    assert.equal(named.database, "${aws_glue_catalog_database.clickstream.name}");
    assert.equal(resource("aws_glue_catalog_database.clickstream").name, "${local.database_name}");
    assert.equal(config.variables.get("database_name")?.default, "clickstream_db");
  });

  it("the named-query section header pattern finds every `-- Query N: Title` of queries/athena_queries.sql", () => {
    const file = join(root, "queries", "athena_queries.sql");
    const header = String(local("query_header"));
    const match = /^\/\(\?m\)(.*)\/$/.exec(header);
    assert.ok(match, "query_header is a multi-line regex");
    // HCL string escapes (\\t) are already decoded by the parser; the pattern is RE2 and JS compatible.
    const pattern = new RegExp(match[1]!, "gm");
    const sample =
      "-- preamble\n\n-- Query 1: One\nSELECT 1;\n\n-- Query 12 : Twelve\r\nSELECT 12;\n-- not a Query 3: header\n";
    assert.equal(sample.match(pattern)?.length, 2);
    if (existsSync(file)) {
      const sql = readFileSync(file, "utf8");
      const titles = [...sql.matchAll(/^--\s*Query\s+\d+\s*:/gm)].length;
      assert.ok(titles > 0);
      assert.equal(sql.match(pattern)?.length, titles, "one named query per section");
    }
  });

  it("IAM: one role per service, trust by service principal, no wildcard action or resource beyond what AWS requires", () => {
    const trust = (doc: string): string => {
      const statement = block(config.data.get(`aws_iam_policy_document.${doc}`)!.statement);
      return block(statement.principals).identifiers as unknown as string;
    };
    assert.deepEqual(trust("firehose_assume"), ["firehose.amazonaws.com"]);
    assert.deepEqual(trust("glue_assume"), ["glue.amazonaws.com"]);
    assert.equal(
      resource("aws_iam_role.firehose").assume_role_policy,
      "${data.aws_iam_policy_document.firehose_assume.json}",
    );
    assert.equal(
      resource("aws_iam_role.glue_job").assume_role_policy,
      "${data.aws_iam_policy_document.glue_assume.json}",
    );
    assert.equal(
      resource("aws_iam_role.glue_crawler").assume_role_policy,
      "${data.aws_iam_policy_document.glue_assume.json}",
    );
    assert.ok(
      ![...config.resources.keys()].some((id) => id.startsWith("aws_iam_role_policy_attachment.")),
      "no managed policies",
    );

    const statements = (doc: string): Body[] =>
      blocks(config.data.get(`aws_iam_policy_document.${doc}`)!.statement);
    for (const doc of ["firehose", "glue_job", "glue_crawler"]) {
      for (const s of statements(doc)) {
        const actions = s.actions as string[];
        for (const action of actions) assert.doesNotMatch(action, /(^\*$|:\*$)/, `${doc}: ${action}`);
        const resources = allStrings(s.resources);
        if (resources.includes("*")) {
          // The one exception: PutMetricData has no resource-level permissions; a namespace condition limits it.
          assert.deepEqual(
            actions,
            ["cloudwatch:PutMetricData"],
            `${doc}: "*" resource only for PutMetricData`,
          );
          assert.deepEqual(block(s.condition).values, ["Glue"]);
        }
        // KMS actions only on the pipeline's key.
        if (actions.some((a) => a.startsWith("kms:")))
          assert.deepEqual(s.resources, ["${aws_kms_key.pipeline.arn}"], `${doc}: ${s.sid as string}`);
      }
    }
    const kmsActions = (doc: string): string[] =>
      statements(doc).flatMap((s) => (s.actions as string[]).filter((a) => a.startsWith("kms:")));
    assert.deepEqual(kmsActions("firehose"), ["kms:GenerateDataKey", "kms:Decrypt"]);
    assert.deepEqual(
      block(statements("firehose").find((s) => s.sid === "EncryptRawObjects")!.condition).variable,
      "kms:ViaService",
    );
    assert.deepEqual(kmsActions("glue_job"), ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]);
    assert.deepEqual(kmsActions("glue_crawler"), ["kms:Decrypt"]);
    const actionsOn = (doc: string, bucketRole: string): string[] =>
      statements(doc)
        .filter((s) => allStrings(s.resources).some((r) => r.includes(`local.bucket_arns["${bucketRole}"]`)))
        .flatMap((s) => s.actions as string[])
        .sort();
    const bucketsOf = (doc: string): string[] =>
      [
        ...new Set(
          statements(doc)
            .flatMap((s) => allStrings(s.resources))
            .flatMap((r) => [...r.matchAll(/bucket_arns\["([a-z_]+)"\]/g)].map((m) => m[1]!)),
        ),
      ].sort();

    // Firehose: exactly what S3 delivery needs, on the raw bucket only.
    assert.deepEqual(bucketsOf("firehose"), ["raw"]);
    assert.deepEqual(actionsOn("firehose", "raw"), [
      "s3:AbortMultipartUpload",
      "s3:GetBucketLocation",
      "s3:GetObject",
      "s3:ListBucket",
      "s3:ListBucketMultipartUploads",
      "s3:PutObject",
    ]);
    const objectResources = statements("firehose")
      .flatMap((s) => allStrings(s.resources))
      .filter((r) => r.includes("/"));
    assert.ok(
      objectResources.every((r) => /\/\$\{local\.raw_prefix\}\*$|\/firehose-errors\/\*$/.test(r)),
      "raw/ and firehose-errors/ only",
    );
    assert.deepEqual(
      statements("firehose")
        .flatMap((s) => s.actions as string[])
        .filter((a) => a.startsWith("logs:")),
      ["logs:PutLogEvents"],
    );

    // The job reads raw (never writes or deletes it), writes transformed/, errors/, _state/ and its temp dir.
    assert.deepEqual(bucketsOf("glue_job"), ["errors", "raw", "scripts", "transformed"]);
    const rawActions = statements("glue_job")
      .filter((s) => allStrings(s.resources).some((r) => r.startsWith('${local.bucket_arns["raw"]}/')))
      .flatMap((s) => s.actions as string[]);
    assert.deepEqual(rawActions, ["s3:GetObject"]);
    assert.ok(
      !statements("glue_job").some((s) => (s.actions as string[]).some((a) => a.startsWith("glue:"))),
    );

    // Both write and read the sessions table's folder beside transformed/, and nothing else there.
    const transformedObjects = (doc: string): string[] =>
      statements(doc)
        .flatMap((st) => allStrings(st.resources))
        .filter((r) => r.startsWith('${local.bucket_arns["transformed"]}/'))
        .map(expandLocals)
        .sort();
    const onTransformed = [
      '${local.bucket_arns["transformed"]}/sessions/*',
      '${local.bucket_arns["transformed"]}/transformed/*',
    ];
    assert.deepEqual(transformedObjects("glue_job"), onTransformed);
    assert.deepEqual(transformedObjects("glue_crawler"), onTransformed);

    // The crawler reads transformed/ and sessions/ and maintains the catalog of its own database only.
    assert.deepEqual(bucketsOf("glue_crawler"), ["transformed"]);
    assert.deepEqual(actionsOn("glue_crawler", "transformed"), [
      "s3:GetBucketLocation",
      "s3:GetObject",
      "s3:ListBucket",
    ]);
    const catalog = statements("glue_crawler").find((s) => s.sid === "Catalog")!;
    assert.equal(catalog.resources, "${local.glue_catalog_arns}");
    assert.ok(
      (catalog.actions as string[]).every((a) => a.startsWith("glue:") && !a.startsWith("glue:Delete")),
    );
    assert.ok(
      allStrings(local("glue_catalog_arns")).some((arn) => arn.endsWith(":database/${local.database_name}")),
    );
  });

  it("outputs what deploy.sh and the CLI read", () => {
    for (const name of [
      "raw_bucket_name",
      "transformed_bucket_name",
      "errors_bucket_name",
      "athena_results_bucket_name",
      "athena_workgroup_name",
      "firehose_stream_name",
      "glue_job_name",
      "crawler_name",
      "database_name",
      "region",
      "state_bucket_name",
      "scripts_bucket_name",
      "access_logs_bucket_name",
      "kms_key_arn",
    ])
      assert.ok(config.outputs.get(name)?.value, `output ${name}`);
  });

  it("terraform fmt -check and validate, when a terraform binary is on PATH", async (t) => {
    const terraform = ["terraform", "tofu"].find(
      (bin) => spawnSync(bin, ["version"], { stdio: "ignore" }).status === 0,
    );
    if (!terraform) {
      t.skip("no terraform or tofu on PATH: fmt/validate not run (HCL checks above still ran)");
      return;
    }
    const env = {
      ...process.env,
      TF_IN_AUTOMATION: "1",
      CHECKPOINT_DISABLE: "1",
      TF_CLI_CONFIG_FILE: process.env.TF_CLI_CONFIG_FILE ?? "/dev/null",
    };
    const fmt = spawnSync(terraform, ["fmt", "-check", "-diff", infraDir], { encoding: "utf8", env });
    assert.equal(fmt.status, 0, `${terraform} fmt -check:\n${fmt.stdout}${fmt.stderr}`);

    // validate needs the provider: offline, only a local plugin directory can supply it.
    const pluginDir = process.env.CLICKSTREAM_TF_PLUGIN_DIR ?? "/opt/tf-plugins";
    const providerDir = join(pluginDir, "registry.terraform.io", "hashicorp", "aws");
    const versions = existsSync(providerDir) ? readdirSync(providerDir).sort() : [];
    if (versions.length === 0) {
      t.skip(`no AWS provider in ${pluginDir}: validate not run`);
      return;
    }
    const work = await tempDir();
    for (const dir of ["infra", "glue", "contract"])
      cpSync(join(root, dir), join(work, dir), { recursive: true });
    mkdirSync(join(work, "queries"), { recursive: true });
    const queries = join(root, "queries", "athena_queries.sql");
    // A stand-in when queries/athena_queries.sql is not in this checkout yet.
    if (existsSync(queries)) cpSync(queries, join(work, "queries", "athena_queries.sql"));
    else
      writeFileSync(
        join(work, "queries", "athena_queries.sql"),
        "-- header\n\n-- Query 1: One\nSELECT 1;\n\n-- Query 2: Two\nSELECT 2;\n",
      );
    const workInfra = join(work, "infra");
    const newest = versions.at(-1)!;
    if (!newest.startsWith("6.")) {
      // Only an older major is available offline: validate against it (the configuration uses nothing v6-only).
      const main = join(workInfra, "main.tf");
      writeFileSync(main, readFileSync(main, "utf8").replace('version = "~> 6.0"', `version = "${newest}"`));
      t.diagnostic(`validating against hashicorp/aws ${newest} from ${pluginDir} (no 6.x provider offline)`);
    }
    const run = (args: string[]) =>
      spawnSync(terraform, ["-chdir=" + workInfra, ...args], { encoding: "utf8", env, timeout: 120_000 });
    const init = run(["init", "-backend=false", "-input=false", `-plugin-dir=${pluginDir}`]);
    assert.equal(init.status, 0, `init:\n${init.stdout}${init.stderr}`);
    const validate = run(["validate", "-json"]);
    const result = JSON.parse(validate.stdout) as {
      valid: boolean;
      diagnostics: { severity: string; summary: string }[];
    };
    assert.equal(result.valid, true, JSON.stringify(result.diagnostics));
    assert.deepEqual(
      result.diagnostics.filter((d) => d.severity === "warning"),
      [],
      "no deprecation warnings",
    );
    // The named queries follow the queries file: one per `-- Query N:` section.
    const consoleRun = spawnSync(terraform, ["-chdir=" + workInfra, "console"], {
      input: "jsonencode(keys(local.named_queries))\n",
      encoding: "utf8",
      env,
    });
    const keys = JSON.parse(JSON.parse(consoleRun.stdout.trim()) as string) as string[];
    const sections = [
      ...readFileSync(join(work, "queries", "athena_queries.sql"), "utf8").matchAll(/^-- Query (\d+):/gm),
    ];
    assert.deepEqual(
      keys,
      sections.map((m) => `query_${m[1]!.padStart(2, "0")}`),
    );
  });
});
