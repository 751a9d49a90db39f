"""Drives the local endpoints with awswrangler (AWS SDK for pandas), as a data engineer's notebook would.

Run by awswrangler-client.test.ts with AWS_ENDPOINT_URL pointing at `clickstream serve`; prints one JSON
object of what it saw, for the test to compare with the query engine's own answer.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import awswrangler as wr


def main(args: dict[str, Any]) -> dict[str, Any]:
    frame = wr.athena.read_sql_query(
        args["sql"],
        database=args["database"],
        workgroup=args["workgroup"],
        s3_output=args["output"],
        ctas_approach=False,
    )
    # The default CTAS approach: a temporary table in ctas_parameters["database"] (clickstream_db is read-only), read
    # back as Parquet through S3 from its manifest, then dropped.
    wr.catalog.create_database(args["ctasDatabase"], exist_ok=True)
    ctas = wr.athena.read_sql_query(
        args["sql"],
        database=args["database"],
        workgroup=args["workgroup"],
        s3_output=args["output"],
        ctas_parameters={"database": args["ctasDatabase"]},
    )
    ctas_tables_left = len(wr.catalog.tables(database=args["ctasDatabase"]))
    # A partitioned CTAS as wr.athena.create_ctas_table writes it (partitioned_by = ARRAY['event_date']), its
    # partitions listed from Glue and the table read back by partition.
    wr.athena.create_ctas_table(
        sql="SELECT event_id, price, event_date FROM transformed",
        database=args["database"],
        ctas_database=args["ctasDatabase"],
        ctas_table="by_day",
        s3_output=args["output"],
        partitioning_info=["event_date"],
        workgroup=args["workgroup"],
        wait=True,
    )
    by_day = wr.catalog.get_partitions(database=args["ctasDatabase"], table="by_day")
    day_counts = wr.athena.read_sql_query(
        f"SELECT CAST(event_date AS varchar) AS d, count(*) AS n FROM {args['ctasDatabase']}.by_day GROUP BY 1 ORDER BY 1",
        database=args["database"],
        workgroup=args["workgroup"],
        s3_output=args["output"],
        ctas_approach=False,
    )
    tables = wr.catalog.tables(database=args["database"])
    partitions = wr.catalog.get_partitions(
        database=args["database"], table="transformed", expression="day = '05'"
    )
    return {
        "columns": [str(c) for c in frame.columns],
        "dtypes": [str(t) for t in frame.dtypes],
        "rows": json.loads(frame.to_json(orient="values")),
        "ctasDtypes": [str(t) for t in ctas.dtypes],
        "ctasRows": json.loads(ctas.to_json(orient="values")),
        "ctasTablesLeft": ctas_tables_left,
        "byDayPartitions": sorted(list(v) for v in by_day.values()),
        "byDayCounts": json.loads(day_counts.to_json(orient="values")),
        "databases": sorted(str(d) for d in wr.catalog.databases()["Database"]),
        "tables": [
            [str(r["Table"]), str(r["Partitions"])] for _, r in tables.iterrows()
        ],
        "partitions": sorted(list(v) for v in partitions.values()),
    }


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))))
