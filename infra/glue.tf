# The Glue job is the cloud twin of `clickstream transform`; the crawler catalogs transformed/ and
# sessions/ as the tables `transformed` and `sessions` (each named after its folder), partitioned by
# year/month/day strings.

resource "aws_glue_catalog_database" "clickstream" {
  name        = local.database_name
  description = "Clickstream events: the transformed table, partitioned by event date, and the sessions table, by session start."
}

# What the job and crawler write (S3 objects, their CloudWatch logs, the job's bookmarks) is encrypted
# with the pipeline's key.
resource "aws_glue_security_configuration" "pipeline" {
  name = "${var.project_name}-encryption"

  encryption_configuration {
    cloudwatch_encryption {
      cloudwatch_encryption_mode = "SSE-KMS"
      kms_key_arn                = aws_kms_key.pipeline.arn
    }

    job_bookmarks_encryption {
      job_bookmarks_encryption_mode = "CSE-KMS"
      kms_key_arn                   = aws_kms_key.pipeline.arn
    }

    s3_encryption {
      s3_encryption_mode = "SSE-KMS"
      kms_key_arn        = aws_kms_key.pipeline.arn
    }
  }
}

# Scripts are uploaded with their MD5 as etag, so editing a script redeploys it. Only once the bucket's
# default encryption and versioning are in place: uploaded before, an object would be stored unencrypted
# and as a "null" version (a race of a parallel apply).
resource "aws_s3_object" "glue_script" {
  bucket = aws_s3_bucket.this["scripts"].id
  key    = "${local.scripts_prefix}clickstream_transform.py"
  source = local.glue_script_path
  etag   = filemd5(local.glue_script_path)

  depends_on = [
    aws_s3_bucket_server_side_encryption_configuration.this,
    aws_s3_bucket_versioning.this,
  ]
}

resource "aws_s3_object" "glue_rules" {
  bucket = aws_s3_bucket.this["scripts"].id
  key    = "${local.scripts_prefix}clickstream_rules.py"
  source = local.glue_rules_path
  etag   = filemd5(local.glue_rules_path)

  depends_on = [
    aws_s3_bucket_server_side_encryption_configuration.this,
    aws_s3_bucket_versioning.this,
  ]
}

resource "aws_s3_object" "glue_job" {
  bucket = aws_s3_bucket.this["scripts"].id
  key    = "${local.scripts_prefix}clickstream_job.py"
  source = local.glue_job_path
  etag   = filemd5(local.glue_job_path)

  depends_on = [
    aws_s3_bucket_server_side_encryption_configuration.this,
    aws_s3_bucket_versioning.this,
  ]
}

# The data contract every engine loads (contract/data-contract.json), shipped beside the scripts.
resource "aws_s3_object" "glue_contract" {
  bucket = aws_s3_bucket.this["scripts"].id
  key    = "${local.scripts_prefix}data-contract.json"
  source = local.glue_contract_path
  etag   = filemd5(local.glue_contract_path)

  depends_on = [
    aws_s3_bucket_server_side_encryption_configuration.this,
    aws_s3_bucket_versioning.this,
  ]
}

resource "aws_glue_job" "transform" {
  name              = local.job_name
  description       = "Raw clickstream JSON → clean, deduplicated, partitioned Parquet (the twin of `clickstream transform`)."
  role_arn          = aws_iam_role.glue_job.arn
  glue_version      = var.glue_version
  worker_type       = var.glue_worker_type
  number_of_workers = var.glue_number_of_workers
  timeout           = var.glue_timeout_minutes
  # A failed run publishes nothing it cannot redo; retrying blindly would only repeat the failure.
  max_retries            = 0
  security_configuration = aws_glue_security_configuration.pipeline.name

  command {
    name            = "glueetl"
    script_location = "s3://${aws_s3_bucket.this["scripts"].id}/${aws_s3_object.glue_script.key}"
    python_version  = "3"
  }

  default_arguments = {
    "--job-language"                     = "python"
    "--job-bookmark-option"              = "job-bookmark-enable"
    "--enable-metrics"                   = "true"
    "--enable-continuous-cloudwatch-log" = "true"
    "--TempDir"                          = "s3://${aws_s3_bucket.this["scripts"].id}/${local.glue_temp_prefix}"
    "--extra-py-files"                   = "s3://${aws_s3_bucket.this["scripts"].id}/${aws_s3_object.glue_rules.key},s3://${aws_s3_bucket.this["scripts"].id}/${aws_s3_object.glue_job.key}"
    "--extra-files"                      = "s3://${aws_s3_bucket.this["scripts"].id}/${aws_s3_object.glue_contract.key}"
    "--raw_bucket"                       = aws_s3_bucket.this["raw"].id
    "--transformed_bucket"               = aws_s3_bucket.this["transformed"].id
    "--errors_bucket"                    = aws_s3_bucket.this["errors"].id
    "--state_bucket"                     = aws_s3_bucket.this["errors"].id
    "--future_tolerance_hours"           = tostring(var.future_tolerance_hours)
  }

  # One run at a time: each run rewrites the partitions it touches.
  execution_property {
    max_concurrent_runs = 1
  }
}

resource "aws_glue_crawler" "transformed" {
  name                   = local.crawler_name
  description            = "Catalogs s3://<transformed>/transformed/ and sessions/ as ${local.database_name}.transformed and .sessions."
  role                   = aws_iam_role.glue_crawler.arn
  database_name          = aws_glue_catalog_database.clickstream.name
  security_configuration = aws_glue_security_configuration.pipeline.name

  s3_target {
    path       = "s3://${aws_s3_bucket.this["transformed"].id}/${local.transformed_prefix}"
    exclusions = ["**/_temporary/**", "**/_SUCCESS", "**/.*"]
  }

  # One row per session (the job writes it in the same run), partitioned by the session's start.
  s3_target {
    path       = "s3://${aws_s3_bucket.this["transformed"].id}/${local.sessions_prefix}"
    exclusions = ["**/_temporary/**", "**/_SUCCESS", "**/.*"]
  }

  # New day folders are the only change between runs: crawl just those, never touch the table's schema
  # from a partition, and log (not delete) vanished partitions.
  recrawl_policy {
    recrawl_behavior = "CRAWL_NEW_FOLDERS_ONLY"
  }

  schema_change_policy {
    update_behavior = "LOG"
    delete_behavior = "LOG"
  }

  configuration = jsonencode({
    Version = 1.0
    CrawlerOutput = {
      Partitions = { AddOrUpdateBehavior = "InheritFromTable" }
      Tables     = { AddOrUpdateBehavior = "MergeNewColumns" }
    }
    Grouping = { TableGroupingPolicy = "CombineCompatibleSchemas" }
  })
}

# The job runs on a schedule; the crawler runs after every successful job run. No person needed.
resource "aws_glue_trigger" "job_schedule" {
  name     = "${local.job_name}-schedule"
  type     = "SCHEDULED"
  schedule = var.job_schedule
  enabled  = var.schedule_enabled

  actions {
    job_name = aws_glue_job.transform.name
  }
}

resource "aws_glue_trigger" "crawl_after_job" {
  name              = "${local.crawler_name}-after-job"
  type              = "CONDITIONAL"
  start_on_creation = true

  predicate {
    conditions {
      job_name = aws_glue_job.transform.name
      state    = "SUCCEEDED"
    }
  }

  actions {
    crawler_name = aws_glue_crawler.transformed.name
  }
}
