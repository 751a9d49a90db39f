# Five data buckets, each encrypted with the pipeline's key, private, owner-enforced, TLS-only, versioned
# and access-logged. The settings resources iterate over aws_s3_bucket.this so no bucket can be added
# without them. A sixth bucket receives their access logs (at the end of this file).

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_144:cross-region replication is a disaster-recovery choice (which region, who pays twice) left to the operator; raw is versioned and everything else is rebuilt from it
  #checkov:skip=CKV2_AWS_62:nothing consumes object events: the job runs on a schedule and finds new objects with bookmarks
  for_each = local.bucket_names

  bucket        = each.value
  force_destroy = var.force_destroy
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.pipeline.arn
    }
    # One data key per bucket instead of one KMS request per object (up to 99% fewer KMS calls).
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each = aws_s3_bucket.this

  bucket                  = each.value.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

data "aws_iam_policy_document" "tls_only" {
  for_each = aws_s3_bucket.this

  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    # A deny for everyone: the only place a "*" principal and s3:* appear.
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    resources = [each.value.arn, "${each.value.arn}/*"]

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id
  policy = data.aws_iam_policy_document.tls_only[each.key].json

  # S3 rejects a bucket policy while the public-access block is being changed.
  depends_on = [aws_s3_bucket_public_access_block.this]
}

# Every bucket keeps overwritten and deleted versions for a while (lifecycle below): raw events are the
# source of truth, and the rest costs Glue time to rebuild or holds the job's ledger.
resource "aws_s3_bucket_versioning" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id

  versioning_configuration {
    status = "Enabled"
  }
}

locals {
  # Objects under these prefixes expire; run reports and the ledger under _state/ never do.
  expiring_prefixes = {
    athena_results = { prefix = local.athena_results_prefix, days = var.athena_results_expiration_days }
    errors         = { prefix = local.errors_prefix, days = var.errors_expiration_days }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id

  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"

    filter {
      prefix = ""
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_multipart_days
    }
  }

  dynamic "rule" {
    for_each = contains(keys(local.expiring_prefixes), each.key) ? [local.expiring_prefixes[each.key]] : []

    content {
      id     = "expire-${trimsuffix(rule.value.prefix, "/")}"
      status = "Enabled"

      filter {
        prefix = rule.value.prefix
      }

      expiration {
        days = rule.value.days
      }
    }
  }

  # Old versions expire (raw's after longer); delete markers left with no versions behind them go too.
  rule {
    id     = "expire-noncurrent-versions"
    status = "Enabled"

    filter {
      prefix = ""
    }

    noncurrent_version_expiration {
      noncurrent_days = each.key == "raw" ? var.raw_noncurrent_expiration_days : var.noncurrent_expiration_days
    }

    expiration {
      expired_object_delete_marker = true
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

# Server access logs: who read or wrote which object, for audits and incident response.
resource "aws_s3_bucket_logging" "this" {
  for_each = aws_s3_bucket.this

  bucket        = each.value.id
  target_bucket = aws_s3_bucket.access_logs.id
  target_prefix = "${each.value.id}/"

  # S3 checks the target bucket's policy (it lets the logging service write) when logging is enabled.
  depends_on = [aws_s3_bucket_policy.access_logs]
}

# --- The access-log bucket ----------------------------------------------------------------------------

resource "aws_s3_bucket" "access_logs" {
  #checkov:skip=CKV_AWS_145:S3 delivers server access logs only to buckets encrypted with SSE-S3, not SSE-KMS
  #checkov:skip=CKV_AWS_144:replicating access logs across regions is the operator's disaster-recovery choice, as for the data buckets
  #checkov:skip=CKV2_AWS_62:nothing consumes events of the log bucket
  bucket        = "${var.project_name}-access-logs-${local.account_id}-${var.aws_region}"
  force_destroy = var.force_destroy
}

# S3 delivers server access logs only to a bucket encrypted with SSE-S3 (SSE-KMS is not supported there).
resource "aws_s3_bucket_server_side_encryption_configuration" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "access_logs" {
  bucket                  = aws_s3_bucket.access_logs.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id

  versioning_configuration {
    status = "Enabled"
  }
}

data "aws_iam_policy_document" "access_logs" {
  # With BucketOwnerEnforced there are no ACLs: the logging service may write because this policy says so,
  # only logs of this account's pipeline buckets.
  statement {
    sid       = "S3ServerAccessLogDelivery"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.access_logs.arn}/*"]

    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = values(local.bucket_arns)
    }
  }

  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    resources = [aws_s3_bucket.access_logs.arn, "${aws_s3_bucket.access_logs.arn}/*"]

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  policy = data.aws_iam_policy_document.access_logs.json

  depends_on = [aws_s3_bucket_public_access_block.access_logs]
}

resource "aws_s3_bucket_lifecycle_configuration" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id

  rule {
    id     = "expire-access-logs"
    status = "Enabled"

    filter {
      prefix = ""
    }

    expiration {
      days = var.access_log_expiration_days
    }

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_expiration_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_multipart_days
    }
  }

  depends_on = [aws_s3_bucket_versioning.access_logs]
}
