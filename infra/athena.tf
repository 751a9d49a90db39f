# Athena answers SQL over the catalog. The workgroup's settings override the client's, so every query
# writes results encrypted with the pipeline's key to athena-results/ and is cancelled past the bytes-scanned cutoff.

resource "aws_athena_workgroup" "clickstream" {
  name          = local.workgroup
  description   = "Clickstream queries: results in s3://<athena-results>/athena-results/, scan cutoff enforced."
  force_destroy = var.force_destroy

  configuration {
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    bytes_scanned_cutoff_per_query     = var.athena_bytes_scanned_cutoff

    engine_version {
      selected_engine_version = "Athena engine version 3"
    }

    result_configuration {
      output_location = "s3://${aws_s3_bucket.this["athena_results"].id}/${local.athena_results_prefix}"

      encryption_configuration {
        encryption_option = "SSE_KMS"
        kms_key_arn       = aws_kms_key.pipeline.arn
      }
    }
  }
}

locals {
  # queries/athena_queries.sql is a list of sections, each opened by a `-- Query N: Title` comment line.
  # The file is read at plan time, so adding a section adds a named query.
  queries_path = abspath("${path.module}/${var.queries_file}")
  queries_sql  = fileexists(local.queries_path) ? replace(file(local.queries_path), "\r\n", "\n") : ""
  query_header = "/(?m)^--[ \\t]*Query[ \\t]+[0-9]+[ \\t]*:/"
  # Mark every section start with a record separator, then split on it; the first piece is the file's preamble.
  query_sections = slice(
    split("\u001e", replace(local.queries_sql, local.query_header, "\u001e$0")),
    1,
    length(split("\u001e", replace(local.queries_sql, local.query_header, "\u001e$0"))),
  )
  named_queries = {
    for section in local.query_sections :
    format("query_%02d", tonumber(regex("^--[ \\t]*Query[ \\t]+([0-9]+)", section)[0])) => {
      number = tonumber(regex("^--[ \\t]*Query[ \\t]+([0-9]+)", section)[0])
      title  = trimspace(regex("^--[ \\t]*Query[ \\t]+[0-9]+[ \\t]*:([^\\n]*)", section)[0])
      # The SQL is the section without its title line.
      sql = trimspace(replace(section, "/^[^\\n]*\\n?/", ""))
    }
  }
}

resource "aws_athena_named_query" "clickstream" {
  for_each = local.named_queries

  name        = substr("${each.value.number}. ${each.value.title}", 0, 128)
  description = "From queries/athena_queries.sql, query ${each.value.number}."
  workgroup   = aws_athena_workgroup.clickstream.id
  database    = aws_glue_catalog_database.clickstream.name
  query       = each.value.sql
}
