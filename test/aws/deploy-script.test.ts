import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { tempDir } from "../support/temp-dir.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const script = join(root, "deploy.sh");
const infra = join(root, "infra");

const outputs = {
  region: { sensitive: false, type: "string", value: "eu-west-2" },
  raw_bucket_name: { sensitive: false, type: "string", value: "demo-raw-1-eu-west-2" },
  transformed_bucket_name: { sensitive: false, type: "string", value: "demo-transformed-1-eu-west-2" },
  errors_bucket_name: { sensitive: false, type: "string", value: "demo-errors-1-eu-west-2" },
  scripts_bucket_name: { sensitive: false, type: "string", value: "demo-scripts-1-eu-west-2" },
  athena_results_bucket_name: { sensitive: false, type: "string", value: "demo-athena-results-1-eu-west-2" },
  access_logs_bucket_name: { sensitive: false, type: "string", value: "demo-access-logs-1-eu-west-2" },
  athena_workgroup_name: { sensitive: false, type: "string", value: "demo-workgroup" },
  firehose_stream_name: { sensitive: false, type: "string", value: "demo-stream" },
  glue_job_name: { sensitive: false, type: "string", value: "demo-transform-job" },
  crawler_name: { sensitive: false, type: "string", value: "demo-crawler" },
  database_name: { sensitive: false, type: "string", value: "clickstream_db" },
};

/**
 * Stub `terraform`, `aws` and `jq` that record every call (one line: tool and arguments) and answer
 * like the real tools where the script reads their output. jq is the real jq behind a recorder.
 */
async function stubs(options: { withJq?: boolean; versionPages?: number } = {}) {
  const dir = await tempDir("clickstream-deploy-");
  const log = join(dir, "calls.log");
  const outputsFile = join(dir, "outputs.json");
  writeFileSync(outputsFile, JSON.stringify(outputs));
  const state = join(dir, "pages-left");
  writeFileSync(state, String(options.versionPages ?? 1));
  const record = `printf '%s' "$(basename "$0")" >> "${log}"; for a in "$@"; do printf ' %s' "$a" >> "${log}"; done; printf '\\n' >> "${log}"`;
  const write = (name: string, body: string) => {
    const path = join(dir, name);
    writeFileSync(path, `#!/bin/bash\n${record}\n${body}\n`);
    chmodSync(path, 0o755);
  };
  write(
    "terraform",
    `case "$2" in output) cat "${outputsFile}" ;; esac
exit 0`,
  );
  write(
    "aws",
    `case "$1 $2" in
  "sts get-caller-identity") echo '{"UserId":"AIDA","Account":"123456789012","Arn":"arn:aws:iam::123456789012:user/me"}' ;;
  "s3api head-bucket") [ "$4" != "demo-scripts-1-eu-west-2" ] || exit 254 ;;
  "s3api list-object-versions")
    left=$(cat "${state}")
    if [ "$4" = "demo-raw-1-eu-west-2" ] && [ "$left" -gt 0 ]; then
      echo $((left - 1)) > "${state}"
      echo '{"Versions":[{"Key":"raw/a","VersionId":"v1","IsLatest":true},{"Key":"raw/b","VersionId":"v2"}],"DeleteMarkers":[{"Key":"raw/c","VersionId":"d1"}]}'
    else
      echo '{}'
    fi ;;
  "s3api delete-objects") echo '{"Deleted":[]}' ;;
esac
exit 0`,
  );
  if (options.withJq !== false) {
    const realJq = spawnSync("bash", ["-c", "command -v jq"], { encoding: "utf8" }).stdout.trim();
    write("jq", `exec "${realJq}" "$@"`);
  }
  const calls = () =>
    existsSync(log)
      ? readFileSync(log, "utf8")
          .trim()
          .split("\n")
          .filter((l) => l.length > 0)
      : [];
  return { dir, calls };
}

function deploy(args: string[], env: Record<string, string>) {
  return spawnSync("/bin/bash", [script, ...args], { encoding: "utf8", env, timeout: 60_000 });
}

