# Five buckets, each encrypted, private, owner-enforced and TLS-only. The settings resources iterate over
# aws_s3_bucket.this so no bucket can be added without them.

resource "aws_s3_bucket" "this" {
  for_each = local.bucket_names

  bucket        = each.value
  force_destroy = var.force_destroy
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
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

# Raw events are the source of truth: keep overwritten versions for a while.
resource "aws_s3_bucket_versioning" "raw" {
  bucket = aws_s3_bucket.this["raw"].id

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

  dynamic "rule" {
    for_each = each.key == "raw" ? [var.raw_noncurrent_expiration_days] : []

    content {
      id     = "expire-noncurrent-raw-versions"
      status = "Enabled"

      filter {
        prefix = local.raw_prefix
      }

      noncurrent_version_expiration {
        noncurrent_days = rule.value
      }
    }
  }

  depends_on = [aws_s3_bucket_versioning.raw]
}
