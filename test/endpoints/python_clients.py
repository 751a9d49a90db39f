"""Drives the local endpoints with boto3 and PyAthena, as a data engineer's script would.

Run by python-clients.test.ts with AWS_ENDPOINT_URL pointing at `clickstream serve`; prints one JSON
object of what each client saw, for the test to compare with the query engine's own answer.
"""

from __future__ import annotations

import datetime
import decimal
import json
import sys
import time
from typing import Any

import boto3


def plain(value: Any) -> list[str] | None:
    """A value as [python type name, text], so the test sees both the mapping and the value."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return ["datetime", value.isoformat(sep=" ", timespec="milliseconds")]
    if isinstance(value, (datetime.date, decimal.Decimal)):
        return [type(value).__name__, str(value)]
    if isinstance(value, dict):
        return ["dict", json.dumps(value, sort_keys=True)]
    return [type(value).__name__, str(value)]


def boto3_athena(
    sql: str, database: str, workgroup: str, output: str
) -> dict[str, Any]:
    # A cross join far too big to finish: StopQueryExecution interrupts the worker, the query ends CANCELLED.
    athena = boto3.client("athena")
    started = athena.start_query_execution(
        QueryString=sql,
        QueryExecutionContext={"Database": database},
        ResultConfiguration={"OutputLocation": output},
        WorkGroup=workgroup,
    )
    query_id = started["QueryExecutionId"]
    while True:
        execution = athena.get_query_execution(QueryExecutionId=query_id)[
            "QueryExecution"
        ]
        if execution["Status"]["State"] not in ("QUEUED", "RUNNING"):
            break
        time.sleep(0.05)
    rows: list[list[str | None]] = []
    pages = 0
    for page in athena.get_paginator("get_query_results").paginate(
        QueryExecutionId=query_id, PaginationConfig={"PageSize": 10}
    ):
        pages += 1
        rows.extend(
            [d.get("VarCharValue") for d in r["Data"]]
            for r in page["ResultSet"]["Rows"]
        )
    return {
        "state": execution["Status"]["State"],
        "statementType": execution["StatementType"],
        "scanned": execution["Statistics"]["DataScannedInBytes"],
        "rows": rows,
        "pages": pages,
    }


def pyathena_cursor(
    sql: str, database: str, workgroup: str, output: str
) -> dict[str, Any]:
    from pyathena import connect

    cursor = connect(
        s3_staging_dir=output,
        schema_name=database,
        work_group=workgroup,
        poll_interval=0.05,
    ).cursor()
    cursor.execute(sql)
    description = [[d[0], d[1], d[4], d[5], d[6]] for d in cursor.description]
    rows = [[plain(v) for v in row] for row in cursor.fetchall()]
    query_id = cursor.query_id
    # qmark parameters go to Athena as ExecutionParameters (bound server-side, never pasted by PyAthena).
    cursor.execute(
        "SELECT count(*) FROM transformed WHERE event_type = ? AND hour >= ?",
        ["'page_view'", "3"],  # Athena's literals, as PyAthena passes them on
        paramstyle="qmark",
    )
    qmark_count = cursor.fetchone()[0]
    return {
        "description": description,
        "rows": rows,
        "queryId": query_id,
        "qmarkCount": qmark_count,
        **pyathena_extras(database, workgroup, output),
    }


def pyathena_extras(database: str, workgroup: str, output: str) -> dict[str, Any]:
    """The pandas cursor, SQLAlchemy reflection, a cancelled query and a 100k-row result paged to the end."""
    from urllib.parse import quote_plus

    from pyathena import connect
    from pyathena.pandas.cursor import PandasCursor
    from sqlalchemy import create_engine, inspect

    options = {
        "s3_staging_dir": output,
        "schema_name": database,
        "work_group": workgroup,
        "poll_interval": 0.05,
    }
    # The pandas cursor reads the result's CSV through S3 (GetObject), not GetQueryResults.
    frame = (
        connect(cursor_class=PandasCursor, **options)
        .cursor()
        .execute("SELECT event_id, event_type FROM transformed ORDER BY event_id")
        .as_pandas()
    )
    engine = create_engine(
        f"awsathena+rest://:@athena.{boto3.session.Session().region_name}.amazonaws.com:443/"
        f"{database}?s3_staging_dir={quote_plus(output)}&work_group={workgroup}"
    )
    inspector = inspect(engine)
    reflected = {
        "schemas": inspector.get_schema_names(),
        "tables": inspector.get_table_names(schema=database),
        "columns": [
            [c["name"], str(c["type"])]
            for c in inspector.get_columns("transformed", schema=database)
        ],
        "partitionKeys": [
            c["name"]
            for c in inspector.get_columns("transformed", schema=database)
            if c.get("dialect_options", {}).get("awsathena_partition")
        ],
    }
    engine.dispose()
    cursor = connect(**options).cursor()
    # GetQueryResults in pages of 1000 (PyAthena's arraysize) until the last NextToken.
    big = cursor.execute(
        "SELECT row_number() OVER () AS x FROM transformed a CROSS JOIN transformed b"
        " CROSS JOIN transformed c CROSS JOIN transformed d LIMIT 100000"
    )
    total = 0
    last = 0
    for row in big:
        total += 1
        last = max(last, row[0])
    # A cross join far too big to finish: StopQueryExecution interrupts the worker, the query ends CANCELLED.
    athena = boto3.client("athena")
    started = athena.start_query_execution(
        QueryString="SELECT count(*) FROM transformed a, transformed b, transformed c, transformed d, transformed e",
        QueryExecutionContext={"Database": database},
        WorkGroup=workgroup,
    )["QueryExecutionId"]
    athena.stop_query_execution(QueryExecutionId=started)
    state = athena.get_query_execution(QueryExecutionId=started)["QueryExecution"][
        "Status"
    ]["State"]
    return {
        "pandas": {
            "rows": len(frame),
            "columns": list(frame.columns),
            "first": str(frame.iloc[0, 0]),
        },
        "sqlalchemy": reflected,
        "paged": {"rows": total, "last": last},
        "cancelled": state,
    }


def main() -> None:
    args = json.loads(sys.argv[1])
    database, workgroup, output = args["database"], args["workgroup"], args["output"]
    identity = boto3.client("sts").get_caller_identity()
    partitions = boto3.client("glue").get_partitions(
        DatabaseName=database,
        TableName="transformed",
        Expression="day >= '04' AND year = '2026'",
    )["Partitions"]
    result: dict[str, Any] = {
        "account": identity["Account"],
        "arn": identity["Arn"],
        "partitions": sorted(p["Values"] for p in partitions),
        "boto3": boto3_athena(args["sql"], database, workgroup, output),
    }
    if args.get("pyathena"):
        result["pyathena"] = pyathena_cursor(
            args["typedSql"], database, workgroup, output
        )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
