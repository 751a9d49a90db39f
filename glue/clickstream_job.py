"""The Glue job's data path: new raw objects → deduplicated, sessionised Parquet in transformed/, rejects
in errors/, a ledger and a run report in _state/glue/.

Plain PySpark and boto3, nothing Glue-specific: the Glue entry (clickstream_transform.py) and the local
runner (clickstream_local.py, behind `clickstream transform --engine spark`) both call run_job(), so the
code that runs on local Spark is the code that runs in Glue. What differs is only where the buckets are:
S3Store (boto3) and s3:// URLs in Glue, LocalStore and file:// URLs over a warehouse folder locally.
"""

import contextlib
import datetime as dt
import json
import os
import shutil
import tempfile
from urllib.parse import urlparse

from pyspark.sql import Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

import clickstream_rules as rules

STATE_PREFIX = "_state/glue/"
LEDGER_PREFIX = STATE_PREFIX + "processed/"
RUN_REPORT_PREFIX = STATE_PREFIX + "runs/"
ERRORS_PREFIX = "errors/glue/"
PARTITION_COLUMNS = ["year", "month", "day"]

# Spark types of the contract's column types (contract/data-contract.json, "spark"). Timestamps are
# TIMESTAMP_NTZ: Parquet INT64 TIMESTAMP(MICROS, isAdjustedToUTC=false), what DuckDB writes for TIMESTAMP
# (Spark's TimestampType would be INT96, or UTC-adjusted micros that DuckDB reads as TIMESTAMPTZ).
_SPARK_TYPES = {
    "string": T.StringType(),
    "timestamp_ntz": T.TimestampNTZType(),
    "date": T.DateType(),
    "int": T.IntegerType(),
    "bigint": T.LongType(),
    "double": T.DoubleType(),
    "boolean": T.BooleanType(),
    "map<string,string>": T.MapType(T.StringType(), T.StringType()),
}
TABLE_COLUMNS = [(name, rules.SPARK_TYPES[name]) for name in rules.COLUMNS]
OUTPUT_SCHEMA = T.StructType([T.StructField(name, _SPARK_TYPES[kind]) for name, kind in TABLE_COLUMNS])
OUTPUT_COLUMNS = [name for name, _ in TABLE_COLUMNS]
# The table as read back: the columns plus the partition folders (strings, as the crawler types them).
STORED_SCHEMA = T.StructType(OUTPUT_SCHEMA.fields + [T.StructField(p, T.StringType()) for p in PARTITION_COLUMNS])
_MAP_COLUMNS = frozenset(f.name for f in OUTPUT_SCHEMA.fields if isinstance(f.dataType, T.MapType))
TABLE_LEVEL_COLUMNS = ("event_sequence", "is_session_start", "processed_timestamp")
RULE_COLUMNS = [c for c in OUTPUT_COLUMNS if c not in TABLE_LEVEL_COLUMNS]

# One record as framed and judged on the executors: a row, or a reject line, with its place of arrival.
# Maps travel as arrays of entries: a Python dict crosses to the JVM as a HashMap and loses the
# contract's order of first appearance; map_from_entries() keeps the array's order.
_ENTRIES = T.ArrayType(T.StructType([T.StructField("key", T.StringType()), T.StructField("value", T.StringType())]))
RECORD_SCHEMA = T.StructType(
    [
        T.StructField(f.name, _ENTRIES) if isinstance(f.dataType, T.MapType) else f
        for f in OUTPUT_SCHEMA.fields
        if f.name in RULE_COLUMNS
    ]
    + [
        T.StructField("unknown_fields", T.ArrayType(T.StringType())),
        T.StructField("_source", T.StringType()),
        T.StructField("_line", T.LongType()),
        T.StructField("_position", T.LongType()),
        T.StructField("_raw", T.StringType()),
        T.StructField("_reject", T.StringType()),  # the errors/ NDJSON line, or null for a row
    ]
)


