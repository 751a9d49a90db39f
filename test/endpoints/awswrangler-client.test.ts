import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { awsWrangler, requireTool, venvPython } from "../support/optional-suite.js";
import { clientEnv, names, startEndpointsFixture, type EndpointsFixture } from "./endpoints-fixture.js";

const run = promisify(execFile);
const script = fileURLToPath(new URL("../../../test/endpoints/awswrangler_client.py", import.meta.url));

interface WranglerAnswer {
  columns: string[];
  dtypes: string[];
  rows: (string | number | null)[][];
  ctasDtypes: string[];
  ctasRows: (string | number | null)[][];
  ctasTablesLeft: number;
  byDayPartitions: string[][];
  byDayCounts: [string, number][];
  databases: string[];
  tables: [string, string][];
  partitions: string[][];
}

let f: EndpointsFixture | undefined;
before(async () => {
  if (awsWrangler.missing() === undefined) f = await startEndpointsFixture();
});
after(() => f?.stop());

describe("awswrangler with AWS_ENDPOINT_URL at clickstream serve", () => {
  test("wr.athena.read_sql_query (ctas_approach=False, and CTAS into ctas_parameters.database), wr.catalog.databases/tables/get_partitions(expression=…)", async (t) => {
    if (!requireTool(t, awsWrangler)) return;
    const sql = "SELECT event_id, hour, price FROM transformed ORDER BY event_id LIMIT 25";
    const env = {
      ...(await clientEnv(f!.serve.url)),
    };
    const args = {
      sql,
      database: names.database,
      workgroup: names.workgroup,
      output: `s3://${names.resultsBucket}/athena-results/`,
      ctasDatabase: "wrangler_tmp",
    };
    const { stdout } = await run(venvPython, [script, JSON.stringify(args)], { env, timeout: 120_000 });
    const answer = JSON.parse(stdout) as WranglerAnswer;
    const expected = await f!.engineRun(sql);
    assert.deepEqual(answer.columns, ["event_id", "hour", "price"]);
    assert.deepEqual(answer.dtypes.slice(1), ["Int32", "float64"], "typed from Athena's column types");
    assert.deepEqual(answer.rows, expected.rows);
    assert.deepEqual(answer.ctasDtypes, answer.dtypes, "the CTAS approach types the columns alike");
    assert.deepEqual(answer.ctasRows, expected.rows);
    assert.equal(answer.ctasTablesLeft, 0, "its temporary table is dropped");
    assert.deepEqual(answer.databases, [names.database, "wrangler_tmp"]);
    assert.deepEqual(answer.tables, [["transformed", "year, month, day"]]);
    assert.deepEqual(answer.partitions, [["2026", "11", "05"]]);
    // wr.athena.create_ctas_table(partitioning_info=["event_date"]): one partition per day, read back whole.
    const days = await f!.engineRun(
      "SELECT CAST(event_date AS varchar) AS d, count(*) AS n FROM transformed GROUP BY 1 ORDER BY 1",
    );
    assert.deepEqual(
      answer.byDayPartitions,
      days.rows.map(([d]) => [String(d)]),
    );
    assert.deepEqual(
      answer.byDayCounts,
      days.rows.map(([d, n]) => [String(d), Number(n)]),
    );
  });
});
