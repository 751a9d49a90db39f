"""Glue job: raw clickstream JSON (Firehose objects) → clean, deduplicated, partitioned Parquet.

The cloud twin of `clickstream transform` (src/transform/run-transform.ts), same data contract:
  - framing and per-record rules come from clickstream_rules.py (shipped with --extra-py-files and
    checked against test/vectors/ by `python3 -m unittest discover glue/tests`);
  - new raw objects are found through a bookmarked source (transformation_ctx + job.init/job.commit)
    and then read as whole binary objects, so gzip, BOM, NDJSON, concatenated objects and arrays are
    framed by the rules module, never by Spark's JSON reader;
  - duplicates by event_id lose to the first arrival (existing table first, then raw key order, then
    position in the object);
  - event_sequence is recomputed over whole sessions: every session the batch touches is resequenced
    across all partitions that hold it;
  - late events land in their own event-date partition;
  - output replaces exactly the partitions the run touches (dynamic partition overwrite), so a rerun
    never appends twice; rejects go to errors/ as NDJSON with the same reason codes;
  - a run report with the local engine's counts is written to _state/glue/runs/<run id>.json
    (the CLI's `transform --engine glue` prints it).

Arguments (infra/glue.tf sets them): --raw_bucket --transformed_bucket --errors_bucket --state_bucket
--future_tolerance_hours; optional --now (ISO-8601 processing time, for reproducible reruns).
"""

import datetime as dt
import json
import sys
import uuid

import boto3
from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from pyspark.sql import Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

import clickstream_rules as rules

REQUIRED_ARGS = ["JOB_NAME", "raw_bucket", "transformed_bucket", "errors_bucket", "state_bucket",
                 "future_tolerance_hours"]
RUN_REPORT_PREFIX = "_state/glue/runs/"
LEDGER_PREFIX = "_state/glue/processed/"
PARTITION_COLUMNS = ["year", "month", "day"]

# The transformed table's columns, in order (src/transform/event-schema.ts).
OUTPUT_SCHEMA = T.StructType([
    T.StructField("event_id", T.StringType()),
    T.StructField("user_id", T.StringType()),
    T.StructField("session_id", T.StringType()),
    T.StructField("event_type", T.StringType()),
    T.StructField("event_category", T.StringType()),
    T.StructField("timestamp", T.StringType()),
    T.StructField("event_time", T.TimestampType()),
    T.StructField("event_date", T.DateType()),
    T.StructField("hour", T.IntegerType()),
    T.StructField("page_url", T.StringType()),
    T.StructField("referrer", T.StringType()),
    T.StructField("product_id", T.StringType()),
    T.StructField("product_name", T.StringType()),
    T.StructField("product_category", T.StringType()),
    T.StructField("device_type", T.StringType()),
    T.StructField("price", T.DoubleType()),
    T.StructField("quantity", T.LongType()),
    T.StructField("has_product_data", T.BooleanType()),
    T.StructField("has_price_data", T.BooleanType()),
    T.StructField("event_sequence", T.LongType()),
    T.StructField("is_session_start", T.BooleanType()),
    T.StructField("processed_timestamp", T.TimestampType()),
])
OUTPUT_COLUMNS = [f.name for f in OUTPUT_SCHEMA.fields]
RULE_COLUMNS = [c for c in OUTPUT_COLUMNS if c not in ("event_sequence", "is_session_start", "processed_timestamp")]

# One record after framing and rules: an accepted row or a reject line, with its place of arrival.
RECORD_SCHEMA = T.StructType(
    [T.StructField(f.name, f.dataType) for f in OUTPUT_SCHEMA.fields if f.name in RULE_COLUMNS]
    + [
        T.StructField("unknown_fields", T.ArrayType(T.StringType())),
        T.StructField("_source", T.StringType()),
        T.StructField("_line", T.LongType()),
        T.StructField("_position", T.LongType()),
        T.StructField("_raw", T.StringType()),
        T.StructField("_reject", T.StringType()),  # the errors/ NDJSON line, or null for a row
    ]
)


def resolve_args(argv):
    args = getResolvedOptions(argv, REQUIRED_ARGS)
    # Glue passes the run id as --JOB_RUN_ID; --now is optional.
    for optional in ("JOB_RUN_ID", "now"):
        if "--" + optional in argv:
            args.update(getResolvedOptions(argv, [optional]))
    return args


