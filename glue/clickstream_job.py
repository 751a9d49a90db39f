"""The Glue job's data path: new raw objects → deduplicated, sessionised Parquet in transformed/, one row
per session in sessions/, rejects in errors/, a ledger and a run report in _state/glue/.

Plain PySpark and boto3, nothing Glue-specific: the Glue entry (clickstream_transform.py) and the local
runner (clickstream_local.py, behind `clickstream transform --engine spark`) both call run_job(), so the
code that runs on local Spark is the code that runs in Glue. What differs is only where the buckets are:
S3Store (boto3) and s3:// URLs in Glue, LocalStore and file:// URLs over a warehouse folder locally.

The data path is a chain of pure DataFrame → DataFrame steps (frame, dedupe, partitions, sequence,
sessions, rejects), applied with DataFrame.transform; run_job() alone counts, materialises and publishes.
Every step takes what it reads from the contract (rules.load_contract()) as an argument.

Two tables go to the transformed bucket: the events under transformed/, and one row per session under
sessions/ (contract["sessions"]), partitioned by the session's start. A run merges its new events into the
stored rows of the sessions they touch and rewrites only the sessions partitions those rows start in, before
and after the merge.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import ParseResult, urlparse

from pyspark.sql import Column, DataFrame, Row, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

import clickstream_rules as rules
from clickstream_rules import Contract

STATE_PREFIX = "_state/glue/"
LEDGER_PREFIX = STATE_PREFIX + "processed/"
RUN_REPORT_PREFIX = STATE_PREFIX + "runs/"
ERRORS_PREFIX = "errors/glue/"

# Spark types of the contract's column types (contract/data-contract.json, "spark"). Timestamps are
# TIMESTAMP_NTZ: Parquet INT64 TIMESTAMP(MICROS, isAdjustedToUTC=false), what DuckDB writes for TIMESTAMP
# (Spark's TimestampType would be INT96, or UTC-adjusted micros that DuckDB reads as TIMESTAMPTZ).
_SPARK_TYPES: Mapping[str, T.DataType] = {
    "string": T.StringType(),
    "timestamp_ntz": T.TimestampNTZType(),
    "date": T.DateType(),
    "int": T.IntegerType(),
    "bigint": T.LongType(),
    "double": T.DoubleType(),
    "boolean": T.BooleanType(),
    "map<string,string>": T.MapType(T.StringType(), T.StringType()),
}
# Spark's datetime patterns of the contract's partition formats (partitionKeys[].format).
_SPARK_DATE_PATTERNS: Mapping[str, str] = {"YYYY": "yyyy", "MM": "MM", "DD": "dd"}
# Columns the table computes over whole sessions; the per-record rules leave them to the job.
TABLE_LEVEL_COLUMNS = ("event_sequence", "is_session_start", "processed_timestamp")
# Maps travel from the executors as arrays of entries: a Python dict crosses to the JVM as a HashMap and
# loses the contract's order of first appearance; map_from_entries() keeps the array's order.
_ENTRIES = T.ArrayType(T.StructType([T.StructField("key", T.StringType()), T.StructField("value", T.StringType())]))
# Where each record was found: ordering by these is arrival order (raw key, then place in the object).
ARRIVAL = ("_source", "_line", "_position")


class JobError(Exception):
    """A run that cannot complete; nothing after the failing step was published."""


@dataclass(frozen=True)
class TableSchema:
    """The Spark shapes of the contract's table: what is written, what is read back, what the executors
    send for each record found."""

    output: T.StructType
    partition_columns: tuple[str, ...]
    # The table as read back: the columns plus the partition folders (strings, as the crawler types them).
    stored: T.StructType
    # One record as framed and judged on the executors: a row, or a reject line, with its place of arrival.
    record: T.StructType
    map_columns: frozenset[str]
    rule_columns: tuple[str, ...]

    @property
    def output_columns(self) -> list[str]:
        return [f.name for f in self.output.fields]


def table_schema(contract: Contract) -> TableSchema:
    """The TableSchema of the contract's columns and partition keys."""
    output = T.StructType([T.StructField(name, _SPARK_TYPES[kind]) for name, kind in contract.columns])
    unknown = [k.format for k in contract.partition_keys if k.format not in _SPARK_DATE_PATTERNS]
    if unknown:
        raise ValueError("%s: partition formats this job cannot write: %s" % (contract.path, unknown))
    partitions = tuple(k.name for k in contract.partition_keys)
    rule_columns = tuple(f.name for f in output.fields if f.name not in TABLE_LEVEL_COLUMNS)
    record = T.StructType(
        [
            T.StructField(f.name, _ENTRIES) if isinstance(f.dataType, T.MapType) else f
            for f in output.fields
            if f.name in rule_columns
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
    return TableSchema(
        output=output,
        partition_columns=partitions,
        stored=T.StructType(output.fields + [T.StructField(p, T.StringType()) for p in partitions]),
        record=record,
        map_columns=frozenset(f.name for f in output.fields if isinstance(f.dataType, T.MapType)),
        rule_columns=rule_columns,
    )


@dataclass(frozen=True)
class SessionsSchema:
    """The Spark shapes of the contract's sessions table (contract["sessions"]): what is written, what is
    read back, where it lives in the transformed bucket."""

    output: T.StructType
    partition_columns: tuple[str, ...]
    stored: T.StructType
    folder: str

    @property
    def output_columns(self) -> list[str]:
        return [f.name for f in self.output.fields]


def sessions_schema(contract: Contract) -> SessionsSchema:
    """The SessionsSchema of the contract; ValueError when its columns and this job's rules differ (a
    column without a rule, a rule without a column), or it orders events by anything but (event_time,
    event_id)."""
    sessions = contract.sessions
    names = [name for name, _ in sessions.columns]
    unknown = [name for name in names if name not in _SESSION_RULES]
    if unknown:
        raise ValueError("%s: sessions columns this job has no rule for: %s" % (contract.path, unknown))
    extra = [name for name in _SESSION_RULES if name not in names]
    if extra:
        raise ValueError("%s: sessions rules of columns the contract does not name: %s" % (contract.path, extra))
    if sessions.order != _SESSION_ORDER:
        raise ValueError("%s: sessions.order must be %s" % (contract.path, list(_SESSION_ORDER)))
    output = T.StructType([T.StructField(name, _SPARK_TYPES[kind]) for name, kind in sessions.columns])
    partitions = tuple(k.name for k in contract.partition_keys)
    return SessionsSchema(
        output=output,
        partition_columns=partitions,
        stored=T.StructType(output.fields + [T.StructField(p, T.StringType()) for p in partitions]),
        folder=sessions.folder.strip("/") + "/",
    )


# ---------------------------------------------------------------------------------------------
# Buckets: where the state, the rejects and the Spark data live
# ---------------------------------------------------------------------------------------------


class Store(Protocol):
    """Bucket roles (raw, transformed, errors, state): what the job calls, on S3 or on a folder."""

    def spark_url(self, role: str, key: str = "") -> str: ...

    def list(self, role: str, prefix: str) -> Iterable[tuple[str, int]]: ...

    def read(self, role: str, key: str) -> bytes: ...

    def write(self, role: str, key: str, body: bytes, content_type: str = "application/json") -> None: ...

    def upload(self, role: str, key: str, path: str, content_type: str) -> None: ...

    def delete(self, role: str, keys: Iterable[str]) -> None: ...


class S3Store:
    """Bucket roles (raw, transformed, errors, state) on S3 through boto3, as in Glue."""

    def __init__(self, client: Any, buckets: Mapping[str, str]) -> None:
        self.client = client
        self.buckets = dict(buckets)

    def spark_url(self, role: str, key: str = "") -> str:
        return "s3://%s/%s" % (self.buckets[role], key)

    def list(self, role: str, prefix: str) -> Iterator[tuple[str, int]]:
        """(key, size) of every object under the prefix."""
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.buckets[role], Prefix=prefix):
            for item in page.get("Contents", []):
                yield item["Key"], item["Size"]

    def read(self, role: str, key: str) -> bytes:
        return self.client.get_object(Bucket=self.buckets[role], Key=key)["Body"].read()

    def write(self, role: str, key: str, body: bytes, content_type: str = "application/json") -> None:
        self.client.put_object(Bucket=self.buckets[role], Key=key, Body=body, ContentType=content_type)

    def upload(self, role: str, key: str, path: str, content_type: str) -> None:
        # upload_file goes multipart past 8 MiB, so a large reject file never sits in memory.
        self.client.upload_file(path, self.buckets[role], key, ExtraArgs={"ContentType": content_type})

    def delete(self, role: str, keys: Iterable[str]) -> None:
        keys = list(keys)
        for start in range(0, len(keys), 1000):
            batch = [{"Key": k} for k in keys[start : start + 1000]]
            self.client.delete_objects(Bucket=self.buckets[role], Delete={"Objects": batch, "Quiet": True})


class LocalStore:
    """Bucket roles as folders of one warehouse (`raw/…`, `errors/…`, `_state/…`), as the local engine
    keeps them. Writes go to a temp file renamed into place, so a reader never sees half an object."""

    def __init__(self, root: str) -> None:
        self.root = os.path.abspath(root)

    def spark_url(self, role: str, key: str = "") -> str:
        return "file://" + os.path.join(self.root, key)

    def path(self, key: str) -> str:
        return os.path.join(self.root, *key.split("/"))

    def list(self, role: str, prefix: str) -> list[tuple[str, int]]:
        base = self.path(prefix.rstrip("/")) if prefix.endswith("/") else os.path.dirname(self.path(prefix))
        found = []
        for folder, _, files in os.walk(base):
            for name in files:
                full = os.path.join(folder, name)
                key = os.path.relpath(full, self.root).replace(os.sep, "/")
                if key.startswith(prefix):
                    found.append((key, os.path.getsize(full)))
        return sorted(found)

    def read(self, role: str, key: str) -> bytes:
        with open(self.path(key), "rb") as handle:
            return handle.read()

    def write(self, role: str, key: str, body: bytes, content_type: str | None = None) -> None:
        target = self.path(key)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".tmp-")
        os.chmod(temp, _FILE_MODE)
        with os.fdopen(fd, "wb") as handle:
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)

    def upload(self, role: str, key: str, path: str, content_type: str | None = None) -> None:
        target = self.path(key)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".tmp-")
        os.close(fd)
        os.chmod(temp, _FILE_MODE)
        shutil.copyfile(path, temp)
        os.replace(temp, target)

    def delete(self, role: str, keys: Iterable[str]) -> None:
        for key in keys:
            with contextlib.suppress(FileNotFoundError):
                os.remove(self.path(key))