class JobError(Exception):
    """A run that cannot complete; nothing after the failing step was published."""


# ---------------------------------------------------------------------------------------------
# Buckets: where the state, the rejects and the Spark data live
# ---------------------------------------------------------------------------------------------


class S3Store:
    """Bucket roles (raw, transformed, errors, state) on S3 through boto3, as in Glue."""

    def __init__(self, client, buckets):
        self.client = client
        self.buckets = dict(buckets)

    def spark_url(self, role, key=""):
        return "s3://%s/%s" % (self.buckets[role], key)

    def list(self, role, prefix):
        """(key, size) of every object under the prefix."""
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.buckets[role], Prefix=prefix):
            for item in page.get("Contents", []):
                yield item["Key"], item["Size"]

    def read(self, role, key):
        return self.client.get_object(Bucket=self.buckets[role], Key=key)["Body"].read()

    def write(self, role, key, body, content_type="application/json"):
        self.client.put_object(Bucket=self.buckets[role], Key=key, Body=body, ContentType=content_type)

    def upload(self, role, key, path, content_type):
        # upload_file goes multipart past 8 MiB, so a large reject file never sits in memory.
        self.client.upload_file(path, self.buckets[role], key, ExtraArgs={"ContentType": content_type})

    def delete(self, role, keys):
        keys = list(keys)
        for start in range(0, len(keys), 1000):
            batch = [{"Key": k} for k in keys[start : start + 1000]]
            self.client.delete_objects(Bucket=self.buckets[role], Delete={"Objects": batch, "Quiet": True})


class LocalStore:
    """Bucket roles as folders of one warehouse (`raw/…`, `errors/…`, `_state/…`), as the local engine
    keeps them. Writes go to a temp file renamed into place, so a reader never sees half an object."""

    def __init__(self, root):
        self.root = os.path.abspath(root)

    def spark_url(self, role, key=""):
        return "file://" + os.path.join(self.root, key)

    def path(self, key):
        return os.path.join(self.root, *key.split("/"))

    def list(self, role, prefix):
        base = self.path(prefix.rstrip("/")) if prefix.endswith("/") else os.path.dirname(self.path(prefix))
        found = []
        for folder, _, files in os.walk(base):
            for name in files:
                full = os.path.join(folder, name)
                key = os.path.relpath(full, self.root).replace(os.sep, "/")
                if key.startswith(prefix):
                    found.append((key, os.path.getsize(full)))
        return sorted(found)

    def read(self, role, key):
        with open(self.path(key), "rb") as handle:
            return handle.read()

    def write(self, role, key, body, content_type=None):
        target = self.path(key)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".tmp-")
        os.chmod(temp, _FILE_MODE)
        with os.fdopen(fd, "wb") as handle:
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)

    def upload(self, role, key, path, content_type=None):
        target = self.path(key)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".tmp-")
        os.close(fd)
        os.chmod(temp, _FILE_MODE)
        shutil.copyfile(path, temp)
        os.replace(temp, target)

    def delete(self, role, keys):
        for key in keys:
            with contextlib.suppress(FileNotFoundError):
                os.remove(self.path(key))


