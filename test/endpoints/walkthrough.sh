#!/usr/bin/env bash
# The pipeline's walk-through (issue 15 §2), verbatim: upload a file, run the Glue job, run the crawler,
# ask Athena. Written for a real deployment's terraform-outputs.json; walkthrough.test.ts runs it against
# `clickstream serve|pipeline --outputs terraform-outputs.json` with the AWS CLI v1 (AWS_ENDPOINT_URL) and
# v2 (--endpoint-url, through an `aws` on PATH that adds it). Prints the answers as KEY=VALUE lines.
set -euo pipefail

PROJECT_NAME=${PROJECT_NAME:-clickstream-pipeline}
RAW_BUCKET=$(jq -r .raw_bucket_name.value terraform-outputs.json)
RESULTS_BUCKET=$(jq -r .athena_results_bucket_name.value terraform-outputs.json)
WORKGROUP=$(jq -r .athena_workgroup_name.value terraform-outputs.json)

# 1. Upload a day of events into the raw bucket.
aws s3 cp sample-data/sample_events.json "s3://${RAW_BUCKET}/raw/year=2026/month=11/day=24/sample_events.json"

# 2. Transform them with the Glue job, and wait for the run.
JOB_RUN_ID=$(aws glue start-job-run --job-name "${PROJECT_NAME}-transform-job" --query JobRunId --output text)
for _ in $(seq 600); do
  JOB_STATE=$(aws glue get-job-run --job-name "${PROJECT_NAME}-transform-job" --run-id "${JOB_RUN_ID}" --query JobRun.JobRunState --output text)
  case "${JOB_STATE}" in STARTING | RUNNING | STOPPING) sleep 0.2 ;; *) break ;; esac
done
echo "JOB_STATE=${JOB_STATE}"

# 3. Catalog the Parquet with the crawler, and wait for it.
aws glue start-crawler --name "${PROJECT_NAME}-crawler"
for _ in $(seq 600); do
  CRAWLER_STATE=$(aws glue get-crawler --name "${PROJECT_NAME}-crawler" --query Crawler.State --output text)
  [ "${CRAWLER_STATE}" = READY ] && break
  sleep 0.2
done
echo "LAST_CRAWL=$(aws glue get-crawler --name "${PROJECT_NAME}-crawler" --query Crawler.LastCrawl.Status --output text)"

# 4. Ask Athena, and read the results.
athena() {
  local id state
  id=$(aws athena start-query-execution --query-string "$1" --query-execution-context "Database=clickstream_db" --result-configuration "OutputLocation=s3://${RESULTS_BUCKET}/" --work-group "${WORKGROUP}" --query QueryExecutionId --output text)
  for _ in $(seq 600); do
    state=$(aws athena get-query-execution --query-execution-id "${id}" --query QueryExecution.Status.State --output text)
    case "${state}" in QUEUED | RUNNING) sleep 0.1 ;; *) break ;; esac
  done
  aws athena get-query-results --query-execution-id "${id}" --output json
}
echo "ROWS=$(athena "SELECT * FROM transformed LIMIT 10;" | jq '.ResultSet.Rows | length')"
echo "COUNT=$(athena "SELECT count(*) FROM transformed" | jq -r '.ResultSet.Rows[1].Data[0].VarCharValue')"
