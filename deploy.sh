#!/usr/bin/env bash
# Deploys Clickstream on AWS: Firehose → S3 → Glue job → S3 Parquet → Glue crawler → Athena (Terraform in infra/).
#
#   ./deploy.sh             init, plan, apply; writes terraform-outputs.json; prints the next steps
#   ./deploy.sh --plan      init and plan only (nothing changes in the account)
#   ./deploy.sh --destroy   empties every bucket (all object versions), then destroys everything
#
# Environment: AWS_REGION (default us-east-1), PROJECT_NAME (default clickstream-pipeline), and the usual
# AWS credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID, SSO, …).
set -euo pipefail

script_dir="${BASH_SOURCE[0]%/*}"
[[ "$script_dir" == "${BASH_SOURCE[0]}" ]] && script_dir="."
ROOT="$(cd "$script_dir" && pwd)"
INFRA="$ROOT/infra"
OUTPUTS_FILE="$ROOT/terraform-outputs.json"
PLAN_FILE="clickstream.tfplan"
AWS_REGION="${AWS_REGION:-${AWS_DEFAULT_REGION:-us-east-1}}"
PROJECT_NAME="${PROJECT_NAME:-clickstream-pipeline}"
export AWS_REGION

mode="apply"
assume_yes="false"

usage() {
  cat <<USAGE
Usage: ./deploy.sh [--plan | --destroy] [--yes]

  (no flag)   terraform init, plan and apply in infra/, then write terraform-outputs.json
  --plan      stop after the plan; nothing is created
  --destroy   empty every bucket of the deployment (all versions), then terraform destroy
  --yes       do not ask before destroying
  -h, --help  this help

Environment: AWS_REGION=$AWS_REGION PROJECT_NAME=$PROJECT_NAME
USAGE
}

die() {
  printf 'deploy.sh: %s\n' "$*" >&2
  exit 1
}

step() {
  printf '\n==> %s\n' "$*"
}

require() {
  command -v "$1" >/dev/null 2>&1 || die "$1 is required but not installed. $2"
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --plan) mode="plan" ;;
    --destroy) mode="destroy" ;;
    --yes | -y) assume_yes="true" ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      usage >&2
      die "unknown argument: $1"
      ;;
  esac
  shift
done

step "Checking prerequisites"
require aws "Install the AWS CLI: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html"
require terraform "Install Terraform >= 1.5.7: https://developer.hashicorp.com/terraform/install"
require jq "Install jq: https://jqlang.github.io/jq/download/ (apt-get install jq / brew install jq)"
[[ -d "$INFRA" ]] || die "infra/ not found next to deploy.sh (looked in $INFRA)"
aws sts get-caller-identity --output json >/dev/null ||
  die "AWS credentials are not usable: configure them (aws configure, AWS_PROFILE or aws sso login) and retry"
printf 'region %s, project %s\n' "$AWS_REGION" "$PROJECT_NAME"

tf_vars=(-var "aws_region=$AWS_REGION" -var "project_name=$PROJECT_NAME")

step "terraform init"
terraform -chdir="$INFRA" init -input=false

# Deletes every object version and delete marker of one bucket, 1000 at a time (the DeleteObjects limit).
empty_bucket() {
  local bucket="$1" page batch count
  if ! aws s3api head-bucket --bucket "$bucket" >/dev/null 2>&1; then
    printf '  %s: not found, skipped\n' "$bucket"
    return 0
  fi
  while true; do
    page="$(aws s3api list-object-versions --bucket "$bucket" --max-items 1000 --output json)"
    batch="$(jq -c '{Objects: ([(.Versions // [])[], (.DeleteMarkers // [])[]] | map({Key, VersionId})), Quiet: true}' <<<"$page")"
    count="$(jq '.Objects | length' <<<"$batch")"
    [[ "$count" -eq 0 ]] && break
    aws s3api delete-objects --bucket "$bucket" --delete "$batch" --output json >/dev/null
    printf '  %s: deleted %s object versions\n' "$bucket" "$count"
  done
  printf '  %s: empty\n' "$bucket"
}

case "$mode" in
  plan)
    step "terraform plan"
    terraform -chdir="$INFRA" plan -input=false "${tf_vars[@]}" -out="$PLAN_FILE"
    printf '\nPlan saved as infra/%s. Nothing was changed; run ./deploy.sh to apply.\n' "$PLAN_FILE"
    ;;

  apply)
    step "terraform plan"
    terraform -chdir="$INFRA" plan -input=false "${tf_vars[@]}" -out="$PLAN_FILE"
    step "terraform apply"
    terraform -chdir="$INFRA" apply -input=false "$PLAN_FILE"
    step "Writing terraform-outputs.json"
    terraform -chdir="$INFRA" output -json >"$OUTPUTS_FILE"
    out() { jq -r --arg name "$1" '.[$name].value' "$OUTPUTS_FILE"; }
    stream="$(out firehose_stream_name)"
    cat <<NEXT

Deployed. Names are in terraform-outputs.json (the CLI reads them from there).

Next steps:
  1. Send events to Firehose:
       bin/clickstream send --firehose --events 1000            # stream $stream
  2. Wait for delivery (buffer up to the configured interval), then run the transform:
       bin/clickstream transform --engine glue                  # job $(out glue_job_name)
  3. Catalog the Parquet:
       bin/clickstream crawl --engine glue                      # crawler $(out crawler_name)
  4. Ask Athena:
       bin/clickstream query --engine athena "SELECT event_type, count(*) FROM transformed GROUP BY 1"
  The job also runs on its schedule and the crawler after every successful run; named queries are in
  workgroup $(out athena_workgroup_name) (Athena console → Saved queries).

  Raw:          s3://$(out raw_bucket_name)/raw/
  Transformed:  s3://$(out transformed_bucket_name)/transformed/
  Rejects:      s3://$(out errors_bucket_name)/errors/
NEXT
    ;;

  destroy)
    if [[ "$assume_yes" != "true" ]]; then
      read -r -p "Delete every object and resource of '$PROJECT_NAME' in $AWS_REGION? Type the project name: " answer
      [[ "$answer" == "$PROJECT_NAME" ]] || die "not confirmed; nothing deleted"
    fi
    step "Emptying buckets"
    buckets="$(terraform -chdir="$INFRA" output -json |
      jq -r '[.raw_bucket_name, .transformed_bucket_name, .errors_bucket_name, .scripts_bucket_name, .athena_results_bucket_name, .access_logs_bucket_name] | map(select(. != null) | .value) | .[]')"
    while IFS= read -r bucket; do
      [[ -n "$bucket" ]] && empty_bucket "$bucket"
    done <<<"$buckets"
    step "terraform destroy"
    destroy_flags=(-input=false)
    [[ "$assume_yes" == "true" ]] && destroy_flags+=(-auto-approve)
    terraform -chdir="$INFRA" destroy "${destroy_flags[@]}" "${tf_vars[@]}"
    rm -f "$OUTPUTS_FILE"
    printf '\nDestroyed. terraform-outputs.json removed.\n'
    ;;
esac