describe("deploy.sh", () => {
  it("is shellcheck-clean (when shellcheck is installed)", (t) => {
    const probe = spawnSync("shellcheck", ["--version"], { encoding: "utf8" });
    if (probe.status !== 0) {
      t.skip("shellcheck is not installed here; CI installs it (.ci/run)");
      return;
    }
    const result = spawnSync("shellcheck", ["--severity=style", script], { encoding: "utf8" });
    assert.equal(result.status, 0, result.stdout + result.stderr);
  });

  it("--plan checks prerequisites and credentials, then runs init and plan in infra/ with AWS_REGION and PROJECT_NAME", async () => {
    const { dir, calls } = await stubs();
    const result = deploy(["--plan"], {
      PATH: `${dir}:${process.env.PATH}`,
      AWS_REGION: "eu-west-2",
      PROJECT_NAME: "demo-proj",
      HOME: dir,
    });
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(calls(), [
      "aws sts get-caller-identity --output json",
      `terraform -chdir=${infra} init -input=false`,
      `terraform -chdir=${infra} plan -input=false -var aws_region=eu-west-2 -var project_name=demo-proj -out=clickstream.tfplan`,
    ]);
    assert.match(result.stdout, /Nothing was changed/);
  });

  it("apply writes terraform-outputs.json and prints the next steps", async () => {
    const { dir, calls } = await stubs();
    const copy = await tempDir("clickstream-deploy-root-");
    // Run a copy next to a symlinked infra/ so terraform-outputs.json lands in a temp folder.
    writeFileSync(join(copy, "deploy.sh"), readFileSync(script));
    spawnSync("ln", ["-s", infra, join(copy, "infra")]);
    const result = spawnSync("/bin/bash", [join(copy, "deploy.sh")], {
      encoding: "utf8",
      env: { PATH: `${dir}:${process.env.PATH}`, HOME: dir },
      timeout: 60_000,
    });
    assert.equal(result.status, 0, result.stderr);
    const infraCopy = join(copy, "infra");
    assert.deepEqual(calls().slice(0, 5), [
      "aws sts get-caller-identity --output json",
      `terraform -chdir=${infraCopy} init -input=false`,
      `terraform -chdir=${infraCopy} plan -input=false -var aws_region=us-east-1 -var project_name=clickstream-pipeline -out=clickstream.tfplan`,
      `terraform -chdir=${infraCopy} apply -input=false clickstream.tfplan`,
      `terraform -chdir=${infraCopy} output -json`,
    ]);
    assert.deepEqual(JSON.parse(readFileSync(join(copy, "terraform-outputs.json"), "utf8")), outputs);
    assert.match(result.stdout, /bin\/clickstream transform --engine glue +# job demo-transform-job/);
    assert.match(result.stdout, /s3:\/\/demo-transformed-1-eu-west-2\/transformed\//);
  });

  it("--destroy empties every bucket (all versions and delete markers) before terraform destroy", async () => {
    const { dir, calls } = await stubs({ versionPages: 2 });
    const result = deploy(["--destroy", "--yes"], {
      PATH: `${dir}:${process.env.PATH}`,
      AWS_REGION: "eu-west-2",
      HOME: dir,
    });
    assert.equal(result.status, 0, result.stderr);
    const all = calls();
    const deletes = all.filter((c) => c.startsWith("aws s3api delete-objects"));
    assert.equal(deletes.length, 2, "two pages of versions deleted");
    assert.equal(
      deletes[0],
      'aws s3api delete-objects --bucket demo-raw-1-eu-west-2 --delete {"Objects":[{"Key":"raw/a","VersionId":"v1"},{"Key":"raw/b","VersionId":"v2"},{"Key":"raw/c","VersionId":"d1"}],"Quiet":true} --output json',
    );
    // Every bucket is listed until empty; a missing bucket is skipped.
    for (const bucket of [
      "demo-raw-1-eu-west-2",
      "demo-transformed-1-eu-west-2",
      "demo-errors-1-eu-west-2",
      "demo-athena-results-1-eu-west-2",
      "demo-access-logs-1-eu-west-2",
    ])
      assert.ok(
        all.some((c) => c.startsWith(`aws s3api list-object-versions --bucket ${bucket} `)),
        bucket,
      );
    assert.ok(!all.some((c) => c.includes("list-object-versions --bucket demo-scripts-1-eu-west-2")));
    assert.match(result.stdout, /demo-scripts-1-eu-west-2: not found, skipped/);
    const destroyAt = all.findIndex((c) => c.startsWith(`terraform -chdir=${infra} destroy`));
    assert.ok(destroyAt > all.lastIndexOf(deletes[1]!), "destroy runs after the buckets are empty");
    assert.equal(
      all[destroyAt],
      `terraform -chdir=${infra} destroy -input=false -auto-approve -var aws_region=eu-west-2 -var project_name=clickstream-pipeline`,
    );
  });

  it("names a missing prerequisite and how to install it", async () => {
    const { dir, calls } = await stubs({ withJq: false });
    const result = deploy(["--plan"], { PATH: dir, HOME: dir });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /deploy\.sh: jq is required but not installed\. Install jq/);
    assert.deepEqual(calls(), [], "nothing runs before the checks pass");
  });

  it("rejects an unknown flag", async () => {
    const { dir } = await stubs();
    const result = deploy(["--apply-everything"], { PATH: `${dir}:${process.env.PATH}`, HOME: dir });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /unknown argument: --apply-everything/);
  });
});
