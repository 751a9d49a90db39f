# One role per service, each allowed exactly the buckets, prefixes and catalog objects its calls touch.
# No managed policies: AWSGlueServiceRole would grant glue:* and every aws-glue-* bucket.

locals {
  bucket_arns = { for role, bucket in aws_s3_bucket.this : role => bucket.arn }
  glue_catalog_arns = [
    "arn:${local.partition}:glue:${var.aws_region}:${local.account_id}:catalog",
    "arn:${local.partition}:glue:${var.aws_region}:${local.account_id}:database/${local.database_name}",
    "arn:${local.partition}:glue:${var.aws_region}:${local.account_id}:table/${local.database_name}/*",
  ]
  glue_log_arns = [
    "arn:${local.partition}:logs:${var.aws_region}:${local.account_id}:log-group:/aws-glue/*",
    "arn:${local.partition}:logs:${var.aws_region}:${local.account_id}:log-group:/aws-glue/*:log-stream:*",
  ]
}

# --- Firehose ----------------------------------------------------------------------------------------

data "aws_iam_policy_document" "firehose_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["firehose.amazonaws.com"]
    }

    # Only Firehose acting for this account may assume the role (confused-deputy protection).
    condition {
      test     = "StringEquals"
      variable = "sts:ExternalId"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "firehose" {
  name               = "${var.project_name}-firehose"
  assume_role_policy = data.aws_iam_policy_document.firehose_assume.json
}

data "aws_iam_policy_document" "firehose" {
  statement {
    sid = "RawBucket"
    actions = [
      "s3:GetBucketLocation",
      "s3:ListBucket",
      "s3:ListBucketMultipartUploads",
    ]
    resources = [local.bucket_arns["raw"]]
  }

  statement {
    sid = "RawObjects"
    actions = [
      "s3:AbortMultipartUpload",
      "s3:GetObject",
      "s3:PutObject",
    ]
    resources = [
      "${local.bucket_arns["raw"]}/${local.raw_prefix}*",
      "${local.bucket_arns["raw"]}/firehose-errors/*",
    ]
  }

  statement {
    sid       = "DeliveryLogs"
    actions   = ["logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.firehose.arn}:log-stream:*"]
  }

  # Raw objects are encrypted with the pipeline's key; only S3 may use it on the role's behalf.
  statement {
    sid       = "EncryptRawObjects"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [aws_kms_key.pipeline.arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${var.aws_region}.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "firehose" {
  name   = "deliver-to-raw"
  role   = aws_iam_role.firehose.id
  policy = data.aws_iam_policy_document.firehose.json
}

# --- Glue (job and crawler share the trust policy) ----------------------------------------------------

data "aws_iam_policy_document" "glue_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["glue.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "glue_job" {
  name               = "${var.project_name}-glue-job"
  assume_role_policy = data.aws_iam_policy_document.glue_assume.json
}

data "aws_iam_policy_document" "glue_job" {
  statement {
    sid     = "ListBuckets"
    actions = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [
      local.bucket_arns["raw"],
      local.bucket_arns["transformed"],
      local.bucket_arns["errors"],
      local.bucket_arns["scripts"],
    ]
  }

  statement {
    sid       = "ReadRaw"
    actions   = ["s3:GetObject"]
    resources = ["${local.bucket_arns["raw"]}/${local.raw_prefix}*"]
  }

  statement {
    sid       = "ReadScripts"
    actions   = ["s3:GetObject"]
    resources = ["${local.bucket_arns["scripts"]}/${local.scripts_prefix}*"]
  }

  # Rewrites whole partitions (dynamic overwrite), so it deletes as well as writes under transformed/
  # and sessions/ (a session whose start moves to an earlier day leaves its old partition, maybe empty).
  statement {
    sid     = "WriteTransformedErrorsStateTemp"
    actions = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
    resources = [
      "${local.bucket_arns["transformed"]}/${local.transformed_prefix}*",
      "${local.bucket_arns["transformed"]}/${local.sessions_prefix}*",
      "${local.bucket_arns["errors"]}/${local.errors_prefix}*",
      "${local.bucket_arns["errors"]}/${local.state_prefix}*",
      "${local.bucket_arns["scripts"]}/${local.glue_temp_prefix}*",
    ]
  }

  # AssociateKmsKey: with the security configuration, Glue creates its log groups encrypted with the key.
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:AssociateKmsKey"]
    resources = local.glue_log_arns
  }

  # Reads and writes objects encrypted with the pipeline's key; encrypts its job bookmarks (CSE-KMS).
  statement {
    sid       = "PipelineKey"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.pipeline.arn]
  }

  # cloudwatch:PutMetricData supports no resource-level permissions, so AWS requires "*" here;
  # the namespace condition limits it to Glue's own metrics (--enable-metrics).
  statement {
    sid       = "JobMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = ["Glue"]
    }
  }
}

resource "aws_iam_role_policy" "glue_job" {
  name   = "transform"
  role   = aws_iam_role.glue_job.id
  policy = data.aws_iam_policy_document.glue_job.json
}

resource "aws_iam_role" "glue_crawler" {
  name               = "${var.project_name}-glue-crawler"
  assume_role_policy = data.aws_iam_policy_document.glue_assume.json
}

data "aws_iam_policy_document" "glue_crawler" {
  statement {
    sid       = "ListTransformed"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [local.bucket_arns["transformed"]]
  }

  statement {
    sid     = "ReadTransformed"
    actions = ["s3:GetObject"]
    resources = [
      "${local.bucket_arns["transformed"]}/${local.transformed_prefix}*",
      "${local.bucket_arns["transformed"]}/${local.sessions_prefix}*",
    ]
  }

  statement {
    sid = "Catalog"
    actions = [
      "glue:GetDatabase",
      "glue:GetTable",
      "glue:GetTables",
      "glue:CreateTable",
      "glue:UpdateTable",
      "glue:GetPartition",
      "glue:GetPartitions",
      "glue:BatchGetPartition",
      "glue:CreatePartition",
      "glue:BatchCreatePartition",
      "glue:UpdatePartition",
      "glue:BatchUpdatePartition",
    ]
    resources = local.glue_catalog_arns
  }

  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:AssociateKmsKey"]
    resources = local.glue_log_arns
  }

  # Reads the Parquet the job wrote (encrypted with the pipeline's key).
  statement {
    sid       = "PipelineKey"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.pipeline.arn]
  }
}

resource "aws_iam_role_policy" "glue_crawler" {
  name   = "crawl-transformed"
  role   = aws_iam_role.glue_crawler.id
  policy = data.aws_iam_policy_document.glue_crawler.json
}
