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
        "ctasTablesLeft": len(wr.catalog.tables(database=args["ctasDatabase"])),
        "databases": sorted(str(d) for d in wr.catalog.databases()["Database"]),
        "tables": [
            [str(r["Table"]), str(r["Partitions"])] for _, r in tables.iterrows()
        ],
        "partitions": sorted(list(v) for v in partitions.values()),
    }


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))))
