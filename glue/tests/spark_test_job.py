"""The Glue job's data path on real local Spark, one SparkSession for the whole module: its boto3 calls
against moto's S3, the meaning of rowsRewritten, and the Glue entry's own part (with the awsglue stand-in).

Run with the project's virtualenv (pyspark, moto):
  .venv/bin/python -m unittest discover -s glue/tests -p 'spark_test_*.py'
(test/aws/glue-spark.spark.test.ts does).
"""

import datetime as dt
import json
import os
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, os.path.join(HERE, "awsglue_stand_in"))

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402

import clickstream_job as job  # noqa: E402
import clickstream_local  # noqa: E402
import clickstream_rules as rules  # noqa: E402

CONTRACT = rules.load_contract()
NOW = rules.parse_now("2026-11-25T12:00:00Z")
SPARK = None


def setUpModule():
    global SPARK
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    SPARK = clickstream_local.start_spark()


def tearDownModule():
    SPARK.stop()


def event(event_id, session_id, timestamp, **extra):
    record = {
        "event_id": event_id,
        "user_id": "u1",
        "session_id": session_id,
        "event_type": "page_view",
        "timestamp": timestamp,
    }
    record.update(extra)
    return json.dumps(record)


class Folder:
    """A temp folder that goes away after the test."""

    def __init__(self, test):
        self.path = tempfile.mkdtemp(prefix="clickstream-spark-test-")
        test.addCleanup(shutil.rmtree, self.path, True)

    def write(self, key, text):
        path = os.path.join(self.path, *key.split("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        return "file://" + path


class S3StateLocalData(job.S3Store):
    """State and rejects through boto3 (here: moto's S3); raw and transformed in a local folder, because
    Spark here has no S3 connector (hadoop-aws is not on PyPI)."""

    def __init__(self, client, buckets, data_root):
        super().__init__(client, buckets)
        self.data_root = data_root

    def spark_url(self, role, key=""):
        return "file://" + os.path.join(self.data_root, key)


def options(run_id, now=NOW, full_refresh=False):
    return job.RunOptions(run_id=run_id, now=now, full_refresh=full_refresh, engine="glue", job_name="test-job")


class SchemaFromContractTest(unittest.TestCase):
    def test_table_columns_and_spark_types_are_the_contracts(self):
        columns = CONTRACT.data["columns"]
        output = job.table_schema(CONTRACT).output
        self.assertEqual([f.name for f in output.fields], [c["name"] for c in columns])
        self.assertEqual([f.dataType.simpleString() for f in output.fields], [c["spark"] for c in columns])


class JobOnMotoS3Test(unittest.TestCase):
    def test_state_ledger_report_and_rejects_go_through_boto3(self):
        data = Folder(self)
        first = data.write(
            "raw/year=2026/month=11/day=25/stream-1-a",
            "\n".join([event("e1", "s1", "2026-11-25T10:00:00Z"), "{broken", event("e1", "s1", "2026-11-25T10:01:00Z")])
            + "\n",
        )
        with mock_aws():
            client = boto3.client("s3")
            for bucket in ("cs-state", "cs-errors"):
                client.create_bucket(Bucket=bucket)
            store = S3StateLocalData(
                client,
                {"raw": "cs-raw", "transformed": "cs-transformed", "errors": "cs-errors", "state": "cs-state"},
                data.path,
            )

            report = job.run_job(SPARK, store, [first], options("jr_1"), CONTRACT)
            self.assertEqual(report["status"], "succeeded")
            self.assertEqual(report["records"], {"read": 3, "written": 1, "rejected": 2})
            self.assertEqual(report["rejectedByReason"]["malformed_json"], 1)
            self.assertEqual(report["rejectedByReason"]["duplicate"], 1)
            stored = json.loads(client.get_object(Bucket="cs-state", Key="_state/glue/runs/jr_1.json")["Body"].read())
            self.assertEqual(stored["records"], report["records"])
            ledger = json.loads(
                client.get_object(Bucket="cs-state", Key="_state/glue/processed/jr_1.json")["Body"].read()
            )
            self.assertEqual(ledger["objects"], [{"key": "raw/year=2026/month=11/day=25/stream-1-a"}])
            self.assertEqual(report["errorObjects"], ["errors/glue/year=2026/month=11/day=25/jr_1.ndjson"])
            body = client.get_object(Bucket="cs-errors", Key=report["errorObjects"][0])["Body"].read().decode()
            lines = [json.loads(line) for line in body.splitlines()]
            self.assertEqual(
                [(r["reason"], r["line"], r["raw"]) for r in lines],
                [("malformed_json", 2, "{broken"), ("duplicate", 3, event("e1", "s1", "2026-11-25T10:01:00Z"))],
            )

            # The ledger in S3 is what keeps a second run from reprocessing (the bookmark may lag it).
            again = job.run_job(SPARK, store, [first], options("jr_2"), CONTRACT)
            self.assertEqual(again["status"], "no_new_data")
            self.assertEqual(again["records"]["read"], 0)

            second = data.write("raw/year=2026/month=11/day=25/stream-1-b", event("e2", "s1", "2026-11-25T09:00:00Z"))
            third = job.run_job(SPARK, store, [first, second], options("jr_3"), CONTRACT)
            self.assertEqual(third["objectsProcessed"], 1)
            self.assertEqual(third["rowsRewritten"], 1, "e1 moved from 1st to 2nd place in s1")
            self.assertEqual(third["errorObjects"], [])

            # A full refresh rebuilds everything: one ledger, the rejects rewritten, old ones deleted.
            refresh = job.run_job(SPARK, store, [first, second], options("jr_4", full_refresh=True), CONTRACT)
            self.assertEqual(refresh["records"], {"read": 4, "written": 2, "rejected": 2})
            keys = [k for k, _ in store.list("state", job.LEDGER_PREFIX)]
            self.assertEqual(keys, ["_state/glue/processed/jr_4.json"])
            self.assertEqual(
                [k for k, _ in store.list("errors", job.ERRORS_PREFIX)],
                ["errors/glue/year=2026/month=11/day=25/jr_4.ndjson"],
            )


class RowsRewrittenTest(unittest.TestCase):
    def test_counts_existing_rows_whose_sequence_changed(self):
        folder = Folder(self)
        store = job.LocalStore(folder.path)
        first = folder.write(
            "raw/a",
            "\n".join(
                [
                    event("a1", "sa", "2026-11-25T10:00:00Z"),
                    event("a2", "sa", "2026-11-25T10:05:00Z"),
                    event("a3", "sa", "2026-11-25T10:10:00Z"),
                    event("b1", "sb", "2026-11-25T10:00:00Z"),
                    event("b2", "sb", "2026-11-25T10:05:00Z"),
                    event("c1", "sc", "2026-11-24T10:00:00Z"),
                ]
            ),
        )
        report = job.run_job(SPARK, store, [first], options("r1"), CONTRACT)
        self.assertEqual(report["rowsRewritten"], 0, "a first run rewrites nothing")
        # sa gains an event between a1 and a2 (a2, a3 shift); sb gains one after its last (nothing shifts);
        # sc's partition (another day) is untouched.
        second = folder.write(
            "raw/b",
            "\n".join(
                [
                    event("a1b", "sa", "2026-11-25T10:01:00Z"),
                    event("b3", "sb", "2026-11-25T11:00:00Z"),
                ]
            ),
        )
        report = job.run_job(SPARK, store, [first, second], options("r2"), CONTRACT)
        self.assertEqual(report["rowsRewritten"], 2)
        self.assertEqual(report["partitionsWritten"], ["year=2026/month=11/day=25"])
        table = {
            r.event_id: (r.event_sequence, r.is_session_start, r.processed_timestamp)
            for r in SPARK.read.parquet(store.spark_url("transformed", "transformed/")).collect()
        }
        first_run = dt.datetime(2026, 11, 25, 12, 0)
        self.assertEqual(table["a1"], (1, True, first_run))
        self.assertEqual(table["a1b"], (2, False, first_run))
        self.assertEqual(table["a2"], (3, False, first_run), "a rewritten row keeps its processed_timestamp")
        self.assertEqual(table["b3"], (3, False, first_run))
        self.assertEqual(table["c1"], (1, True, first_run))


class GlueEntryTest(unittest.TestCase):
    """The entry's Glue-specific part, with the awsglue stand-in (glue/tests/awsglue_stand_in/)."""

    def setUp(self):
        import awsglue
        import awsglue.context

        import clickstream_transform

        self.awsglue, self.context, self.entry = awsglue, awsglue.context, clickstream_transform
        awsglue.CALLS.clear()
        folder = Folder(self)
        self.objects = [
            folder.write("raw/year=2026/month=11/day=25/s-1-x", event("x1", "s", "2026-11-25T10:00:00Z")),
            folder.write("raw/year=2026/month=11/day=25/s-1-y", event("y1", "s", "2026-11-25T10:00:00Z")),
        ]
        self.context.DISCOVERED[:] = self.objects
        self.argv = [
            "clickstream_transform.py",
            "--JOB_NAME",
            "cs-transform",
            "--JOB_RUN_ID",
            "jr_42",
            "--raw_bucket",
            "cs-raw",
            "--transformed_bucket",
            "cs-transformed",
            "--errors_bucket",
            "cs-errors",
            "--state_bucket",
            "cs-state",
            "--future_tolerance_hours",
            "24",
            "--now",
            "2026-11-25T12:00:00Z",
        ]
        self.original = job.run_job
        self.addCleanup(setattr, job, "run_job", self.original)

    def test_init_bookmarked_discovery_run_then_commit(self):
        seen = {}

        def run_job(spark, store, candidates, run_options, contract):
            self.awsglue.CALLS.append(("run_job",))
            seen.update(store=store, candidates=candidates, options=run_options)
            return {}

        job.run_job = run_job
        with mock_aws():
            self.entry.main(self.argv)
        self.assertEqual([c[0] for c in self.awsglue.CALLS], ["init", "from_options", "run_job", "commit"])
        self.assertEqual(self.awsglue.CALLS[0][1], "cs-transform")
        source = self.awsglue.CALLS[1][1]
        self.assertEqual(source["transformation_ctx"], "raw_source")
        self.assertEqual(source["connection_options"]["paths"], ["s3://cs-raw/raw/"])
        path_of = lambda url: "/" + url.split(":", 1)[1].lstrip("/")  # noqa: E731 (file:/x or file:///x)
        self.assertEqual(sorted(map(path_of, seen["candidates"])), sorted(map(path_of, self.objects)))
        self.assertEqual(
            seen["store"].buckets,
            {"raw": "cs-raw", "transformed": "cs-transformed", "errors": "cs-errors", "state": "cs-state"},
        )
        self.assertEqual(seen["options"].run_id, "jr_42")
        self.assertEqual(seen["options"].now, NOW)
        self.assertEqual(seen["options"].future_tolerance_hours, 24.0)

    def test_a_failed_run_never_commits_the_bookmark(self):
        def run_job(spark, store, candidates, run_options, contract):
            raise job.JobError("records read 3 != written 1 + rejected 1")

        job.run_job = run_job
        with mock_aws(), self.assertRaises(job.JobError):
            self.entry.main(self.argv)
        self.assertNotIn(("commit",), self.awsglue.CALLS)


if __name__ == "__main__":
    unittest.main()
