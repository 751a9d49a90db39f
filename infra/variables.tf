variable "aws_region" {
  description = "AWS region of every resource (deploy.sh passes $AWS_REGION)."
  type        = string
  default     = "us-east-1"
}

variable "project_name" {
  description = "Prefix of every resource name (deploy.sh passes $PROJECT_NAME). The Firehose stream is <project_name>-stream."
  type        = string
  default     = "clickstream-pipeline"

  validation {
    # Bucket names are <project>-athena-results-<account>-<region>: at most 63 characters.
    condition     = can(regex("^[a-z][a-z0-9-]{1,18}[a-z0-9]$", var.project_name))
    error_message = "project_name must be 3-20 characters of lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}

variable "force_destroy" {
  description = "Let `terraform destroy` delete non-empty buckets and the workgroup's queries. Off so data is never lost by accident; deploy.sh --destroy empties the buckets itself."
  type        = bool
  default     = false
}

variable "firehose_buffering_size_mb" {
  description = "Firehose buffer size before delivery, in MiB (1-128; measured before compression)."
  type        = number
  default     = 64

  validation {
    condition     = var.firehose_buffering_size_mb >= 1 && var.firehose_buffering_size_mb <= 128
    error_message = "firehose_buffering_size_mb must be between 1 and 128."
  }
}

variable "firehose_buffering_interval_seconds" {
  description = "Firehose buffer time before delivery, in seconds (0-900)."
  type        = number
  default     = 300

  validation {
    condition     = var.firehose_buffering_interval_seconds >= 0 && var.firehose_buffering_interval_seconds <= 900
    error_message = "firehose_buffering_interval_seconds must be between 0 and 900."
  }
}

variable "firehose_compression_format" {
  description = "Compression of raw objects: GZIP (default; the transform detects it by magic bytes) or UNCOMPRESSED."
  type        = string
  default     = "GZIP"

  validation {
    condition     = contains(["GZIP", "UNCOMPRESSED"], var.firehose_compression_format)
    error_message = "firehose_compression_format must be GZIP or UNCOMPRESSED."
  }
}

variable "log_retention_days" {
  description = "Retention of the Firehose delivery logs, in days (a year: delivery errors are rare and small)."
  type        = number
  default     = 365
}

variable "kms_deletion_window_days" {
  description = "Days between scheduling the pipeline key's deletion and its deletion (7-30); data encrypted with it is unreadable after."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_days >= 7 && var.kms_deletion_window_days <= 30
    error_message = "kms_deletion_window_days must be between 7 and 30."
  }
}

variable "database_name" {
  description = "Glue Data Catalog database of the transformed table."
  type        = string
  default     = "clickstream_db"
}

variable "glue_version" {
  description = "Glue version of the transform job (5.1 = Spark 3.5.6, Python 3.11, Java 17: the versions `clickstream transform --engine spark` runs locally)."
  type        = string
  default     = "5.1"
}

variable "glue_worker_type" {
  description = "Glue worker type (G.1X = 1 DPU: 4 vCPU, 16 GB)."
  type        = string
  default     = "G.1X"
}

variable "glue_number_of_workers" {
  description = "Glue workers of the transform job (at least 2)."
  type        = number
  default     = 2

  validation {
    condition     = var.glue_number_of_workers >= 2
    error_message = "glue_number_of_workers must be at least 2."
  }
}

variable "glue_timeout_minutes" {
  description = "The transform job's timeout, in minutes."
  type        = number
  default     = 60
}

variable "future_tolerance_hours" {
  description = "How far past the processing time an event may be stamped before it is rejected (timestamp_out_of_range)."
  type        = number
  default     = 24
}

variable "job_schedule" {
  description = "Cron schedule of the transform job (Glue cron syntax, UTC). The crawler runs after every successful job run."
  type        = string
  default     = "cron(15 * * * ? *)"
}

variable "schedule_enabled" {
  description = "Whether the job schedule is active."
  type        = bool
  default     = true
}

variable "athena_bytes_scanned_cutoff" {
  description = "Athena cancels any query of the workgroup that scans more than this many bytes (minimum 10 MiB). Default 10 GiB."
  type        = number
  default     = 10737418240

  validation {
    condition     = var.athena_bytes_scanned_cutoff >= 10485760
    error_message = "athena_bytes_scanned_cutoff must be at least 10485760 (10 MiB)."
  }
}

variable "athena_results_expiration_days" {
  description = "Athena query results are deleted after this many days."
  type        = number
  default     = 7
}

variable "errors_expiration_days" {
  description = "Rejected records under errors/ are deleted after this many days (run reports under _state/ are kept)."
  type        = number
  default     = 90
}

variable "raw_noncurrent_expiration_days" {
  description = "Overwritten or deleted versions of raw objects are kept this many days (raw is versioned)."
  type        = number
  default     = 30
}

variable "noncurrent_expiration_days" {
  description = "Overwritten or deleted versions in every bucket but raw (and in the access-log bucket) are kept this many days."
  type        = number
  default     = 7
}

variable "access_log_expiration_days" {
  description = "S3 server access logs are deleted after this many days."
  type        = number
  default     = 365
}

variable "abort_incomplete_multipart_days" {
  description = "Incomplete multipart uploads are aborted after this many days, in every bucket."
  type        = number
  default     = 2
}

variable "queries_file" {
  description = "SQL file whose `-- Query N: Title` sections become Athena named queries."
  type        = string
  default     = "../queries/athena_queries.sql"
}