def _file_mode() -> int:
    """What a plain open() would give (mkstemp makes 0600): 0666 less the umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


_FILE_MODE = _file_mode()


def object_key(url: str, root_url: str) -> str:
    """The bucket key of a Spark path under a bucket root (`s3://b/raw/x` or `file:/w/raw/x` → `raw/x`).
    Spark writes local paths as `file:/…`, not `file:///…`: compare parsed paths, not strings."""
    found, root = urlparse(url), urlparse(root_url)
    if found.netloc != root.netloc or _scheme(found) != _scheme(root):
        raise JobError("%s is not under %s" % (url, root_url))
    base = root.path.rstrip("/") + "/"
    if not found.path.startswith(base):
        raise JobError("%s is not under %s" % (url, root_url))
    return found.path[len(base) :]


def _scheme(parsed: ParseResult) -> str:
    """s3, s3a and s3n name one bucket (Glue lists s3://, Hadoop may answer s3a://); no scheme is a file."""
    scheme = parsed.scheme or "file"
    return "s3" if scheme in ("s3a", "s3n") else scheme


def is_hidden(key: str) -> bool:
    """Objects whose name (or a folder) starts with `_` or `.` are not data, as for Spark, Glue, Athena
    and the local engine."""
    return any(part.startswith("_") or part.startswith(".") for part in key.split("/"))


# ---------------------------------------------------------------------------------------------
# Steps: pure DataFrame → DataFrame functions, chained with DataFrame.transform
# ---------------------------------------------------------------------------------------------


def frame_records(
    binaries: DataFrame,
    raw_root: str,
    now: dt.datetime,
    rule_options: Mapping[str, Any],
    contract: Contract,
    schema: TableSchema,
) -> DataFrame:
    """binaryFile rows (path, content) → one record per item found in them (schema.record): a row's
    columns, or its errors/ line in `_reject`; `_source`, `_line`, `_position` say where it was found."""
    frame = _record_framer(raw_root, now, rule_options, contract, schema)
    return binaries.sparkSession.createDataFrame(
        binaries.select("path", "content").rdd.mapPartitions(frame), schema.record
    )


def _record_framer(
    raw_root: str, now: dt.datetime, rule_options: Mapping[str, Any], contract: Contract, schema: TableSchema
) -> Callable[[Iterable[Row]], Iterator[tuple[Any, ...]]]:
    """The function the executors run over a partition of binaryFile rows (a closure: it ships the
    contract with it, so executors need no contract file)."""
    empty = (None,) * len(schema.rule_columns)
    options = dict(rule_options)

    def frame(items: Iterable[Row]) -> Iterator[tuple[Any, ...]]:
        for item in items:
            key = object_key(item.path, raw_root)
            position = 0
            for kind, found in rules.frame_object(bytes(item.content), key, now, contract, **options):
                position += 1
                if kind == "reject":
                    yield (*empty, None, key, found["line"], position, found["raw"], json.dumps(found))
                    continue
                values = []
                for column in schema.rule_columns:
                    value = found[column]
                    if column == "event_time":
                        value = value.astimezone(dt.UTC).replace(tzinfo=None)  # NTZ holds UTC
                    elif column in schema.map_columns and value is not None:
                        value = [tuple(entry) for entry in value]  # [key, value] pairs, in order
                    values.append(value)
                yield (*values, found["unknown_fields"], key, found["_line"], position, found["_raw"], None)

    return frame


def entries_to_maps(records: DataFrame, schema: TableSchema) -> DataFrame:
    """The map columns, sent as arrays of entries, as maps (in the entries' order)."""
    for column in sorted(schema.map_columns):
        records = records.withColumn(column, F.map_from_entries(column))
    return records


def rank_arrivals(candidates: DataFrame, existing: DataFrame | None) -> DataFrame:
    """Each candidate row with `_rank` (1 = the first arrival of its event_id in this batch, by raw key
    order, then place in the object) and `_seen_before` (its event_id is already in the table)."""
    arrival = Window.partitionBy("event_id").orderBy(*ARRIVAL)
    ranked = candidates.withColumn("_rank", F.row_number().over(arrival))
    if existing is None:
        return ranked.withColumn("_seen_before", F.lit(False))
    seen = existing.select("event_id").distinct().withColumn("_seen_before", F.lit(True))
    return ranked.join(seen, "event_id", "left").fillna(False, ["_seen_before"])


def duplicate_rejects(ranked: DataFrame, contract: Contract) -> DataFrame:
    """The ranked rows that lose (an id already in the table, or a later arrival in this batch) as
    reject lines: `_source`, `_line`, `_position`, `_reject`."""
    in_batch = contract.message("duplicate", id="{id}")
    across_runs = contract.duplicate_across_runs_message

    def line(source: str, line: int, raw: str, event_id: str, seen_before: bool) -> str:
        return json.dumps(
            rules.reject_fields_in_order(
                {
                    "reason": "duplicate",
                    "field": "event_id",
                    "message": (across_runs if seen_before else in_batch).format(id=event_id),
                    "source": source,
                    "line": line,
                    "raw": raw[: contract.max_reject_raw_chars],
                },
                contract,
            )
        )

    duplicate_line = F.udf(line, T.StringType())
    return ranked.where((F.col("_rank") > 1) | F.col("_seen_before")).select(
        *ARRIVAL, duplicate_line("_source", "_line", "_raw", "event_id", "_seen_before").alias("_reject")
    )


def first_arrivals(ranked: DataFrame) -> DataFrame:
    """The ranked rows that win: the first arrival of an event_id the table does not hold yet."""
    return ranked.where((F.col("_rank") == 1) & ~F.col("_seen_before"))


def with_partition_columns(rows: DataFrame, contract: Contract, source: str | None = None) -> DataFrame:
    """The contract's partition keys as columns (`year`, `month`, `day`: zero-padded strings of
    `event_time`, or of `source` when given, as the folder names hold them)."""
    for key in contract.partition_keys:
        rows = rows.withColumn(key.name, F.date_format(source or key.source, _SPARK_DATE_PATTERNS[key.format]))
    return rows


def with_processed_timestamp(rows: DataFrame, now: dt.datetime) -> DataFrame:
    """`processed_timestamp`: the run's processing time, UTC wall-clock (TIMESTAMP_NTZ)."""
    return rows.withColumn("processed_timestamp", _timestamp_literal(now))


def _timestamp_literal(now: dt.datetime) -> Column:
    """A time as a TIMESTAMP_NTZ literal of its UTC wall-clock."""
    return F.lit(now.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")).cast(T.TimestampNTZType())


def touched_sessions(accepted: DataFrame) -> DataFrame:
    """The session ids of the new rows (one row each)."""
    return accepted.where(F.col("session_id").isNotNull()).select("session_id").distinct()


def partitions_to_rewrite(
    accepted: DataFrame, existing: DataFrame | None, touched: DataFrame, schema: TableSchema
) -> DataFrame:
    """The partitions a run rewrites: those of new rows, and every partition holding a session the
    batch touches (its events' sequence may move)."""
    columns = schema.partition_columns
    new_partitions = accepted.select(*columns).distinct()
    if existing is None:
        return new_partitions
    session_partitions = existing.join(touched, "session_id").select(*columns).distinct()
    return new_partitions.union(session_partitions).distinct()


def as_table_rows(accepted: DataFrame, schema: TableSchema) -> DataFrame:
    """New rows in the table's column order, their session columns left for sequence_sessions, marked
    `_new`."""
    unset = ("event_sequence", "is_session_start")
    return accepted.select(
        *[
            F.lit(None).cast(schema.output[c].dataType).alias(c) if c in unset else F.col(c)
            for c in schema.output_columns
        ],
        *schema.partition_columns,
    ).withColumn("_new", F.lit(True))


def with_kept_rows(
    fresh_rows: DataFrame, existing: DataFrame | None, partitions: DataFrame, schema: TableSchema
) -> DataFrame:
    """The new rows plus the existing rows of the partitions rewritten (they are written again)."""
    if existing is None:
        return fresh_rows
    kept = existing.join(partitions, list(schema.partition_columns), "left_semi")
    return kept.withColumn("_new", F.lit(False)).unionByName(fresh_rows)


def sequence_sessions(rows: DataFrame, touched: DataFrame) -> DataFrame:
    """event_sequence over whole sessions: the touched sessions are resequenced by (event_time, event_id),
    the others keep their values; `_old_sequence` keeps what a row had. is_session_start follows."""
    rows = rows.join(touched.withColumn("_touched", F.lit(True)), "session_id", "left").fillna(False, ["_touched"])
    order = Window.partitionBy("session_id").orderBy("event_time", "event_id")
    no_session = F.col("session_id").isNull()
    sequence = (
        F.when(no_session, F.lit(None).cast(T.LongType()))
        .when(F.col("_touched"), F.row_number().over(order).cast(T.LongType()))
        .otherwise(F.col("event_sequence"))
    )
    start = F.when(no_session, F.lit(None).cast(T.BooleanType())).otherwise(F.col("event_sequence") == 1)
    return (
        rows.withColumn("_old_sequence", F.col("event_sequence"))
        .withColumn("event_sequence", sequence)
        .withColumn("is_session_start", start)
    )


def rewritten_rows(sequenced: DataFrame) -> DataFrame:
    """Existing rows whose sequence changed: rows rewritten, a logical count whatever the file layout."""
    changed: Column = ~F.col("_old_sequence").eqNullSafe(F.col("event_sequence"))
    return sequenced.where(~F.col("_new") & changed)


def all_rejects(rule_rejects: DataFrame, duplicates: DataFrame) -> DataFrame:
    """Every reject line of the run, with where it was found: the rules' and the duplicates."""
    return rule_rejects.select(*ARRIVAL, "_reject").unionByName(duplicates)


def reject_reasons(rejects: DataFrame) -> DataFrame:
    """(reason, count) of the reject lines."""
    return rejects.select(F.get_json_object("_reject", "$.reason").alias("reason")).groupBy("reason").count()


def unknown_fields(accepted: DataFrame) -> DataFrame:
    """(field, count): the fields of the accepted records the contract does not know (schema drift)."""
    return accepted.select(F.explode("unknown_fields").alias("field")).groupBy("field").count()


def table_output(sequenced: DataFrame, schema: TableSchema) -> DataFrame:
    """The rows as the table stores them: its columns, then the partition columns."""
    return sequenced.select(*schema.output_columns, *schema.partition_columns)


def listed_unknown_fields(counts: Iterable[Row], cap: int) -> tuple[dict[str, int], int]:
    """The contract caps the names listed: the most frequent ones (then by name), sorted by name, and how
    many were left out."""
    found = list(counts)
    listed = sorted(found, key=lambda row: (-row["count"], row["field"]))[:cap]
    return {row["field"]: row["count"] for row in sorted(listed, key=lambda row: row["field"])}, max(
        0, len(found) - cap
    )


def partition_path(partition: Row, columns: Sequence[str]) -> str:
    """`year=2026/month=11/day=25`: a partition's folder under transformed/."""
    return "/".join("%s=%s" % (column, partition[column]) for column in columns)


# ---------------------------------------------------------------------------------------------
# Sessions: one row per session_id, merged from partial rows (an event is a session of one event)
# ---------------------------------------------------------------------------------------------

# The order that makes an event a session's first or last (contract["sessions"]["order"]).
_SESSION_ORDER = ("event_time", "event_id")
# How the contract's sessions columns are computed: each column's rule (contract["sessions"]["columns"][].rule)
# as ("first" | "last" | "sum", its value for a session of one event), or ("derived", a function of the
# merged row's columns and the run's time). "first" and "last" follow (start_time, first_event_id) and
# (end_time, last_event_id), so merging partial rows in any grouping gives the row of all their events.
# Functions, not Columns: a Column needs a SparkContext, and importing this module must not.
_SESSION_RULES: Mapping[str, tuple[str, Callable[..., Column]]] = {
    "session_id": ("key", lambda: F.col("session_id")),
    "visitor_id": ("first", lambda: F.coalesce(F.col("properties").getItem("anonymous_id"), F.col("user_id"))),
    "user_id": ("last", lambda: F.col("user_id")),
    "start_time": ("first", lambda: F.col("event_time")),
    "end_time": ("last", lambda: F.col("event_time")),
    "first_event_id": ("first", lambda: F.col("event_id")),
    "last_event_id": ("last", lambda: F.col("event_id")),
    "events": ("sum", lambda: F.lit(1)),
    **{
        column: ("sum", lambda event_type=event_type: (F.col("event_type") == event_type).cast(T.LongType()))
        for column, event_type in (
            ("page_views", "page_view"),
            ("product_views", "product_view"),
            ("add_to_carts", "add_to_cart"),
            ("checkout_starts", "checkout_start"),
            ("purchases", "purchase"),
        )
    },
    "entry_page": ("first", lambda: F.col("page_url")),
    "exit_page": ("last", lambda: F.col("page_url")),
    "referrer": ("first", lambda: F.col("referrer")),
    "device_type": ("first", lambda: F.col("device_type")),
    "revenue": (
        "sum",
        lambda: F.when(
            (F.col("event_type") == "purchase") & F.col("price").isNotNull() & F.col("quantity").isNotNull(),
            F.col("price") * F.col("quantity"),
        ).otherwise(F.lit(0.0)),
    ),
    "duration_ms": (
        "derived",
        lambda now: F.expr(
            "(unix_micros(CAST(end_time AS TIMESTAMP)) - unix_micros(CAST(start_time AS TIMESTAMP))) DIV 1000"
        ),
    ),
    "converted": ("derived", lambda now: F.col("purchases") > 0),
    "is_bounce": ("derived", lambda now: F.col("events") == 1),
    "processed_timestamp": ("derived", lambda now: _timestamp_literal(now)),
}
# The keys of a session's first and last partial row: the merge takes each side's columns from them.
_FIRST_KEYS = ("start_time", "first_event_id")
_LAST_KEYS = ("end_time", "last_event_id")


def _session_columns(schema: SessionsSchema, kind: str) -> list[str]:
    return [c for c in schema.output_columns if _SESSION_RULES[c][0] == kind]


def session_partials(rows: DataFrame, schema: SessionsSchema) -> DataFrame:
    """Events → one partial sessions row each (the rows with a session_id): the session of that one event,
    its derived columns left to merge_sessions."""
    kept = [c for c in schema.output_columns if _SESSION_RULES[c][0] != "derived"]
    return rows.where(F.col("session_id").isNotNull()).select(
        *[_SESSION_RULES[c][1]().cast(schema.output[c].dataType).alias(c) for c in kept]
    )


def with_existing_sessions(partials: DataFrame, existing: DataFrame | None, touched: DataFrame) -> DataFrame:
    """The partial rows plus the stored rows of the sessions they touch (a stored row is the partial row
    of every earlier event of its session)."""
    if existing is None:
        return partials
    stored = existing.join(touched, "session_id", "left_semi").select(*partials.columns)
    return partials.unionByName(stored)


def merge_sessions(partials: DataFrame, now: dt.datetime, schema: SessionsSchema) -> DataFrame:
    """Partial rows → one sessions row per session_id, the contract's columns in order: the first side's
    columns from the partial with the least (start_time, first_event_id), the last side's from the greatest
    (end_time, last_event_id), counts summed, then the derived columns. Revenue is added up in the first
    side's order, so a session's sum does not depend on how Spark split the rows."""
    first = _session_columns(schema, "first")
    last = _session_columns(schema, "last")
    sums = [c for c in _session_columns(schema, "sum") if schema.output[c].dataType != T.DoubleType()]
    fractional = [c for c in _session_columns(schema, "sum") if schema.output[c].dataType == T.DoubleType()]
    ordered = [*_FIRST_KEYS, *fractional]
    merged = partials.groupBy("session_id").agg(
        F.min(F.struct(*_FIRST_KEYS, *[c for c in first if c not in _FIRST_KEYS])).alias("_first"),
        F.max(F.struct(*_LAST_KEYS, *[c for c in last if c not in _LAST_KEYS])).alias("_last"),
        *[F.sum(c).cast(schema.output[c].dataType).alias(c) for c in sums],
        F.array_sort(F.collect_list(F.struct(*ordered))).alias("_ordered"),
    )
    for column in fractional:
        merged = merged.withColumn(column, F.aggregate("_ordered", F.lit(0.0), _adding(column)))
    for column in first:
        merged = merged.withColumn(column, F.col("_first")[column])
    for column in last:
        merged = merged.withColumn(column, F.col("_last")[column])
    for column in _session_columns(schema, "derived"):
        merged = merged.withColumn(column, _SESSION_RULES[column][1](now).cast(schema.output[column].dataType))
    return merged.select(*schema.output_columns)


def _adding(column: str) -> Callable[[Column, Column], Column]:
    """The step of a fold adding up one field of structs (F.aggregate counts its lambda's parameters)."""
    return lambda total, part: total + part[column]


def session_partitions_to_rewrite(
    merged: DataFrame, existing: DataFrame | None, touched: DataFrame, schema: SessionsSchema
) -> DataFrame:
    """The sessions partitions a run rewrites: those its merged rows start in, and those the same sessions'
    stored rows started in (a late event can move a session's start to an earlier day)."""
    columns = schema.partition_columns
    after = merged.select(*columns).distinct()
    if existing is None:
        return after
    before = existing.join(touched, "session_id", "left_semi").select(*columns).distinct()
    return after.union(before).distinct()


def with_kept_sessions(
    merged: DataFrame, existing: DataFrame | None, partitions: DataFrame, touched: DataFrame, schema: SessionsSchema
) -> DataFrame:
    """The merged rows plus the stored rows of the partitions rewritten that belong to other sessions."""
    if existing is None:
        return merged
    kept = existing.join(partitions, list(schema.partition_columns), "left_semi").join(
        touched, "session_id", "left_anti"
    )
    return kept.select(*merged.columns).unionByName(merged)


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------


@dataclass
class RunOptions:
    """What one run needs besides the data: its id, the processing time, the rules' settings (None: the
    contract's default)."""

    run_id: str
    now: dt.datetime
    future_tolerance_hours: float | None = None
    full_refresh: bool = False
    categories: Mapping[str, str] | None = None
    other_category: str | None = None
    job_name: str | None = None
    engine: str = "glue"
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def rule_options(self) -> dict[str, Any]:
        return {
            "future_tolerance_hours": self.future_tolerance_hours,
            "categories": self.categories,
            "other_category": self.other_category,
        }


def configure_session(spark: SparkSession) -> None:
    """Session settings the data path relies on, whoever made the session. (The Parquet codec is the
    contract's, set on the writer.)"""
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    spark.conf.set("spark.sql.sources.partitionOverwriteMode", "dynamic")
    spark.conf.set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
    # Partition folders are zero-padded strings (month=03), as the crawler and Athena see them.
    spark.conf.set("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
    spark.conf.set("spark.sql.files.maxRecordsPerFile", "2000000")


def load_ledger(store: Store) -> set[str]:
    """Keys of the raw objects earlier runs published (the job's own record; the Glue bookmark only
    narrows what is listed)."""
    done = set()
    for key, _ in store.list("state", LEDGER_PREFIX):
        if key.endswith(".json"):
            for entry in json.loads(store.read("state", key))["objects"]:
                done.add(entry["key"])
    return done


def run_job(
    spark: SparkSession, store: Store, candidate_urls: Iterable[str], options: RunOptions, contract: Contract
) -> dict[str, Any]:
    """Runs the job over the raw objects at candidate_urls (Spark paths under the raw bucket's root) that
    no earlier run published. Returns the run report, also written to _state/glue/runs/<run id>.json."""
    configure_session(spark)
    raw_root = store.spark_url("raw")
    report = _empty_report(options, contract)
    ledger = set() if options.full_refresh else load_ledger(store)
    by_key = {}
    for url in candidate_urls:
        key = object_key(url, raw_root)
        if key.startswith("raw/") and not is_hidden(key) and key not in ledger:
            by_key[key] = url
    fresh = sorted(by_key)

    if fresh or options.full_refresh:
        report["status"] = "succeeded"
        _process(spark, store, [(key, by_key[key]) for key in fresh], options, contract, report)
    _finish(report, options)
    store.write("state", RUN_REPORT_PREFIX + options.run_id + ".json", json.dumps(report, indent=2).encode())
    return report


def _empty_report(options: RunOptions, contract: Contract) -> dict[str, Any]:
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
        "rejectedByReason": {reason: 0 for reason in contract.reasons},
        "unknownFields": {},
        "unknownFieldsOmitted": 0,
        "partitionsWritten": [],
        # The sessions table (contract["sessions"]): the partitions rewritten and the rows written there.
        "sessionPartitionsWritten": [],
        "sessionRowsWritten": 0,
        "rowsRewritten": 0,
        # Dynamic partition overwrite rewrites every file of a touched partition, and leaves one file per
        # partition (so nothing is left to compact).
        "filesRewritten": 0,
        "partitionsCompacted": [],
        "bytesRead": 0,
        "bytesWritten": 0,
        "errorObjects": [],
    }


def _finish(report: dict[str, Any], options: RunOptions) -> None:
    finished = dt.datetime.now(dt.UTC)
    report["finishedAt"] = iso(finished)
    report["durationMs"] = int((finished - options.started).total_seconds() * 1000)


def _process(
    spark: SparkSession,
    store: Store,
    fresh: list[tuple[str, str]],
    options: RunOptions,
    contract: Contract,
    report: dict[str, Any],
) -> None:
    """The steps in order; here alone are the actions: counts, materialisation, the writes."""
    schema = table_schema(contract)
    raw_root = store.spark_url("raw")
    transformed_url = store.spark_url("transformed", "transformed/")

    if fresh:
        binaries = (
            spark.read.format("binaryFile")
            .option("recursiveFileLookup", "true")
            .load([url for _, url in fresh])
            .select("path", "length", "content")
        )
        report["bytesRead"] = sum(row.length for row in binaries.select("length").collect())
        framed = binaries.transform(frame_records, raw_root, options.now, options.rule_options(), contract, schema)
    else:
        framed = spark.createDataFrame([], schema.record)
    records = framed.transform(entries_to_maps, schema).persist()
    report["objectsProcessed"] = len(fresh)
    read = records.count()  # counted where the records are found, not derived from the outcome
    rule_rejects = records.where(F.col("_reject").isNotNull())

    existing = None if options.full_refresh else _read_table(spark, transformed_url, schema.stored)
    ranked = records.where(F.col("_reject").isNull()).transform(rank_arrivals, existing)
    duplicates = ranked.transform(duplicate_rejects, contract)
    accepted = (
        ranked.transform(first_arrivals)
        .transform(with_partition_columns, contract)
        .transform(with_processed_timestamp, options.now)
        .persist()
    )
    touched = accepted.transform(touched_sessions)
    partitions = accepted.transform(partitions_to_rewrite, existing, touched, schema)
    sequenced = (
        accepted.transform(as_table_rows, schema)
        .transform(with_kept_rows, existing, partitions, schema)
        .transform(sequence_sessions, touched)
        # Materialise before overwriting the folders it was read from.
        .localCheckpoint(eager=True)
    )
    report["rowsRewritten"] = sequenced.transform(rewritten_rows).count()
    sessions, session_partitions = _session_rows(spark, store, accepted, existing, touched, options, contract)

    # Materialised now: evaluated after the overwrite below, the duplicate check would re-read the table
    # and find this run's own rows in it.
    rejects = rule_rejects.transform(all_rejects, duplicates).localCheckpoint(eager=True)
    for row in rejects.transform(reject_reasons).collect():
        report["rejectedByReason"][row["reason"]] = row["count"]
    written = accepted.count()
    rejected = sum(report["rejectedByReason"].values())
    if read != written + rejected:
        raise JobError("records read %d != written %d + rejected %d; nothing was published" % (read, written, rejected))
    report["records"] = {"read": read, "written": written, "rejected": rejected}
    report["unknownFields"], report["unknownFieldsOmitted"] = listed_unknown_fields(
        accepted.transform(unknown_fields).collect(), contract.max_unknown_field_names
    )

    _publish_table(
        spark, sequenced.transform(table_output, schema), partitions, transformed_url, options, contract, report
    )
    _publish_sessions(spark, store, sessions, session_partitions, options, contract, report)
    _publish_rejects(store, rejects, rejected, options, report)
    _publish_ledger(store, fresh, options)
    records.unpersist()
    accepted.unpersist()


def _session_rows(
    spark: SparkSession,
    store: Store,
    accepted: DataFrame,
    existing: DataFrame | None,
    touched: DataFrame,
    options: RunOptions,
    contract: Contract,
) -> tuple[DataFrame, list[str]]:
    """The sessions rows to write (materialised: they are read from the folders they overwrite) and the
    partitions they replace. The sessions the new rows touch are merged with their stored rows; a table
    written before the sessions table existed has its sessions built once from all its events."""
    schema = sessions_schema(contract)
    url = store.spark_url("transformed", schema.folder)
    stored = None if options.full_refresh else _read_table(spark, url, schema.stored)
    partials = accepted.transform(session_partials, schema)
    if stored is None and existing is not None:
        partials = partials.unionByName(existing.transform(session_partials, schema))
    merged = (
        partials.transform(with_existing_sessions, stored, touched)
        .transform(merge_sessions, options.now, schema)
        .transform(with_partition_columns, contract, contract.sessions.partition_from)
    )
    partitions = merged.transform(session_partitions_to_rewrite, stored, touched, schema)
    rewritten = sorted(partition_path(p, schema.partition_columns) for p in partitions.collect())
    rows = merged.transform(with_kept_sessions, stored, partitions, touched, schema).localCheckpoint(eager=True)
    return rows, rewritten


def _publish_table(
    spark: SparkSession,
    output: DataFrame,
    partitions: DataFrame,
    transformed_url: str,
    options: RunOptions,
    contract: Contract,
    report: dict[str, Any],
) -> None:
    """Overwrites exactly the partitions touched (a full refresh replaces the whole table), compressed
    with the contract's codec."""
    columns = [k.name for k in contract.partition_keys]
    written = sorted(partition_path(p, columns) for p in partitions.collect())
    report["filesRewritten"] = (
        0 if options.full_refresh else sum(_file_count(spark, transformed_url + p) for p in written)
    )
    if options.full_refresh:
        _delete_path(spark, transformed_url)
    if written:
        (
            output.repartition(*columns)
            .write.mode("overwrite")
            .option("compression", contract.parquet_compression)
            .partitionBy(*columns)
            .parquet(transformed_url)
        )
    report["partitionsWritten"] = written
    report["bytesWritten"] = sum(_file_sizes(spark, transformed_url + p) for p in written)


def _publish_sessions(
    spark: SparkSession,
    store: Store,
    rows: DataFrame,
    rewritten: list[str],
    options: RunOptions,
    contract: Contract,
    report: dict[str, Any],
) -> None:
    """Overwrites the sessions partitions rewritten (a full refresh replaces the whole table); a partition
    left with no row (its sessions now start earlier) is deleted, which dynamic overwrite would not do."""
    schema = sessions_schema(contract)
    url = store.spark_url("transformed", schema.folder)
    columns = list(schema.partition_columns)
    if options.full_refresh:
        _delete_path(spark, url)
    if rewritten:
        (
            rows.repartition(*columns)
            .write.mode("overwrite")
            .option("compression", contract.parquet_compression)
            .partitionBy(*columns)
            .parquet(url)
        )
    present = {partition_path(p, columns) for p in rows.select(*columns).distinct().collect()}
    for emptied in sorted(set(rewritten) - present):
        _delete_path(spark, url + emptied)
    report["sessionPartitionsWritten"] = rewritten
    report["sessionRowsWritten"] = rows.count()
    report["bytesWritten"] += sum(_file_sizes(spark, url + p) for p in rewritten)


def _publish_rejects(
    store: Store, rejects: DataFrame, rejected: int, options: RunOptions, report: dict[str, Any]
) -> None:
    """The reject lines to errors/glue/, one object per run (a full refresh rebuilds the folder)."""
    old_errors = [k for k, _ in store.list("errors", ERRORS_PREFIX)] if options.full_refresh else []
    if rejected:
        key = "%s%s/%s.ndjson" % (ERRORS_PREFIX, options.now.strftime("year=%Y/month=%m/day=%d"), options.run_id)
        report["bytesWritten"] += _write_rejects(store, key, rejects)
        report["errorObjects"] = [key]
    store.delete("errors", [k for k in old_errors if k not in report["errorObjects"]])


def _publish_ledger(store: Store, fresh: list[tuple[str, str]], options: RunOptions) -> None:
    """Last: the ledger says these objects are published (a full refresh leaves only its own)."""
    old_ledgers = [k for k, _ in store.list("state", LEDGER_PREFIX)] if options.full_refresh else []
    ledger_key = LEDGER_PREFIX + options.run_id + ".json"
    store.write(
        "state",
        ledger_key,
        json.dumps({"runId": options.run_id, "objects": [{"key": key} for key, _ in fresh]}).encode(),
    )
    store.delete("state", [k for k in old_ledgers if k != ledger_key])


def _write_rejects(store: Store, key: str, rejects: DataFrame) -> int:
    """Streams the reject lines in arrival order into one NDJSON object; returns its size."""
    fd, path = tempfile.mkstemp(prefix="clickstream-rejects-", suffix=".ndjson")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            for row in rejects.orderBy(*ARRIVAL).select("_reject").toLocalIterator():
                handle.write(row[0])
                handle.write("\n")
        size = os.path.getsize(path)
        store.upload("errors", key, path, "application/x-ndjson")
        return size
    finally:
        if os.path.exists(path):
            os.remove(path)


def _hadoop_fs(spark: SparkSession, url: str) -> tuple[Any, Any]:
    jvm = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(url)
    return path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()), path


def _read_table(spark: SparkSession, url: str, stored: T.StructType) -> DataFrame | None:
    """The table as it stands (its columns and partition folders: `stored`), or None when it has no data
    file yet."""
    fs, path = _hadoop_fs(spark, url)
    if not fs.exists(path) or _file_count(spark, url) == 0:
        return None
    return spark.read.schema(stored).option("basePath", url).parquet(url)


def _parquet_files(spark: SparkSession, url: str) -> list[int]:
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


def _file_sizes(spark: SparkSession, url: str) -> int:
    """Bytes of the visible Parquet files under a folder."""
    return sum(_parquet_files(spark, url))


def _file_count(spark: SparkSession, url: str) -> int:
    return len(_parquet_files(spark, url))


def _delete_path(spark: SparkSession, url: str) -> None:
    fs, path = _hadoop_fs(spark, url)
    if fs.exists(path):
        fs.delete(path, True)


def iso(value: dt.datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return rules.format_timestamp(value.astimezone(dt.UTC))
