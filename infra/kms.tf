# One customer-managed key encrypts the whole pipeline at rest: the data buckets (with S3 Bucket Keys, so
# S3 asks KMS once per bucket key, not once per object), the Firehose stream, its delivery logs, and what
# the Glue job and crawler write (their security configuration). One key, rotated yearly: $1 a month.

resource "aws_kms_key" "pipeline" {
  description             = "Clickstream pipeline (${var.project_name}): S3 data, Firehose, logs, Glue."
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_days
  policy                  = data.aws_iam_policy_document.kms_key.json
}

resource "aws_kms_alias" "pipeline" {
  name          = "alias/${var.project_name}"
  target_key_id = aws_kms_key.pipeline.key_id
}

locals {
  # Log groups whose events CloudWatch Logs encrypts with the key: Firehose's, and those Glue creates for
  # a job or crawler with a security configuration (/aws-glue/jobs/<configuration>-role/…, /aws-glue/crawlers-…).
  kms_log_group_arns = [
    "arn:${local.partition}:logs:${var.aws_region}:${local.account_id}:log-group:/aws/kinesisfirehose/${local.stream_name}",
    "arn:${local.partition}:logs:${var.aws_region}:${local.account_id}:log-group:/aws-glue/*",
  ]
}

data "aws_iam_policy_document" "kms_key" {
  # The account's IAM policies decide who else may use the key (the roles in iam.tf, operators).
  # In a key policy, "*" as the resource means this key. Checkov reads this document as an identity
  # policy, where "*" would mean every resource; here it cannot (docs/aws.md, "Checkov").
  #checkov:skip=CKV_AWS_109:key policy: Resource "*" is this key; kms:* for the account root is AWS's default key policy, which hands the decision to IAM
  #checkov:skip=CKV_AWS_111:key policy: Resource "*" is this key; writes are limited by IAM (account root) and by the log-group condition (CloudWatch Logs)
  #checkov:skip=CKV_AWS_356:key policy: a key policy's Resource must be "*" and means this key only
  statement {
    sid       = "AccountAdministersKeyThroughIam"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid = "CloudWatchLogsEncryptsPipelineLogGroups"
    actions = [
      "kms:Encrypt*",
      "kms:Decrypt*",
      "kms:ReEncrypt*",
      "kms:GenerateDataKey*",
      "kms:Describe*",
    ]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${var.aws_region}.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = local.kms_log_group_arns
    }
  }
}
