"""The Glue job on local Spark over a warehouse folder: what `clickstream transform --engine spark` runs.

The warehouse's sub-folders stand in for the buckets, with the local engine's keys (raw/…, transformed/…,
errors/…, _state/…). Discovery lists raw/ (Glue's bookmark has no local twin; the job's own ledger is
what keeps a run from reprocessing); everything after discovery is clickstream_job.run_job(), the code the
Glue entry runs. The CLI holds the warehouse's run lock around this process.

  python glue/clickstream_local.py --warehouse DIR --run-id ID [--now ISO] [--full-refresh] [--rules JSON]
  python glue/clickstream_local.py --serve    # runs requests (one JSON per stdin line) in one Spark session

Exit codes: 0 done (the run report is in <warehouse>/_state/glue/runs/<run id>.json), 1 the run failed,
3 the Python side is missing (pyspark or Java). The last stderr line of a failure starts with ERROR_PREFIX.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
import traceback
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:  # pyspark may be missing: start_spark() says so with EXIT_UNAVAILABLE
    from pyspark.sql import SparkSession

    from clickstream_rules import Contract

ERROR_PREFIX = "clickstream-spark-error: "
RESPONSE_PREFIX = "@@clickstream-spark "
EXIT_FAILED = 1
EXIT_UNAVAILABLE = 3

HERE = os.path.dirname(os.path.abspath(__file__))
MODULES = ("clickstream_rules.py", "clickstream_job.py")
sys.path.insert(0, HERE)


def fail(message: str, code: int) -> NoReturn:
    sys.stderr.write(ERROR_PREFIX + message + "\n")
    sys.exit(code)


def start_spark() -> SparkSession:
    """local[2] with settings for one machine: no UI, few shuffle partitions, no .crc or _SUCCESS files
    in the warehouse (readers of transformed/ see only Parquet)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        fail("pyspark is not installed: run npm run setup:python", EXIT_UNAVAILABLE)
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        fail("no Java runtime on PATH (Spark needs Java 17): install openjdk-17-jre-headless", EXIT_UNAVAILABLE)
    # One machine: Spark binds to loopback instead of guessing an interface (and warning about it).
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = (
        SparkSession.builder.master(os.environ.get("CLICKSTREAM_SPARK_MASTER", "local[2]"))
        .appName("clickstream-transform")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", os.environ.get("CLICKSTREAM_SPARK_DRIVER_MEMORY", "2g"))
        .config("spark.sql.shuffle.partitions", "2")
        # A local run is short: C2's compile time costs more than it saves (start-up and a small run
        # took about half the time with C1 alone here), and one small heap needs no parallel collector.
        .config(
            "spark.driver.extraJavaOptions",
            os.environ.get("CLICKSTREAM_SPARK_JAVA_OPTIONS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"),
        )
        .config("spark.hadoop.fs.file.impl", "org.apache.hadoop.fs.RawLocalFileSystem")
        .config("spark.hadoop.mapreduce.fileoutputcommitter.marksuccessfuljobs", "false")
        .config(
            "spark.sql.warehouse.dir", os.path.join(os.environ.get("TMPDIR", "/tmp"), "clickstream-spark-warehouse")
        )
    )
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    # The executors import the job's modules as Glue's --extra-py-files ships them.
    for module in MODULES:
        spark.sparkContext.addPyFile(os.path.join(HERE, module))
    return spark


def run_once(spark: SparkSession, request: dict[str, Any], contract: Contract) -> dict[str, Any]:
    """One run over one warehouse folder; returns the run report."""
    import clickstream_job as job
    import clickstream_rules as rules

    warehouse = os.path.abspath(request["warehouse"])
    store = job.LocalStore(warehouse)
    started = dt.datetime.now(dt.UTC)
    now = rules.parse_now(request["now"]) if request.get("now") else started
    settings = request.get("rules") or {}
    tolerance_ms = settings.get("futureToleranceMs")
    candidates = [store.spark_url("raw", key) for key, _ in store.list("raw", "raw/")]
    options = job.RunOptions(
        run_id=request["runId"],
        now=now,
        future_tolerance_hours=None if tolerance_ms is None else tolerance_ms / 3600000,
        full_refresh=bool(request.get("fullRefresh")),
        categories=settings.get("eventCategories"),
        other_category=settings.get("otherCategory"),
        engine="spark",
        started=started,
    )
    return job.run_job(spark, store, candidates, options, contract)


def describe(error: BaseException) -> str:
    """A one-line reason for a failed run: the job's own message, or Spark's first line."""
    text = str(error).strip().splitlines()
    return "%s: %s" % (type(error).__name__, text[0] if text else "")


def serve(spark: SparkSession, contract: Contract) -> None:
    """Runs requests from stdin, one JSON object per line, each answered by one stdout line."""
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            response = {"ok": True, "report": run_once(spark, json.loads(line), contract)}
        except Exception as error:  # the next request still runs; the caller sees why this one failed
            traceback.print_exc()
            response = {"ok": False, "error": describe(error)}
        sys.stdout.write(RESPONSE_PREFIX + json.dumps(response) + "\n")
        sys.stdout.flush()


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--warehouse")
    parser.add_argument("--run-id")
    parser.add_argument("--now")
    parser.add_argument("--full-refresh", action="store_true")
    parser.add_argument("--rules", help="JSON: futureToleranceMs, eventCategories, otherCategory")
    parser.add_argument("--serve", action="store_true")
    args = parser.parse_args(argv)
    import clickstream_rules as rules

    contract = rules.load_contract()
    spark = start_spark()
    try:
        if args.serve:
            serve(spark, contract)
            return
        if not args.warehouse or not args.run_id:
            fail("--warehouse and --run-id are required", EXIT_FAILED)
        request = {
            "warehouse": args.warehouse,
            "runId": args.run_id,
            "now": args.now,
            "fullRefresh": args.full_refresh,
            "rules": json.loads(args.rules) if args.rules else None,
        }
        try:
            run_once(spark, request, contract)
        except Exception as error:
            traceback.print_exc()
            fail(describe(error), EXIT_FAILED)
    finally:
        spark.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
