"""The Glue job's and crawler's lifecycle through boto3, as a data engineer's script drives them.

Run by glue-jobs-api.test.ts with AWS_ENDPOINT_URL pointing at `clickstream serve`; prints one JSON
object of the states each poll saw and the errors the service answered, for the test to check.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any

import boto3
from botocore.exceptions import ClientError

JOB_DONE = {"SUCCEEDED", "FAILED", "STOPPED", "ERROR", "TIMEOUT"}


def error_code(call: Callable[[], Any]) -> str | None:
    """The AWS error code a call fails with, or None when it succeeds."""
    try:
        call()
    except ClientError as error:
        return str(error.response["Error"]["Code"])
    return None


def states(poll: Callable[[], str], done: Callable[[str], bool]) -> list[str]:
    """Every state a tight poll sees, in order, each once, up to the first `done` one."""
    seen: list[str] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        state = poll()
        if not seen or seen[-1] != state:
            seen.append(state)
        if done(state):
            return seen
        time.sleep(0.005)
    raise TimeoutError(f"still {seen[-1]} after 120 s")


def main(args: dict[str, Any]) -> dict[str, Any]:
    glue = boto3.client("glue")
    job, crawler = args["job"], args["crawler"]

    def job_state(run_id: str) -> Callable[[], str]:
        return lambda: str(
            glue.get_job_run(JobName=job, RunId=run_id)["JobRun"]["JobRunState"]
        )

    run_id = glue.start_job_run(JobName=job)["JobRunId"]
    concurrent = error_code(lambda: glue.start_job_run(JobName=job))
    run_states = states(job_state(run_id), lambda s: s in JOB_DONE)
    run = glue.get_job_run(JobName=job, RunId=run_id)["JobRun"]

    # New raw objects, so the next run has work to be stopped in.
    boto3.client("s3").put_object(
        Bucket=args["rawBucket"], Key=args["lateKey"], Body=args["lateBody"]
    )
    stop_id = glue.start_job_run(JobName=job)["JobRunId"]
    stop = glue.batch_stop_job_run(JobName=job, JobRunIds=[stop_id, "jr_0000"])
    stop_states = states(job_state(stop_id), lambda s: s in JOB_DONE)

    glue.start_crawler(Name=crawler)
    crawler_running = error_code(lambda: glue.start_crawler(Name=crawler))
    crawl_states = states(
        lambda: str(glue.get_crawler(Name=crawler)["Crawler"]["State"]),
        lambda s: s == "READY",
    )
    got = glue.get_crawler(Name=crawler)["Crawler"]
    metrics = glue.get_crawler_metrics(CrawlerNameList=[crawler])["CrawlerMetricsList"]

    return {
        "job": glue.get_job(JobName=job)["Job"]["Name"],
        "jobs": [j["Name"] for j in glue.get_jobs()["Jobs"]],
        "concurrent": concurrent,
        "runStates": run_states,
        "run": {
            "state": run["JobRunState"],
            "executionTime": run["ExecutionTime"],
            "completed": "CompletedOn" in run,
        },
        "stop": {
            "submitted": [s["JobRunId"] for s in stop["SuccessfulSubmissions"]],
            "errors": [e["ErrorDetail"]["ErrorCode"] for e in stop["Errors"]],
            "states": stop_states,
            "stopId": stop_id,
        },
        "runs": [
            [r["Id"], r["JobRunState"]]
            for r in glue.get_job_runs(JobName=job)["JobRuns"]
        ],
        "runId": run_id,
        "missingRun": error_code(
            lambda: glue.get_job_run(JobName=job, RunId="jr_0000")
        ),
        "missingJob": error_code(
            lambda: glue.start_job_run(JobName="someone-elses-job")
        ),
        "crawlerRunning": crawler_running,
        "crawlStates": crawl_states,
        "lastCrawl": got.get("LastCrawl", {}).get("Status"),
        "crawlerNames": glue.list_crawlers()["CrawlerNames"],
        "metrics": [[m["CrawlerName"], m["TablesCreated"]] for m in metrics],
    }


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))))
