"""The endpoints bench's Python side: PyAthena and boto3 against the local endpoint (AWS_ENDPOINT_URL).

Prints one JSON object: the best time of a small query through PyAthena's default cursor (start, poll,
results) and a large result paged to the end through boto3's GetQueryResults in pages of 1000.
"""

import json
import sys
import time
from typing import Any

import boto3
from pyathena import connect


def best_pyathena_ms(sql: str, runs: int, output: str, workgroup: str, database: str) -> float:
    # PyAthena sleeps poll_interval between GetQueryExecution calls (1 s by default, sized for AWS).
    cursor = connect(s3_staging_dir=output, schema_name=database, work_group=workgroup, poll_interval=0.005).cursor()
    cursor.execute(sql).fetchall()  # warm-up
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        cursor.execute(sql).fetchall()
        best = min(best, (time.perf_counter() - started) * 1000)
    return best


def boto3_paging(sql: str, output: str, workgroup: str, database: str) -> dict[str, Any]:
    athena = boto3.client("athena")
    query_id = athena.start_query_execution(
        QueryString=sql,
        QueryExecutionContext={"Database": database},
        ResultConfiguration={"OutputLocation": output},
        WorkGroup=workgroup,
    )["QueryExecutionId"]
    while True:
        state = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]["State"]
        if state not in ("QUEUED", "RUNNING"):
            break
        time.sleep(0.01)
    if state != "SUCCEEDED":
        raise RuntimeError(f"bench query {state}")
    # botocore's own parsing of each page: from its before-parse event to the needs-retry one that follows.
    parse = {"since": 0.0, "total": 0.0}

    def parse_started(**_: Any) -> None:
        parse["since"] = time.perf_counter()

    def parse_ended(**_: Any) -> None:
        if parse["since"]:
            parse["total"] += time.perf_counter() - parse["since"]
            parse["since"] = 0.0

    athena.meta.events.register("before-parse.athena.GetQueryResults", parse_started)
    athena.meta.events.register("needs-retry.athena.GetQueryResults", parse_ended)
    rows = 0
    pages = 0
    started = time.perf_counter()
    for page in athena.get_paginator("get_query_results").paginate(
        QueryExecutionId=query_id, PaginationConfig={"PageSize": 1000}
    ):
        rows += len(page["ResultSet"]["Rows"])
        pages += 1
    elapsed_ms = (time.perf_counter() - started) * 1000
    return {"rows": rows - 1, "pages": pages, "ms": elapsed_ms, "parseMs": parse["total"] * 1000}


def main() -> None:
    args = json.loads(sys.argv[1])
    names = (args["output"], args["workgroup"], args["database"])
    answer = {
        "pyathenaMs": best_pyathena_ms(args["small"], args["runs"], *names),
        "paging": boto3_paging(args["large"], *names),
    }
    print(json.dumps(answer))


if __name__ == "__main__":
    main()