def object_key(path, bucket):
    """s3://bucket/raw/… (or s3a://) → raw/…"""
    for scheme in ("s3://", "s3a://", "s3n://"):
        prefix = scheme + bucket + "/"
        if path.startswith(prefix):
            return path[len(prefix):]
    return path


def frame_objects(partition, raw_bucket, now, tolerance_hours):
    """Runs on executors: binary objects → RECORD_SCHEMA tuples (rows and rejects)."""
    for item in partition:
        key = object_key(item.path, raw_bucket)
        rows, rejects = rules.process_object(
            bytes(item.content), key, now, future_tolerance_hours=tolerance_hours)
        position = 0
        for row in rows:
            position += 1
            values = []
            for column in RULE_COLUMNS:
                value = row[column]
                if column == "event_time":
                    value = value.replace(tzinfo=None)  # naive UTC; the session time zone is UTC
                values.append(value)
            yield tuple(values) + (row["unknown_fields"], key, row["_line"], position, row["_raw"], None)
        for reject in rejects:
            position += 1
            empty = (None,) * len(RULE_COLUMNS)
            yield empty + (None, key, reject["line"], position, reject["raw"], json.dumps(reject))


def duplicate_line(source, line, raw, event_id, seen_before):
    return json.dumps({
        "reason": "duplicate",
        "field": "event_id",
        "message": "event_id %s %s" % (
            event_id, "was already written by an earlier run" if seen_before else "already appeared earlier in this run"),
        "source": source,
        "line": line,
        "raw": raw,
    })


def list_keys(s3, bucket, prefix):
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            yield item


def load_ledger(s3, bucket):
    """(key, last-modified ISO) of raw objects an earlier run published but may not have bookmarked."""
    done = set()
    for item in list_keys(s3, bucket, LEDGER_PREFIX):
        body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
        for entry in json.loads(body)["objects"]:
            done.add((entry["key"], entry["lastModified"]))
    return done


def path_exists(spark, path):
    jvm = spark.sparkContext._jvm
    hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
    fs = hadoop_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    return fs.exists(hadoop_path) and len(fs.listStatus(hadoop_path)) > 0