def _file_mode():
    """What a plain open() would give (mkstemp makes 0600): 0666 less the umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


_FILE_MODE = _file_mode()


def object_key(url, root_url):
    """The bucket key of a Spark path under a bucket root (`s3://b/raw/x` or `file:/w/raw/x` → `raw/x`).
    Spark writes local paths as `file:/…`, not `file:///…`: compare parsed paths, not strings."""
    found, root = urlparse(url), urlparse(root_url)
    if found.netloc != root.netloc or _scheme(found) != _scheme(root):
        raise JobError("%s is not under %s" % (url, root_url))
    base = root.path.rstrip("/") + "/"
    if not found.path.startswith(base):
        raise JobError("%s is not under %s" % (url, root_url))
    return found.path[len(base) :]


def _scheme(parsed):
    """s3, s3a and s3n name one bucket (Glue lists s3://, Hadoop may answer s3a://); no scheme is a file."""
    scheme = parsed.scheme or "file"
    return "s3" if scheme in ("s3a", "s3n") else scheme


def is_hidden(key):
    """Objects whose name (or a folder) starts with `_` or `.` are not data, as for Spark, Glue, Athena
    and the local engine."""
    return any(part.startswith("_") or part.startswith(".") for part in key.split("/"))


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------


class RunOptions:
    """What one run needs besides the data: its id, the processing time, the rules' settings."""

    def __init__(
        self,
        run_id,
        now,
        future_tolerance_hours=rules.DEFAULT_FUTURE_TOLERANCE_HOURS,
        full_refresh=False,
        categories=None,
        other_category=rules.OTHER_CATEGORY,
        job_name=None,
        engine="glue",
        started=None,
    ):
        self.run_id = run_id
        self.now = now
        self.future_tolerance_hours = future_tolerance_hours
        self.full_refresh = full_refresh
        self.categories = categories
        self.other_category = other_category
        self.job_name = job_name
        self.engine = engine
        self.started = started or dt.datetime.now(dt.UTC)


def configure_session(spark):
    """Session settings the data path relies on, whoever made the session."""
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    spark.conf.set("spark.sql.sources.partitionOverwriteMode", "dynamic")
    spark.conf.set("spark.sql.parquet.compression.codec", "zstd")
    spark.conf.set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
    # Partition folders are zero-padded strings (month=03), as the crawler and Athena see them.
    spark.conf.set("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
    spark.conf.set("spark.sql.files.maxRecordsPerFile", "2000000")


def load_ledger(store):
    """Keys of the raw objects earlier runs published (the job's own record; the Glue bookmark only
    narrows what is listed)."""
    done = set()
    for key, _ in store.list("state", LEDGER_PREFIX):
        if key.endswith(".json"):
            for entry in json.loads(store.read("state", key))["objects"]:
                done.add(entry["key"])
    return done


def run_job(spark, store, candidate_urls, options):
    """Runs the job over the raw objects at candidate_urls (Spark paths under the raw bucket's root) that
    no earlier run published. Returns the run report, also written to _state/glue/runs/<run id>.json."""
    configure_session(spark)
    raw_root = store.spark_url("raw")
    report = _empty_report(options)
    ledger = set() if options.full_refresh else load_ledger(store)
    by_key = {}
    for url in candidate_urls:
        key = object_key(url, raw_root)
        if key.startswith("raw/") and not is_hidden(key) and key not in ledger:
            by_key[key] = url
    fresh = sorted(by_key)

    if fresh or options.full_refresh:
        report["status"] = "succeeded"
        _process(spark, store, [(key, by_key[key]) for key in fresh], options, report)
    _finish(report, options)
    store.write("state", RUN_REPORT_PREFIX + options.run_id + ".json", json.dumps(report, indent=2).encode())
    return report


def _empty_report(options):
    return {
        "engine": options.engine,
        "jobName": options.job_name,
        "runId": options.run_id,
        "status": "no_new_data",
        "fullRefresh": options.full_refresh,
        "startedAt": iso(options.started),
        "finishedAt": None,
        "durationMs": 0,
        "processingTime": iso(options.now),
        "objectsProcessed": 0,
        "records": {"read": 0, "written": 0, "rejected": 0},
        "rejectedByReason": {reason: 0 for reason in rules.REASONS},
        "unknownFields": {},
        "unknownFieldsOmitted": 0,
        "partitionsWritten": [],
        "rowsRewritten": 0,
        # Dynamic partition overwrite rewrites every file of a touched partition, and leaves one file per
        # partition (so nothing is left to compact).
        "filesRewritten": 0,
        "partitionsCompacted": [],
        "bytesRead": 0,
        "bytesWritten": 0,
        "errorObjects": [],
    }


def _finish(report, options):
    finished = dt.datetime.now(dt.UTC)
    report["finishedAt"] = iso(finished)
    report["durationMs"] = int((finished - options.started).total_seconds() * 1000)


def _frame_partition(items, raw_root, now, rule_options):
    """Runs on executors: binary objects → RECORD_SCHEMA tuples, in the order the records were found."""
    empty = (None,) * len(RULE_COLUMNS)
    for item in items:
        key = object_key(item.path, raw_root)
        position = 0
        for kind, found in rules.frame_object(bytes(item.content), key, now, **rule_options):
            position += 1
            if kind == "reject":
                yield (*empty, None, key, found["line"], position, found["raw"], json.dumps(found))
                continue
            values = []
            for column in RULE_COLUMNS:
                value = found[column]
                if column == "event_time":
                    value = value.astimezone(dt.UTC).replace(tzinfo=None)  # NTZ holds UTC
                elif column in _MAP_COLUMNS and value is not None:
                    value = [tuple(entry) for entry in value]  # [key, value] pairs, in order
                values.append(value)
            yield (*tuple(values), found["unknown_fields"], key, found["_line"], position, found["_raw"], None)


def _duplicate_line(source, line, raw, event_id, seen_before):
    template = rules.CONTRACT["duplicateAcrossRunsMessage"] if seen_before else rules.message("duplicate", id="{id}")
    return json.dumps(
        {
            "reason": "duplicate",
            "field": "event_id",
            "message": template.format(id=event_id),
            "source": source,
            "line": line,
            "raw": raw[: rules.MAX_REJECT_RAW_CHARS],
        }
    )


def _process(spark, store, fresh, options, report):
    raw_root = store.spark_url("raw")
    transformed_url = store.spark_url("transformed", "transformed/")
    now = options.now
    now_text = now.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    rule_options = {
        "future_tolerance_hours": options.future_tolerance_hours,
        "categories": options.categories,
        "other_category": options.other_category,
    }

    # 1. Frame and judge every new object on the executors; one record per item found.
    if fresh:
        binaries = (
            spark.read.format("binaryFile")
            .option("recursiveFileLookup", "true")
            .load([url for _, url in fresh])
            .select("path", "length", "content")
        )
        report["bytesRead"] = sum(row.length for row in binaries.select("length").collect())
        records = spark.createDataFrame(
            binaries.rdd.mapPartitions(lambda part: _frame_partition(part, raw_root, now, rule_options)),
            RECORD_SCHEMA,
        )
    else:
        records = spark.createDataFrame([], RECORD_SCHEMA)
    for column in _MAP_COLUMNS:
        records = records.withColumn(column, F.map_from_entries(column))
    records = records.persist()
    report["objectsProcessed"] = len(fresh)
    read = records.count()  # counted where the records are found, not derived from the outcome
    rule_rejects = records.where(F.col("_reject").isNotNull())
    candidates = records.where(F.col("_reject").isNull())

    # 2. Dedup: an id already in the table wins, then raw key order, then position in the object.
    existing = None if options.full_refresh else _read_table(spark, transformed_url)
    arrival = Window.partitionBy("event_id").orderBy("_source", "_line", "_position")
    ranked = candidates.withColumn("_rank", F.row_number().over(arrival))
    if existing is not None:
        seen = existing.select("event_id").distinct().withColumn("_seen_before", F.lit(True))
        ranked = ranked.join(seen, "event_id", "left").fillna(False, ["_seen_before"])
    else:
        ranked = ranked.withColumn("_seen_before", F.lit(False))
    duplicate_udf = F.udf(_duplicate_line, T.StringType())
    duplicates = ranked.where((F.col("_rank") > 1) | F.col("_seen_before")).select(
        "_source",
        "_line",
        "_position",
        duplicate_udf("_source", "_line", "_raw", "event_id", "_seen_before").alias("_reject"),
    )
    accepted = (
        ranked.where((F.col("_rank") == 1) & ~F.col("_seen_before"))
        .withColumn("year", F.date_format("event_time", "yyyy"))
        .withColumn("month", F.date_format("event_time", "MM"))
        .withColumn("day", F.date_format("event_time", "dd"))
        .withColumn("processed_timestamp", F.lit(now_text).cast(T.TimestampNTZType()))
        .persist()
    )

    # 3. Partitions to rewrite: those of new rows, and every partition holding a session the batch touches.
    touched = accepted.where(F.col("session_id").isNotNull()).select("session_id").distinct()
    new_partitions = accepted.select(*PARTITION_COLUMNS).distinct()
    fresh_rows = accepted.select(
        *[
            F.lit(None).cast(OUTPUT_SCHEMA[c].dataType).alias(c)
            if c in ("event_sequence", "is_session_start")
            else F.col(c)
            for c in OUTPUT_COLUMNS
        ],
        *PARTITION_COLUMNS,
    ).withColumn("_new", F.lit(True))
    if existing is not None:
        session_partitions = existing.join(touched, "session_id").select(*PARTITION_COLUMNS).distinct()
        partitions = new_partitions.union(session_partitions).distinct()
        kept = existing.join(partitions, PARTITION_COLUMNS, "left_semi")
        combined = kept.withColumn("_new", F.lit(False)).unionByName(fresh_rows)
    else:
        partitions = new_partitions
        combined = fresh_rows

    # 4. event_sequence over whole sessions: resequence the touched sessions, keep the others' values.
    combined = combined.join(touched.withColumn("_touched", F.lit(True)), "session_id", "left").fillna(
        False, ["_touched"]
    )
    order = Window.partitionBy("session_id").orderBy("event_time", "event_id")
    sequence = (
        F.when(F.col("session_id").isNull(), F.lit(None).cast(T.LongType()))
        .when(F.col("_touched"), F.row_number().over(order).cast(T.LongType()))
        .otherwise(F.col("event_sequence"))
    )
    combined = (
        combined.withColumn("_old_sequence", F.col("event_sequence"))
        .withColumn("event_sequence", sequence)
        .withColumn(
            "is_session_start",
            F.when(F.col("session_id").isNull(), F.lit(None).cast(T.BooleanType())).otherwise(
                F.col("event_sequence") == 1
            ),
        )
    )
    # Materialise before overwriting the folders it was read from.
    combined = combined.localCheckpoint(eager=True)
    # Rows rewritten = existing rows whose sequence changed: a logical count, whatever the file layout.
    report["rowsRewritten"] = combined.where(
        ~F.col("_new") & ~F.col("_old_sequence").eqNullSafe(F.col("event_sequence"))
    ).count()

    # 5. Rejects (rules + duplicates). Materialised now: evaluated after the overwrite below, the
    #    duplicate check would re-read the table and find this run's own rows in it.
    rejects = (
        rule_rejects.select("_source", "_line", "_position", "_reject")
        .unionByName(duplicates)
        .localCheckpoint(eager=True)
    )
    reasons = rejects.select(F.get_json_object("_reject", "$.reason").alias("reason")).groupBy("reason").count()
    for row in reasons.collect():
        report["rejectedByReason"][row["reason"]] = row["count"]
    written = accepted.count()
    rejected = sum(report["rejectedByReason"].values())
    if read != written + rejected:
        raise JobError("records read %d != written %d + rejected %d; nothing was published" % (read, written, rejected))
    report["records"] = {"read": read, "written": written, "rejected": rejected}
    unknown = accepted.select(F.explode("unknown_fields").alias("field")).groupBy("field").count().collect()
    # The contract caps the names listed: the most frequent ones (then by name); the rest are counted.
    cap = rules.CONTRACT["limits"]["maxUnknownFieldNames"]
    listed = sorted(unknown, key=lambda row: (-row["count"], row["field"]))[:cap]
    report["unknownFields"] = {row["field"]: row["count"] for row in sorted(listed, key=lambda row: row["field"])}
    report["unknownFieldsOmitted"] = max(0, len(unknown) - cap)

    # 6. Publish: overwrite exactly the partitions touched (a full refresh replaces the whole table).
    written_partitions = sorted("year=%s/month=%s/day=%s" % (p.year, p.month, p.day) for p in partitions.collect())
    output = combined.select(*OUTPUT_COLUMNS, *PARTITION_COLUMNS)
    report["filesRewritten"] = (
        0 if options.full_refresh else sum(_file_count(spark, transformed_url + p) for p in written_partitions)
    )
    if options.full_refresh:
        _delete_path(spark, transformed_url)
    if written_partitions:
        (
            output.repartition(*PARTITION_COLUMNS)
            .write.mode("overwrite")
            .partitionBy(*PARTITION_COLUMNS)
            .parquet(transformed_url)
        )
    report["partitionsWritten"] = written_partitions
    report["bytesWritten"] = sum(_file_sizes(spark, transformed_url + p) for p in written_partitions)

    # 7. Rejects to errors/glue/ (a full refresh rebuilds it), then the ledger: these objects are published.
    old_errors = [k for k, _ in store.list("errors", ERRORS_PREFIX)] if options.full_refresh else []
    if rejected:
        key = "%s%s/%s.ndjson" % (ERRORS_PREFIX, now.strftime("year=%Y/month=%m/day=%d"), options.run_id)
        report["bytesWritten"] += _write_rejects(store, key, rejects)
        report["errorObjects"] = [key]
    store.delete("errors", [k for k in old_errors if k not in report["errorObjects"]])
    old_ledgers = [k for k, _ in store.list("state", LEDGER_PREFIX)] if options.full_refresh else []
    ledger_key = LEDGER_PREFIX + options.run_id + ".json"
    store.write(
        "state",
        ledger_key,
        json.dumps({"runId": options.run_id, "objects": [{"key": key} for key, _ in fresh]}).encode(),
    )
    store.delete("state", [k for k in old_ledgers if k != ledger_key])
    records.unpersist()
    accepted.unpersist()


def _write_rejects(store, key, rejects):
    """Streams the reject lines in arrival order into one NDJSON object; returns its size."""
    fd, path = tempfile.mkstemp(prefix="clickstream-rejects-", suffix=".ndjson")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            for row in rejects.orderBy("_source", "_line", "_position").select("_reject").toLocalIterator():
                handle.write(row[0])
                handle.write("\n")
        size = os.path.getsize(path)
        store.upload("errors", key, path, "application/x-ndjson")
        return size
    finally:
        if os.path.exists(path):
            os.remove(path)


def _hadoop_fs(spark, url):
    jvm = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(url)
    return path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()), path


def _read_table(spark, url):
    """The table as it stands, or None when it has no data file yet."""
    fs, path = _hadoop_fs(spark, url)
    if not fs.exists(path) or _file_count(spark, url) == 0:
        return None
    return spark.read.schema(STORED_SCHEMA).option("basePath", url).parquet(url)


def _parquet_files(spark, url):
    """Sizes of the visible Parquet files under a folder."""
    fs, path = _hadoop_fs(spark, url)
    if not fs.exists(path):
        return []
    sizes = []
    files = fs.listFiles(path, True)
    while files.hasNext():
        status = files.next()
        relative = status.getPath().toString()[len(path.toString()) :]
        if status.getPath().getName().endswith(".parquet") and not is_hidden(relative.strip("/")):
            sizes.append(status.getLen())
    return sizes


def _file_sizes(spark, url):
    """Bytes of the visible Parquet files under a folder."""
    return sum(_parquet_files(spark, url))


def _file_count(spark, url):
    return len(_parquet_files(spark, url))


def _delete_path(spark, url):
    fs, path = _hadoop_fs(spark, url)
    if fs.exists(path):
        fs.delete(path, True)


def iso(value):
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return rules.format_timestamp(value.astimezone(dt.UTC))
