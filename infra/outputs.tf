# deploy.sh writes these to terraform-outputs.json; the CLI's AWS engines read them from there.

output "region" {
  description = "AWS region of the deployment."
  value       = var.aws_region
}

output "raw_bucket_name" {
  description = "Firehose delivers raw JSON to s3://<raw_bucket_name>/raw/year=YYYY/month=MM/day=DD/."
  value       = aws_s3_bucket.this["raw"].id
}

output "transformed_bucket_name" {
  description = "The Glue job writes Parquet to s3://<transformed_bucket_name>/transformed/year=…/month=…/day=…/ and sessions/year=…/month=…/day=…/."
  value       = aws_s3_bucket.this["transformed"].id
}

output "errors_bucket_name" {
  description = "Rejected records (errors/) and the job's run reports (_state/glue-runs/)."
  value       = aws_s3_bucket.this["errors"].id
}

output "state_bucket_name" {
  description = "Bucket of the `state` role (_state/ keys): the errors bucket."
  value       = aws_s3_bucket.this["errors"].id
}

output "scripts_bucket_name" {
  description = "Glue scripts (scripts/) and the job's TempDir (temp/)."
  value       = aws_s3_bucket.this["scripts"].id
}

output "athena_results_bucket_name" {
  description = "Athena query results, under athena-results/."
  value       = aws_s3_bucket.this["athena_results"].id
}

output "access_logs_bucket_name" {
  description = "S3 server access logs of the five data buckets, under <bucket name>/."
  value       = aws_s3_bucket.access_logs.id
}

output "kms_key_arn" {
  description = "The pipeline's KMS key: who reads the data or runs Athena queries needs kms:Decrypt (and kms:GenerateDataKey to write) on it."
  value       = aws_kms_key.pipeline.arn
}

output "athena_workgroup_name" {
  description = "Athena workgroup to run queries in."
  value       = aws_athena_workgroup.clickstream.name
}

output "firehose_stream_name" {
  description = "Kinesis Data Firehose delivery stream for PutRecord/PutRecordBatch."
  value       = aws_kinesis_firehose_delivery_stream.events.name
}

output "glue_job_name" {
  description = "Glue job of the transform."
  value       = aws_glue_job.transform.name
}

output "crawler_name" {
  description = "Glue crawler of transformed/ and sessions/."
  value       = aws_glue_crawler.transformed.name
}

output "database_name" {
  description = "Glue Data Catalog database; the tables are `transformed` and `sessions`."
  value       = aws_glue_catalog_database.clickstream.name
}

output "named_queries" {
  description = "Athena named queries from queries/athena_queries.sql: key → id."
  value       = { for key, query in aws_athena_named_query.clickstream : key => query.id }
}
