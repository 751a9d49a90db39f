"""The AWS Glue entry of the clickstream transform: everything here is Glue-specific, nothing else is.

It resolves the job's arguments, starts the job (job.init: bookmarks on), learns which raw objects are
new from a bookmarked source (transformation_ctx), hands them to clickstream_job.run_job() (plain
PySpark and boto3, the same code `clickstream transform --engine spark` runs locally) and commits the
bookmark last (job.commit), after the output, rejects, ledger and run report are in place.

Arguments (infra/glue.tf sets them): --raw_bucket --transformed_bucket --errors_bucket --state_bucket
--future_tolerance_hours; optional --now (ISO-8601 processing time, for reproducible reruns). Glue adds
--JOB_NAME and --JOB_RUN_ID. Ship clickstream_rules.py and clickstream_job.py with --extra-py-files and
contract/data-contract.json with --extra-files (Glue copies it to the script's working directory, where
load_contract() finds it; the job ships it to the executors with the work).
"""

from __future__ import annotations

import datetime as dt
import sys
import uuid

import boto3
from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from pyspark.sql import functions as F

import clickstream_job as job
import clickstream_rules as rules

REQUIRED_ARGS = [
    "JOB_NAME",
    "raw_bucket",
    "transformed_bucket",
    "errors_bucket",
    "state_bucket",
    "future_tolerance_hours",
]
OPTIONAL_ARGS = ["JOB_RUN_ID", "now"]


def resolve_args(argv: list[str]) -> dict[str, str]:
    args = getResolvedOptions(argv, REQUIRED_ARGS)
    for optional in OPTIONAL_ARGS:
        if "--" + optional in argv:
            args.update(getResolvedOptions(argv, [optional]))
    return args


def discover_new_objects(glue: GlueContext, store: job.Store) -> list[str]:
    """Spark paths of the raw objects the bookmark has not seen. The source only tells which files are
    new: lines are read as one-column CSV (separator \\u0001, no quoting, so any bytes are a valid line),
    and the job then reads each object whole. An empty object has no line and is never listed (it holds
    no record either)."""
    discovered = glue.create_dynamic_frame.from_options(
        connection_type="s3",
        connection_options={"paths": [store.spark_url("raw", "raw/")], "recurse": True, "groupFiles": "none"},
        format="csv",
        format_options={"separator": "\u0001", "quoteChar": -1, "withHeader": False},
        transformation_ctx="raw_source",
    )
    paths = discovered.toDF().select(F.input_file_name().alias("path")).distinct().collect()
    return sorted(row.path for row in paths if row.path)


def main(argv: list[str]) -> None:
    args = resolve_args(argv)
    contract = rules.load_contract()
    started = dt.datetime.now(dt.UTC)
    glue = GlueContext(SparkContext.getOrCreate())
    glue_job = Job(glue)
    glue_job.init(args["JOB_NAME"], args)
    store = job.S3Store(
        boto3.client("s3"),
        {
            "raw": args["raw_bucket"],
            "transformed": args["transformed_bucket"],
            "errors": args["errors_bucket"],
            "state": args["state_bucket"],
        },
    )
    options = job.RunOptions(
        run_id=args.get("JOB_RUN_ID") or "local-" + uuid.uuid4().hex,
        now=rules.parse_now(args["now"]) if args.get("now") else started,
        future_tolerance_hours=float(args["future_tolerance_hours"]),
        job_name=args["JOB_NAME"],
        engine="glue",
        started=started,
    )
    job.run_job(glue.spark_session, store, discover_new_objects(glue, store), options, contract)
    # Last: the bookmark moves only once everything the run publishes is in place.
    glue_job.commit()


if __name__ == "__main__":
    main(sys.argv)
