# Firehose → s3://<raw>/raw/year=YYYY/month=MM/day=DD/<stream>-<version>-YYYY-MM-DD-HH-MM-SS-<uuid>[.gz],
# the key layout `clickstream serve` writes locally (rawObjectKey in src/storage/warehouse-layout.ts).

resource "aws_cloudwatch_log_group" "firehose" {
  name              = "/aws/kinesisfirehose/${local.stream_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.pipeline.arn
}

resource "aws_cloudwatch_log_stream" "firehose_delivery" {
  name           = "DestinationDelivery"
  log_group_name = aws_cloudwatch_log_group.firehose.name
}

resource "aws_kinesis_firehose_delivery_stream" "events" {
  name        = local.stream_name
  destination = "extended_s3"

  server_side_encryption {
    enabled  = true
    key_type = "CUSTOMER_MANAGED_CMK"
    key_arn  = aws_kms_key.pipeline.arn
  }

  extended_s3_configuration {
    role_arn   = aws_iam_role.firehose.arn
    bucket_arn = aws_s3_bucket.this["raw"].arn

    prefix              = local.firehose_prefix
    error_output_prefix = local.firehose_error_output_prefix

    buffering_size     = var.firehose_buffering_size_mb
    buffering_interval = var.firehose_buffering_interval_seconds
    compression_format = var.firehose_compression_format

    # Without it Firehose concatenates records with no delimiter; the transform accepts both,
    # but newline-delimited objects keep one bad record from costing its neighbours.
    processing_configuration {
      enabled = true

      processors {
        type = "AppendDelimiterToRecord"
      }
    }

    cloudwatch_logging_options {
      enabled         = true
      log_group_name  = aws_cloudwatch_log_group.firehose.name
      log_stream_name = aws_cloudwatch_log_stream.firehose_delivery.name
    }
  }

  # Firehose checks its role when the stream is created.
  depends_on = [aws_iam_role_policy.firehose]
}
