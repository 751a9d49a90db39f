import assert from "node:assert/strict";
import { test } from "node:test";
import { athenaApi } from "../../src/endpoints/athena-api.js";
import { athenaCsv, parseAthenaCsv, type Cells } from "../../src/endpoints/athena-values.js";
import { localStack } from "../../src/endpoints/local-stack.js";
import { crawledWarehouse } from "./endpoints-fixture.js";

const context = { region: "us-east-1", requestId: "test" };

test("Athena's CSV reads back as the cells it was written from: quotes, commas, newlines, '' and NULL", () => {
  const columns = [{ name: "a" }, { name: 'b "q"' }, { name: "c" }];
  const cells: Cells[] = [
    ["plain", 'say "hi", then\nleave', undefined],
    ["", undefined, "x"],
    [undefined, undefined, undefined],
  ];
  const csv = athenaCsv(columns, cells);
  assert.equal(csv.split("\n")[0], '"a","b ""q""","c"');
  assert.deepEqual(parseAthenaCsv(csv), [["a", 'b "q"', "c"], ...cells]);
});

test("a result evicted from memory pages from its CSV, never by running the query again", async () => {
  const { storage, config } = await crawledWarehouse();
  const api = athenaApi({ storage, config, stack: localStack(config, "us-east-1"), maxKeptResultChars: 1 });
  try {
    const start = async (sql: string): Promise<string> => {
      const { QueryExecutionId } = (await api.operations.StartQueryExecution!(
        { QueryString: sql },
        context,
      )) as {
        QueryExecutionId: string;
      };
      for (;;) {
        const { QueryExecution } = (await api.operations.GetQueryExecution!(
          { QueryExecutionId },
          context,
        )) as {
          QueryExecution: { Status: { State: string } };
        };
        if (QueryExecution.Status.State === "SUCCEEDED") return QueryExecutionId;
        assert.ok(["QUEUED", "RUNNING"].includes(QueryExecution.Status.State), QueryExecution.Status.State);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    type Page = { ResultSet: { Rows: { Data: { VarCharValue?: string }[] }[] }; NextToken?: string };
    const rows = async (id: string): Promise<(string | undefined)[][]> => {
      const out: (string | undefined)[][] = [];
      let token: string | undefined;
      do {
        const page = (await api.operations.GetQueryResults!(
          { QueryExecutionId: id, MaxResults: 9, ...(token ? { NextToken: token } : {}) },
          context,
        )) as Page;
        out.push(...page.ResultSet.Rows.map((r) => r.Data.map((d) => d.VarCharValue)));
        token = page.NextToken;
      } while (token);
      return out;
    };
    const first = await start(
      "SELECT event_id, random() AS r, product_name FROM transformed ORDER BY event_id",
    );
    const kept = await rows(first);
    await start("SELECT 1"); // evicts the first result (a budget of one character)
    assert.deepEqual(await rows(first), kept, "the same random() values: read back, not run again");
    assert.ok(
      kept.some((r) => r[2] === undefined),
      "NULLs survive the CSV",
    );
  } finally {
    await api.close();
  }
});
