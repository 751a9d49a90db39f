"""Each step of the Glue job's data path (clickstream_job: DataFrame → DataFrame) on small local frames,
one SparkSession for the module; plus the contract's partition keys and Parquet codec reaching the files.

Run with the project's virtualenv: .venv/bin/python -m unittest discover -s glue/tests -p 'spark_steps_test.py'
(test/spark/glue-steps.spark.test.ts does).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sys
import tempfile
import unittest
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from pyspark.sql import DataFrame, SparkSession  # noqa: E402
from pyspark.sql import types as T  # noqa: E402

import clickstream_job as job  # noqa: E402
import clickstream_local  # noqa: E402
import clickstream_rules as rules  # noqa: E402

CONTRACT = rules.load_contract()
SCHEMA = job.table_schema(CONTRACT)
NOW = rules.parse_now("2026-11-25T12:00:00Z")
SPARK: SparkSession


def setUpModule() -> None:
    global SPARK
    SPARK = clickstream_local.start_spark()
    job.configure_session(SPARK)


def tearDownModule() -> None:
    SPARK.stop()


def changed_contract(**changes: Any) -> rules.Contract:
    return rules.contract_from(dict(CONTRACT.data, **changes), "changed-contract.json")


def event(event_id: str, session_id: str | None, timestamp: str, **extra: Any) -> str:
    record = {"event_id": event_id, "user_id": "u1", "event_type": "page_view", "timestamp": timestamp}
    if session_id is not None:
        record["session_id"] = session_id
    record.update(extra)
    return json.dumps(record)


ARRIVALS = T.StructType(
    [
        T.StructField("event_id", T.StringType()),
        T.StructField("session_id", T.StringType()),
        T.StructField("_source", T.StringType()),
        T.StructField("_line", T.LongType()),
        T.StructField("_position", T.LongType()),
        T.StructField("_raw", T.StringType()),
    ]
)


def arrivals(*rows: tuple[str, str | None, str, int]) -> DataFrame:
    """Candidate rows: (event_id, session_id, source, line); position = line, raw = `raw <id>`."""
    return SPARK.createDataFrame([(e, s, source, line, line, "raw %s" % e) for e, s, source, line in rows], ARRIVALS)


def table(*rows: tuple[str, str | None, str, int | None]) -> DataFrame:
    """Table rows: (event_id, session_id, event_time ISO, event_sequence), with the partition columns."""
    schema = T.StructType(
        [
            T.StructField("event_id", T.StringType()),
            T.StructField("session_id", T.StringType()),
            T.StructField("event_time", T.TimestampNTZType()),
            T.StructField("event_sequence", T.LongType()),
        ]
    )
    frame = SPARK.createDataFrame(
        [(e, s, dt.datetime.fromisoformat(t), q) for e, s, t, q in rows],
        schema,
    )
    return job.with_partition_columns(frame, CONTRACT)


class SchemaTest(unittest.TestCase):
    def test_partition_columns_are_the_contracts_keys(self) -> None:
        self.assertEqual(SCHEMA.partition_columns, ("year", "month", "day"))
        self.assertEqual(SCHEMA.stored.fieldNames()[-3:], ["year", "month", "day"])
        self.assertEqual(SCHEMA.stored["day"].dataType, T.StringType())

    def test_maps_travel_as_entries_and_table_level_columns_are_left_to_the_job(self) -> None:
        self.assertEqual(SCHEMA.map_columns, frozenset(["properties"]))
        self.assertIsInstance(SCHEMA.record["properties"].dataType, T.ArrayType)
        for column in job.TABLE_LEVEL_COLUMNS:
            self.assertNotIn(column, SCHEMA.record.fieldNames())
        self.assertEqual(SCHEMA.record.fieldNames()[-6:], ["unknown_fields", *job.ARRIVAL, "_raw", "_reject"])

    def test_a_partition_format_the_job_cannot_write_fails_early(self) -> None:
        odd = changed_contract(
            partitionKeys=[{"name": "week", "athena": "string", "from": "event_time", "format": "WW"}]
        )
        with self.assertRaisesRegex(ValueError, "WW"):
            job.table_schema(odd)


class FrameTest(unittest.TestCase):
    def binaries(self, objects: dict[str, bytes]) -> DataFrame:
        schema = T.StructType([T.StructField("path", T.StringType()), T.StructField("content", T.BinaryType())])
        rows = [("file:///w/%s" % key, bytearray(body)) for key, body in objects.items()]
        return SPARK.createDataFrame(rows, schema)

    def test_every_record_found_is_one_row_with_its_place(self) -> None:
        body = "\n".join(
            [event("e1", "s1", "2026-11-25T10:00:00Z", properties={"b": 1, "a": "x"}), "{broken", "[1]"]
        ).encode()
        framed = self.binaries({"raw/a": body}).transform(job.frame_records, "file:///w/", NOW, {}, CONTRACT, SCHEMA)
        with_maps = framed.transform(job.entries_to_maps, SCHEMA).orderBy("_position")
        records = with_maps.collect()
        # Python's dict of a collected map loses the order; map_keys() shows the stored one.
        keys = [r.keys for r in with_maps.select(job.F.map_keys("properties").alias("keys")).collect()]
        self.assertEqual(keys, [["b", "a"], None, None], "the map keeps the record's order")
        self.assertEqual(
            [(r._source, r._line, r._position) for r in records], [("raw/a", 1, 1), ("raw/a", 2, 2), ("raw/a", 3, 3)]
        )
        row, broken, scalar = records
        self.assertIsNone(row._reject)
        self.assertEqual(row.event_id, "e1")
        self.assertEqual(row.properties, {"b": "1", "a": "x"}, "non-string values as written")
        self.assertEqual(row.event_time, dt.datetime(2026, 11, 25, 10, 0), "UTC wall-clock, no zone")
        self.assertEqual(json.loads(broken._reject)["reason"], "malformed_json")
        self.assertEqual(list(json.loads(scalar._reject)), list(CONTRACT.reject_fields), "the contract's field order")
        self.assertIsNone(broken.event_id)

    def test_rule_options_reach_the_executors(self) -> None:
        body = event("e1", None, "2026-11-25T10:00:00Z", event_type="wishlist").encode()
        options = {"categories": {"wishlist": "cart"}, "other_category": "misc", "future_tolerance_hours": None}
        framed = self.binaries({"raw/a": body}).transform(
            job.frame_records, "file:///w/", NOW, options, CONTRACT, SCHEMA
        )
        self.assertEqual(framed.collect()[0].event_category, "cart")


class DedupeTest(unittest.TestCase):
    def test_the_first_arrival_by_key_then_line_wins(self) -> None:
        ranked = arrivals(("e1", "s", "raw/b", 1), ("e1", "s", "raw/a", 2), ("e2", "s", "raw/a", 1)).transform(
            job.rank_arrivals, None
        )
        won = ranked.transform(job.first_arrivals).select("event_id", "_source").orderBy("event_id").collect()
        self.assertEqual([tuple(r) for r in won], [("e1", "raw/a"), ("e2", "raw/a")])
        lost = [json.loads(r._reject) for r in ranked.transform(job.duplicate_rejects, CONTRACT).collect()]
        self.assertEqual(
            lost,
            [
                {
                    "reason": "duplicate",
                    "field": "event_id",
                    "message": CONTRACT.message("duplicate", id="e1"),
                    "source": "raw/b",
                    "line": 1,
                    "raw": "raw e1",
                }
            ],
        )

    def test_an_id_already_in_the_table_loses_to_it(self) -> None:
        existing = table(("e1", "s", "2026-11-24T10:00:00", 1))
        ranked = arrivals(("e1", "s", "raw/a", 1), ("e2", "s", "raw/a", 2)).transform(job.rank_arrivals, existing)
        self.assertEqual([r.event_id for r in ranked.transform(job.first_arrivals).collect()], ["e2"])
        (lost,) = ranked.transform(job.duplicate_rejects, CONTRACT).collect()
        self.assertEqual(json.loads(lost._reject)["message"], CONTRACT.duplicate_across_runs_message.format(id="e1"))

    def test_reject_lines_follow_the_contracts_field_order(self) -> None:
        reordered = changed_contract(rejectFields=["raw", "line", "source", "message", "field", "reason"])
        ranked = arrivals(("e1", "s", "raw/a", 1), ("e1", "s", "raw/a", 2)).transform(job.rank_arrivals, None)
        (lost,) = ranked.transform(job.duplicate_rejects, reordered).collect()
        self.assertEqual(list(json.loads(lost._reject)), ["raw", "line", "source", "message", "field", "reason"])


class PartitionTest(unittest.TestCase):
    def test_partition_columns_are_zero_padded_strings_of_event_time(self) -> None:
        (row,) = table(("e1", None, "2026-03-05T23:59:59", None)).collect()
        self.assertEqual((row.year, row.month, row.day), ("2026", "03", "05"))

    def test_the_contract_decides_the_partition_columns(self) -> None:
        monthly = changed_contract(partitionKeys=CONTRACT.data["partitionKeys"][:2])
        frame = SPARK.createDataFrame([(dt.datetime(2026, 3, 5, 1, 0),)], "event_time timestamp_ntz")
        self.assertEqual(job.with_partition_columns(frame, monthly).columns, ["event_time", "year", "month"])

    def test_processed_timestamp_is_the_runs_time_in_utc(self) -> None:
        frame = SPARK.createDataFrame([("e1",)], "event_id string")
        at = dt.datetime(2026, 11, 25, 13, 0, 0, 250000, tzinfo=dt.timezone(dt.timedelta(hours=1)))
        (row,) = job.with_processed_timestamp(frame, at).collect()
        self.assertEqual(row.processed_timestamp, dt.datetime(2026, 11, 25, 12, 0, 0, 250000))

    def test_rewritten_partitions_are_the_new_rows_and_their_sessions(self) -> None:
        existing = table(
            ("old1", "s1", "2026-11-20T10:00:00", 1),  # s1 gains an event: its day is rewritten
            ("old2", "s2", "2026-11-21T10:00:00", 1),  # s2 is untouched
        )
        accepted = table(("new1", "s1", "2026-11-25T10:00:00", None), ("new2", None, "2026-11-26T10:00:00", None))
        touched = accepted.transform(job.touched_sessions)
        self.assertEqual([r.session_id for r in touched.collect()], ["s1"])
        paths = lambda frame: sorted(job.partition_path(p, SCHEMA.partition_columns) for p in frame.collect())  # noqa: E731
        self.assertEqual(
            paths(accepted.transform(job.partitions_to_rewrite, existing, touched, SCHEMA)),
            ["year=2026/month=11/day=20", "year=2026/month=11/day=25", "year=2026/month=11/day=26"],
        )
        self.assertEqual(
            paths(accepted.transform(job.partitions_to_rewrite, None, touched, SCHEMA)),
            ["year=2026/month=11/day=25", "year=2026/month=11/day=26"],
        )


class SequenceTest(unittest.TestCase):
    def test_touched_sessions_are_resequenced_and_others_kept(self) -> None:
        rows = table(
            ("a1", "sa", "2026-11-25T10:00:00", 1),
            ("a2", "sa", "2026-11-25T10:05:00", 2),
            ("a0", "sa", "2026-11-25T09:00:00", None),  # new, before a1
            ("b1", "sb", "2026-11-25T10:00:00", 7),  # sb untouched: keeps its (odd) value
            ("n1", None, "2026-11-25T10:00:00", None),
        ).withColumn("_new", job.F.col("event_sequence").isNull())
        touched = SPARK.createDataFrame([("sa",)], "session_id string")
        sequenced = rows.transform(job.sequence_sessions, touched)
        got = {r.event_id: (r.event_sequence, r.is_session_start) for r in sequenced.collect()}
        self.assertEqual(
            got, {"a0": (1, True), "a1": (2, False), "a2": (3, False), "b1": (7, False), "n1": (None, None)}
        )
        self.assertEqual(sorted(r.event_id for r in sequenced.transform(job.rewritten_rows).collect()), ["a1", "a2"])

    def test_new_rows_take_the_tables_columns_and_join_the_kept_ones(self) -> None:
        accepted = self.accepted_row("new1", "2026-11-25T10:00:00")
        fresh = accepted.transform(job.as_table_rows, SCHEMA)
        self.assertEqual(fresh.columns, [*SCHEMA.output_columns, *SCHEMA.partition_columns, "_new"])
        (row,) = fresh.collect()
        self.assertEqual((row.event_sequence, row.is_session_start, row._new), (None, None, True))
        existing = SPARK.createDataFrame([self.stored_row("old1", "25"), self.stored_row("old2", "24")], SCHEMA.stored)
        partitions = SPARK.createDataFrame([("2026", "11", "25")], "year string, month string, day string")
        combined = fresh.transform(job.with_kept_rows, existing, partitions, SCHEMA)
        self.assertEqual(sorted((r.event_id, r._new) for r in combined.collect()), [("new1", True), ("old1", False)])
        self.assertEqual(
            combined.transform(job.table_output, SCHEMA).columns, [*SCHEMA.output_columns, *SCHEMA.partition_columns]
        )

    def accepted_row(self, event_id: str, event_time: str) -> DataFrame:
        values = {name: None for name in SCHEMA.output_columns}
        values.update(event_id=event_id, event_time=dt.datetime.fromisoformat(event_time), event_sequence=5)
        frame = SPARK.createDataFrame([tuple(values[c] for c in SCHEMA.output_columns)], SCHEMA.output)
        return frame.transform(job.with_partition_columns, CONTRACT)

    def stored_row(self, event_id: str, day: str) -> tuple[Any, ...]:
        values: dict[str, Any] = {name: None for name in SCHEMA.stored.fieldNames()}
        values.update(event_id=event_id, year="2026", month="11", day=day)
        return tuple(values[c] for c in SCHEMA.stored.fieldNames())


SESSIONS = job.sessions_schema(CONTRACT)


def events(*rows: dict[str, Any]) -> DataFrame:
    """Table rows (the contract's columns): each dict sets some, event_time as ISO text; the rest null."""
    values = []
    for given in rows:
        row: dict[str, Any] = {name: None for name in SCHEMA.output_columns}
        row.update({"user_id": "u1", "event_type": "page_view"})
        row.update(given)
        row["event_time"] = dt.datetime.fromisoformat(row["event_time"])
        values.append(tuple(row[c] for c in SCHEMA.output_columns))
    return SPARK.createDataFrame(values, SCHEMA.output)


def sessions_of(rows: DataFrame, stored: DataFrame | None = None, now: dt.datetime = NOW) -> dict[str, Any]:
    """session_id → its merged row (as a dict) over the rows' events and the stored rows they touch."""
    touched = rows.transform(job.touched_sessions)
    merged = (
        rows.transform(job.session_partials, SESSIONS)
        .transform(job.with_existing_sessions, stored, touched)
        .transform(job.merge_sessions, now, SESSIONS)
    )
    return {r.session_id: r.asDict() for r in merged.collect()}


def stored_session(**values: Any) -> DataFrame:
    """One stored sessions row (its partition columns from start_time)."""
    row: dict[str, Any] = {name: None for name in SESSIONS.output_columns}
    row.update(values)
    frame = SPARK.createDataFrame([tuple(row[c] for c in SESSIONS.output_columns)], SESSIONS.output)
    return frame.transform(job.with_partition_columns, CONTRACT, CONTRACT.sessions.partition_from)


class SessionsTest(unittest.TestCase):
    def test_the_columns_are_the_contracts_and_each_needs_a_rule(self) -> None:
        self.assertEqual(SESSIONS.output_columns, [c["name"] for c in CONTRACT.data["sessions"]["columns"]])
        self.assertEqual(SESSIONS.stored.fieldNames()[-3:], ["year", "month", "day"])
        self.assertEqual(SESSIONS.folder, "sessions/")
        self.assertEqual(SESSIONS.output["duration_ms"].dataType, T.LongType())
        self.assertEqual(SESSIONS.output["start_time"].dataType, T.TimestampNTZType())
        odd = dict(CONTRACT.data["sessions"])
        odd["columns"] = [*odd["columns"], {"name": "bounce_rate", "spark": "double"}]
        with self.assertRaisesRegex(ValueError, "bounce_rate"):
            job.sessions_schema(changed_contract(sessions=odd))
        fewer = dict(CONTRACT.data["sessions"], columns=CONTRACT.data["sessions"]["columns"][:-1])
        with self.assertRaisesRegex(ValueError, "processed_timestamp"):
            job.sessions_schema(changed_contract(sessions=fewer))
        with self.assertRaisesRegex(ValueError, "order"):
            job.sessions_schema(changed_contract(sessions=dict(CONTRACT.data["sessions"], order=["event_id"])))

    def test_one_row_per_session_first_and_last_by_time_then_event_id(self) -> None:
        got = sessions_of(
            events(
                # e2 and e1 share the first instant: e1 (the lesser id, as a string) is the first event.
                dict(event_id="e2", session_id="s1", event_time="2026-11-25T10:00:00", page_url="/b"),
                dict(
                    event_id="e1",
                    session_id="s1",
                    event_time="2026-11-25T10:00:00",
                    page_url="/home",
                    referrer="https://search.example/",
                    device_type="mobile",
                    properties={"anonymous_id": "a-1"},
                ),
                dict(event_id="e3", session_id="s1", event_time="2026-11-25T10:01:00.250", event_type="product_view"),
                dict(event_id="e4", session_id="s1", event_time="2026-11-25T10:02:00", event_type="add_to_cart"),
                dict(
                    event_id="e5",
                    session_id="s1",
                    event_time="2026-11-25T10:03:00",
                    event_type="purchase",
                    user_id="u-identified",
                    page_url="/thanks",
                    price=19.99,
                    quantity=2,
                ),
                dict(event_id="e6", session_id="s1", event_time="2026-11-25T10:02:30", event_type="purchase"),
                dict(event_id="e7", session_id="s1", event_time="2026-11-25T10:02:40", event_type="checkout_start"),
                dict(event_id="n1", session_id=None, event_time="2026-11-25T10:00:00"),
            )
        )
        self.assertEqual(list(got), ["s1"], "events without a session_id make no row")
        self.assertEqual(
            got["s1"],
            {
                "session_id": "s1",
                "visitor_id": "a-1",
                "user_id": "u-identified",
                "start_time": dt.datetime(2026, 11, 25, 10, 0),
                "end_time": dt.datetime(2026, 11, 25, 10, 3),
                "duration_ms": 180000,
                "first_event_id": "e1",
                "last_event_id": "e5",
                "events": 7,
                "page_views": 2,
                "product_views": 1,
                "add_to_carts": 1,
                "checkout_starts": 1,
                "purchases": 2,
                "entry_page": "/home",
                "exit_page": "/thanks",
                "referrer": "https://search.example/",
                "device_type": "mobile",
                "converted": True,
                "revenue": 19.99 * 2,
                "is_bounce": False,
                "processed_timestamp": dt.datetime(2026, 11, 25, 12, 0),
            },
        )

    def test_a_bounce_without_anonymous_id_or_purchase(self) -> None:
        got = sessions_of(
            events(dict(event_id="x", session_id="s2", event_time="2026-11-25T10:00:00.123", user_id="u9"))
        )["s2"]
        self.assertEqual((got["visitor_id"], got["user_id"]), ("u9", "u9"), "visitor falls back to user_id")
        self.assertEqual((got["events"], got["is_bounce"], got["converted"]), (1, True, False))
        self.assertEqual((got["revenue"], got["duration_ms"]), (0.0, 0))

    def test_a_stored_row_merges_with_new_events(self) -> None:
        stored = stored_session(
            session_id="s1",
            visitor_id="a-old",
            user_id="u-old",
            start_time=dt.datetime(2026, 11, 25, 10, 0),
            end_time=dt.datetime(2026, 11, 25, 10, 5),
            duration_ms=300000,
            first_event_id="m",
            last_event_id="z",
            events=1,
            page_views=1,
            product_views=0,
            add_to_carts=0,
            checkout_starts=0,
            purchases=1,
            entry_page="/old-entry",
            exit_page="/old-exit",
            referrer="old-ref",
            device_type="desktop",
            converted=True,
            revenue=10.0,
            is_bounce=True,
            processed_timestamp=dt.datetime(2026, 11, 25, 11, 0),
        )
        other = stored_session(session_id="s9", start_time=dt.datetime(2026, 11, 25, 9, 0), first_event_id="q")
        later = NOW + dt.timedelta(hours=1)
        got = sessions_of(
            events(
                # Same start as the stored row, lesser id: the new event becomes the first.
                dict(event_id="a", session_id="s1", event_time="2026-11-25T10:00:00", page_url="/new-entry"),
                # Same end, lesser id: the stored row stays the last.
                dict(event_id="b", session_id="s1", event_time="2026-11-25T10:05:00", page_url="/not-exit"),
                dict(
                    event_id="c",
                    session_id="s1",
                    event_time="2026-11-25T10:04:00",
                    event_type="purchase",
                    price=2.5,
                    quantity=3,
                ),
            ),
            stored.unionByName(other),
            later,
        )
        self.assertEqual(list(got), ["s1"], "only the sessions the new events touch")
        row = got["s1"]
        self.assertEqual(
            (row["first_event_id"], row["entry_page"], row["visitor_id"], row["referrer"]),
            ("a", "/new-entry", "u1", None),
            "the first side from the earlier (start_time, first_event_id)",
        )
        self.assertEqual((row["last_event_id"], row["exit_page"], row["user_id"]), ("z", "/old-exit", "u-old"))
        self.assertEqual((row["events"], row["page_views"], row["purchases"]), (4, 3, 2))
        self.assertEqual((row["revenue"], row["converted"], row["is_bounce"]), (17.5, True, False))
        self.assertEqual((row["duration_ms"], row["processed_timestamp"]), (300000, dt.datetime(2026, 11, 25, 13)))

    def test_a_late_event_moves_the_start_to_an_earlier_day(self) -> None:
        def session(session_id: str, start: dt.datetime, first: str) -> DataFrame:
            return stored_session(
                session_id=session_id,
                start_time=start,
                end_time=start + dt.timedelta(minutes=5),
                first_event_id=first,
                last_event_id=first,
                events=1,
                **{c: 0 for c in ("page_views", "product_views", "add_to_carts", "checkout_starts", "purchases")},
                revenue=0.0,
            )

        stored = (
            session("s1", dt.datetime(2026, 11, 25, 0, 1), "e1")
            .unionByName(session("s2", dt.datetime(2026, 11, 25, 8, 0), "f1"))  # same day, untouched
            .unionByName(session("s3", dt.datetime(2026, 11, 24, 8, 0), "g1"))  # the new day, untouched
            .unionByName(session("s4", dt.datetime(2026, 11, 23, 8, 0), "h1"))  # another day, untouched
        )
        late = events(dict(event_id="e0", session_id="s1", event_time="2026-11-24T23:59:00"))
        touched = late.transform(job.touched_sessions)
        merged = (
            late.transform(job.session_partials, SESSIONS)
            .transform(job.with_existing_sessions, stored, touched)
            .transform(job.merge_sessions, NOW, SESSIONS)
            .transform(job.with_partition_columns, CONTRACT, CONTRACT.sessions.partition_from)
        )
        partitions = merged.transform(job.session_partitions_to_rewrite, stored, touched, SESSIONS)
        self.assertEqual(
            sorted(job.partition_path(p, SESSIONS.partition_columns) for p in partitions.collect()),
            ["year=2026/month=11/day=24", "year=2026/month=11/day=25"],
            "the day it started in before, and the day it starts in now",
        )
        rows = merged.transform(job.with_kept_sessions, stored, partitions, touched, SESSIONS)
        self.assertEqual(rows.columns, [*SESSIONS.output_columns, *SESSIONS.partition_columns])
        got = {r.session_id: (r.day, r.first_event_id, r.events, r.start_time) for r in rows.collect()}
        self.assertEqual(
            got,
            {
                "s1": ("24", "e0", 2, dt.datetime(2026, 11, 24, 23, 59)),
                "s2": ("25", "f1", 1, dt.datetime(2026, 11, 25, 8, 0)),
                "s3": ("24", "g1", 1, dt.datetime(2026, 11, 24, 8, 0)),
            },
        )


class SessionsRunTest(unittest.TestCase):
    """Two runs of the job over a warehouse folder: sessions/ beside transformed/ in the same bucket."""

    def test_runs_write_merge_and_move_sessions_and_a_full_refresh_rebuilds_them(self) -> None:
        root = tempfile.mkdtemp(prefix="clickstream-spark-sessions-")
        self.addCleanup(shutil.rmtree, root, True)
        store = job.LocalStore(root)

        def run(run_id: str, key: str, lines: list[str], full_refresh: bool = False) -> dict[str, Any]:
            store.write("raw", key, "\n".join(lines).encode())
            urls = [store.spark_url("raw", k) for k, _ in store.list("raw", "raw/")]
            options = job.RunOptions(run_id=run_id, now=NOW, engine="spark", full_refresh=full_refresh)
            return job.run_job(SPARK, store, urls, options, CONTRACT)

        def folders() -> list[str]:
            found = []
            for folder, _, names in os.walk(os.path.join(root, "sessions")):
                found += [os.path.relpath(folder, os.path.join(root, "sessions")) for n in names]
                self.assertTrue(all(n.endswith(".zstd.parquet") for n in names), names)
            return sorted(set(found))

        def rows() -> dict[str, tuple[Any, ...]]:
            back = SPARK.read.parquet(store.spark_url("transformed", "sessions/"))
            return {r.session_id: (r.day, r.first_event_id, r.last_event_id, r.events) for r in back.collect()}

        first = run(
            "run-1",
            "raw/a",
            [
                event("e1", "s1", "2026-11-25T00:01:00Z"),
                event("e2", "s1", "2026-11-25T00:02:00Z"),
                event("f1", "s2", "2026-11-25T08:00:00Z"),
                event("n1", None, "2026-11-25T08:00:00Z"),
            ],
        )
        self.assertEqual(first["sessionPartitionsWritten"], ["year=2026/month=11/day=25"])
        self.assertEqual(rows(), {"s1": ("25", "e1", "e2", 2), "s2": ("25", "f1", "f1", 1)})
        back = SPARK.read.parquet(store.spark_url("transformed", "sessions/"))
        self.assertEqual(back.schema["start_time"].dataType, T.TimestampNTZType(), "TIMESTAMP_NTZ, like transformed")

        second = run("run-2", "raw/b", [event("e0", "s1", "2026-11-24T23:59:00Z")])
        self.assertEqual(second["sessionPartitionsWritten"], ["year=2026/month=11/day=24", "year=2026/month=11/day=25"])
        self.assertEqual(rows(), {"s1": ("24", "e0", "e2", 3), "s2": ("25", "f1", "f1", 1)})

        third = run("run-3", "raw/c", [event("f2", "s2", "2026-11-23T12:00:00Z")])
        self.assertEqual(rows(), {"s1": ("24", "e0", "e2", 3), "s2": ("23", "f2", "f1", 2)})
        self.assertEqual(folders(), ["year=2026/month=11/day=23", "year=2026/month=11/day=24"], "day 25 emptied")
        self.assertEqual(third["sessionRowsWritten"], 1)

        read = lambda: SPARK.read.parquet(store.spark_url("transformed", "sessions/"))  # noqa: E731
        incremental = sorted(tuple(r) for r in read().drop("processed_timestamp").collect())
        run("run-4", "raw/d", [], full_refresh=True)
        self.assertEqual(sorted(tuple(r) for r in read().drop("processed_timestamp").collect()), incremental)


class RejectsAndCountsTest(unittest.TestCase):
    def test_rejects_of_both_kinds_are_counted_by_reason(self) -> None:
        line = lambda reason: json.dumps({"reason": reason})  # noqa: E731
        rule_rejects = SPARK.createDataFrame(
            [("raw/a", 1, 1, line("malformed_json"), "x"), ("raw/a", 2, 2, line("malformed_json"), "y")],
            "_source string, _line long, _position long, _reject string, event_id string",
        )
        duplicates = SPARK.createDataFrame(
            [("raw/b", 1, 1, line("duplicate"))], "_source string, _line long, _position long, _reject string"
        )
        rejects = rule_rejects.transform(job.all_rejects, duplicates)
        self.assertEqual(rejects.columns, [*job.ARRIVAL, "_reject"])
        counts = {r.reason: r["count"] for r in rejects.transform(job.reject_reasons).collect()}
        self.assertEqual(counts, {"malformed_json": 2, "duplicate": 1})

    def test_unknown_fields_are_counted_and_capped(self) -> None:
        accepted = SPARK.createDataFrame([(["b", "a"],), (["b"],), (["c"],)], "unknown_fields array<string>")
        counts = accepted.transform(job.unknown_fields).collect()
        self.assertEqual(job.listed_unknown_fields(counts, 2), ({"a": 1, "b": 2}, 1))
        self.assertEqual(job.listed_unknown_fields(counts, 5), ({"a": 1, "b": 2, "c": 1}, 0))


class ContractReachesTheFilesTest(unittest.TestCase):
    """The contract's partition keys and Parquet codec decide the folders and files the job writes."""

    def test_partition_keys_and_compression_come_from_the_contract(self) -> None:
        root = tempfile.mkdtemp(prefix="clickstream-spark-steps-")
        self.addCleanup(shutil.rmtree, root, True)
        raw = os.path.join(root, "raw", "a")
        os.makedirs(os.path.dirname(raw))
        with open(raw, "w", encoding="utf-8") as handle:
            handle.write(event("e1", "s1", "2026-11-25T10:00:00Z") + "\n" + event("e2", "s1", "2026-10-02T10:00:00Z"))
        monthly = changed_contract(
            partitionKeys=CONTRACT.data["partitionKeys"][:2],
            parquet=dict(CONTRACT.data["parquet"], compression="snappy"),
        )
        store = job.LocalStore(root)
        options = job.RunOptions(run_id="steps-1", now=NOW, engine="spark")
        report = job.run_job(SPARK, store, [store.spark_url("raw", "raw/a")], options, monthly)
        self.assertEqual(report["partitionsWritten"], ["year=2026/month=10", "year=2026/month=11"])
        files = sorted(
            os.path.relpath(os.path.join(folder, name), os.path.join(root, "transformed"))
            for folder, _, names in os.walk(os.path.join(root, "transformed"))
            for name in names
            if name.endswith(".parquet")
        )
        self.assertEqual([os.path.dirname(f) for f in files], ["year=2026/month=10", "year=2026/month=11"])
        self.assertTrue(all(f.endswith(".snappy.parquet") for f in files), files)
        back = SPARK.read.parquet(store.spark_url("transformed", "transformed/"))
        self.assertEqual(sorted(r.event_id for r in back.collect()), ["e1", "e2"])

    def test_the_default_contract_writes_zstd_by_day(self) -> None:
        self.assertEqual(CONTRACT.parquet_compression, "zstd")
        self.assertEqual([k.format for k in CONTRACT.partition_keys], ["YYYY", "MM", "DD"])


if __name__ == "__main__":
    unittest.main()