def main():
    args = resolve_args(sys.argv)
    run_id = args.get("JOB_RUN_ID") or "local-" + uuid.uuid4().hex
    started = dt.datetime.now(dt.timezone.utc)
    now = rules.parse_now(args["now"]) if args.get("now") else started
    tolerance_hours = float(args["future_tolerance_hours"])
    raw_bucket, transformed_bucket = args["raw_bucket"], args["transformed_bucket"]
    errors_bucket, state_bucket = args["errors_bucket"], args["state_bucket"]
    transformed_path = "s3://%s/transformed/" % transformed_bucket

    sc = SparkContext.getOrCreate()
    glue = GlueContext(sc)
    spark = glue.spark_session
    job = Job(glue)
    job.init(args["JOB_NAME"], args)
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    spark.conf.set("spark.sql.sources.partitionOverwriteMode", "dynamic")
    spark.conf.set("spark.sql.parquet.compression.codec", "zstd")
    # Partition folders are zero-padded strings (month=03), as the crawler and Athena see them.
    spark.conf.set("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
    spark.conf.set("spark.sql.files.maxRecordsPerFile", "2000000")
    s3 = boto3.client("s3")

    # 1. New objects, from the bookmarked source. Lines are read only to learn which files are new;
    #    the separator \u0001 and no quoting keep any byte sequence a valid "CSV" line.
    discovered = glue.create_dynamic_frame.from_options(
        connection_type="s3",
        connection_options={"paths": ["s3://%s/raw/" % raw_bucket], "recurse": True, "groupFiles": "none"},
        format="csv",
        format_options={"separator": "\u0001", "quoteChar": -1, "withHeader": False},
        transformation_ctx="raw_source",
    )
    new_paths = sorted(
        row.path for row in discovered.toDF().select(F.input_file_name().alias("path")).distinct().collect()
        if row.path and not rules_hidden(object_key(row.path, raw_bucket))
    )
    ledger = load_ledger(s3, state_bucket)

    report = {
        "engine": "glue", "jobName": args["JOB_NAME"], "runId": run_id, "status": "no_new_data",
        "fullRefresh": False, "startedAt": iso(started), "finishedAt": None, "durationMs": 0,
        "processingTime": iso(now), "objectsProcessed": 0,
        "records": {"read": 0, "written": 0, "rejected": 0},
        "rejectedByReason": {reason: 0 for reason in rules.REASONS},
        "unknownFields": {}, "partitionsWritten": [], "rowsRewritten": 0,
        "bytesRead": 0, "bytesWritten": 0, "errorObjects": [],
    }

    binaries = None
    if new_paths:
        binaries = spark.read.format("binaryFile").load(new_paths).select("path", "modificationTime", "length", "content")
        metadata = binaries.select("path", "modificationTime", "length").collect()
        fresh = [m for m in metadata
                 if (object_key(m.path, raw_bucket), iso(m.modificationTime)) not in ledger]
        fresh_paths = set(m.path for m in fresh)
        binaries = binaries.where(F.col("path").isin(list(fresh_paths))) if fresh_paths else None
        report["objectsProcessed"] = len(fresh)
        report["bytesRead"] = sum(m.length for m in fresh)
    else:
        fresh = []

    if binaries is not None:
        process_batch(spark, s3, binaries, fresh, raw_bucket, transformed_path, errors_bucket,
                      state_bucket, run_id, now, tolerance_hours, report)

    finished = dt.datetime.now(dt.timezone.utc)
    report["finishedAt"] = iso(finished)
    report["durationMs"] = int((finished - started).total_seconds() * 1000)
    s3.put_object(Bucket=state_bucket, Key=RUN_REPORT_PREFIX + run_id + ".json",
                  Body=json.dumps(report, indent=2).encode("utf-8"), ContentType="application/json")
    # Last: the bookmark moves only after the output, rejects, ledger and report are in place.
    job.commit()


def process_batch(spark, s3, binaries, fresh, raw_bucket, transformed_path, errors_bucket, state_bucket,
                  run_id, now, tolerance_hours, report):
    records = spark.createDataFrame(
        binaries.rdd.mapPartitions(lambda part: frame_objects(part, raw_bucket, now, tolerance_hours)),
        RECORD_SCHEMA,
    ).cache()
    rule_rejects = records.where(F.col("_reject").isNotNull())
    candidates = records.where(F.col("_reject").isNull())

    # 2. Dedup: the existing table wins, then raw key order, then position in the object.
    has_existing = path_exists(spark, transformed_path)
    existing = (spark.read.option("basePath", transformed_path).parquet(transformed_path)
                if has_existing else None)
    arrival = Window.partitionBy("event_id").orderBy("_source", "_line", "_position")
    ranked = candidates.withColumn("_rank", F.row_number().over(arrival))
    if existing is not None:
        seen = existing.select("event_id").distinct().withColumn("_seen_before", F.lit(True))
        ranked = ranked.join(seen, "event_id", "left").fillna(False, ["_seen_before"])
    else:
        ranked = ranked.withColumn("_seen_before", F.lit(False))
    duplicate_udf = F.udf(duplicate_line, T.StringType())
    duplicates = ranked.where((F.col("_rank") > 1) | F.col("_seen_before")).select(
        "_source", "_line", "_position",
        duplicate_udf("_source", "_line", "_raw", "event_id", "_seen_before").alias("_reject"),
    )
    accepted = (ranked.where((F.col("_rank") == 1) & ~F.col("_seen_before"))
                .withColumn("year", F.date_format("event_time", "yyyy"))
                .withColumn("month", F.date_format("event_time", "MM"))
                .withColumn("day", F.date_format("event_time", "dd"))
                .withColumn("processed_timestamp", F.lit(now.replace(tzinfo=None)).cast(T.TimestampType()))
                .cache())

    # 3. Partitions to rewrite: those of new rows, and every partition holding a session the batch touches.
    touched = accepted.where(F.col("session_id").isNotNull()).select("session_id").distinct()
    new_partitions = accepted.select(*PARTITION_COLUMNS).distinct()
    if existing is not None:
        session_partitions = existing.join(touched, "session_id").select(*PARTITION_COLUMNS).distinct()
        partitions = new_partitions.union(session_partitions).distinct()
        kept = existing.join(partitions, PARTITION_COLUMNS, "left_semi").select(
            *OUTPUT_COLUMNS, *PARTITION_COLUMNS)
    else:
        partitions = new_partitions
        kept = None

    fresh_rows = accepted.select(
        *[F.lit(None).cast(T.LongType()).alias(c) if c in ("event_sequence",) else
          F.lit(None).cast(T.BooleanType()).alias(c) if c == "is_session_start" else F.col(c)
          for c in OUTPUT_COLUMNS],
        *PARTITION_COLUMNS,
    ).withColumn("_new", F.lit(True))
    combined = fresh_rows if kept is None else kept.withColumn("_new", F.lit(False)).unionByName(fresh_rows)

    # 4. event_sequence over whole sessions: resequence touched sessions, keep the others' values.
    touched_flag = touched.withColumn("_touched", F.lit(True))
    combined = combined.join(touched_flag, "session_id", "left").fillna(False, ["_touched"])
    order = Window.partitionBy("session_id").orderBy("event_time", "event_id")
    sequence = (F.when(F.col("session_id").isNull(), F.lit(None).cast(T.LongType()))
                .when(F.col("_touched"), F.row_number().over(order).cast(T.LongType()))
                .otherwise(F.col("event_sequence")))
    combined = combined.withColumn("_old_sequence", F.col("event_sequence")).withColumn("event_sequence", sequence)
    combined = combined.withColumn(
        "is_session_start",
        F.when(F.col("session_id").isNull(), F.lit(None).cast(T.BooleanType())).otherwise(F.col("event_sequence") == 1),
    )
    # Materialise before overwriting the folders it was read from.
    combined = combined.localCheckpoint(eager=True)
    report["rowsRewritten"] = combined.where(
        ~F.col("_new") & ~F.col("_old_sequence").eqNullSafe(F.col("event_sequence"))).count()

    # 5. Publish: overwrite exactly the touched partitions.
    output = combined.select(*OUTPUT_COLUMNS, *PARTITION_COLUMNS)
    written_partitions = sorted(
        "year=%s/month=%s/day=%s" % (p.year, p.month, p.day) for p in partitions.collect())
    if written_partitions:
        (output.repartition(*PARTITION_COLUMNS)
         .write.mode("overwrite").partitionBy(*PARTITION_COLUMNS).parquet(transformed_path))

    # 6. Rejects (rules + duplicates), in arrival order, one NDJSON folder per run under the run date.
    rejects = rule_rejects.select("_source", "_line", "_position", "_reject").unionByName(duplicates)
    reject_lines = rejects.orderBy("_source", "_line", "_position").select(F.col("_reject").alias("value")).cache()
    run_day = now.strftime("year=%Y/month=%m/day=%d")
    errors_prefix = "errors/glue/%s/%s/" % (run_day, run_id)
    rejected_total = reject_lines.count()
    if rejected_total > 0:
        reject_lines.coalesce(1).write.mode("overwrite").text("s3://%s/%s" % (errors_bucket, errors_prefix))
        report["errorObjects"] = [item["Key"] for item in list_keys(s3, errors_bucket, errors_prefix)
                                  if not item["Key"].rsplit("/", 1)[-1].startswith("_")]

    # 7. Counts: records read = written + rejected.
    reasons = reject_lines.select(F.get_json_object("value", "$.reason").alias("reason")).groupBy("reason").count()
    for row in reasons.collect():
        report["rejectedByReason"][row["reason"]] = row["count"]
    written = accepted.count()
    report["records"] = {"read": written + rejected_total, "written": written, "rejected": rejected_total}
    unknown = accepted.select(F.explode("unknown_fields").alias("field")).groupBy("field").count()
    report["unknownFields"] = {row["field"]: row["count"] for row in unknown.collect()}
    report["partitionsWritten"] = written_partitions
    report["status"] = "succeeded"

    # 8. Ledger: these objects are published, even if the bookmark commit below never happens.
    s3.put_object(
        Bucket=state_bucket, Key=LEDGER_PREFIX + run_id + ".json",
        Body=json.dumps({"runId": run_id, "objects": [
            {"key": object_key(m.path, raw_bucket), "lastModified": iso(m.modificationTime)} for m in fresh
        ]}).encode("utf-8"),
    )


def rules_hidden(key):
    """Objects whose name (or a folder) starts with `_` or `.` are not raw data, as in the local engine."""
    return any(part.startswith("_") or part.startswith(".") for part in key.split("/"))


def iso(value):
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return rules.format_timestamp(value.astimezone(dt.timezone.utc))


if __name__ == "__main__":
    main()
