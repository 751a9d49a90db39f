# Clickstream on AWS: Kinesis Data Firehose → S3 raw JSON → Glue Spark job → S3 Parquet → Glue Crawler → Athena.
# The S3 keys are the local warehouse's keys (src/storage/warehouse-layout.ts), so both pipelines share one layout.

terraform {
  required_version = ">= 1.5.7"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }
}

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = merge(var.tags, { Project = var.project_name })
  }
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  # Bucket names carry the project, the account and the region so they are globally unique.
  # Keys inside each bucket start with the same folder as the local warehouse (raw/, transformed/, …).
  bucket_roles = {
    raw            = "raw"
    transformed    = "transformed"
    errors         = "errors"
    scripts        = "scripts"
    athena_results = "athena-results"
  }
  bucket_names = {
    for role, suffix in local.bucket_roles : role => "${var.project_name}-${suffix}-${local.account_id}-${var.aws_region}"
  }

  # Home prefixes, identical to bucketHomePrefix in src/storage/storage.ts; sessions/ is the sessions
  # table's folder beside transformed/ in the transformed bucket (contract/data-contract.json, sessions.folder).
  raw_prefix            = "raw/"
  transformed_prefix    = "transformed/"
  sessions_prefix       = "sessions/"
  errors_prefix         = "errors/"
  state_prefix          = "_state/"
  athena_results_prefix = "athena-results/"
  scripts_prefix        = "scripts/"
  glue_temp_prefix      = "temp/"

  # Firehose dates every object by the arrival time of its oldest record, exactly as rawObjectKey() does.
  firehose_prefix              = "${local.raw_prefix}year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/"
  firehose_error_output_prefix = "firehose-errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/"

  # The seed walk-through calls the job ${PROJECT_NAME}-transform-job: the same commands work here.
  stream_name   = "${var.project_name}-stream"
  job_name      = "${var.project_name}-transform-job"
  crawler_name  = "${var.project_name}-crawler"
  workgroup     = "${var.project_name}-workgroup"
  database_name = var.database_name

  glue_script_path = "${path.module}/../glue/clickstream_transform.py"
  glue_rules_path  = "${path.module}/../glue/clickstream_rules.py"
  glue_job_path    = "${path.module}/../glue/clickstream_job.py"
  # Glue copies --extra-files into the script's working directory, where the rules module looks first.
  glue_contract_path = "${path.module}/../contract/data-contract.json"
}
