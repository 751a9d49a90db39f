import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cp, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { GetPartitionsCommand, GetTableCommand, GetTablesCommand } from "@aws-sdk/client-glue";
import type { Storage } from "../../src/storage/storage.js";
import { dbtAthena, requireTool, venvDbt } from "../support/optional-suite.js";
import { tempDir } from "../support/temp-dir.js";
import { clientEnv, names, startEndpointsFixture, type EndpointsFixture } from "./endpoints-fixture.js";

const run = promisify(execFile);
const example = fileURLToPath(new URL("../../../examples/dbt/", import.meta.url));
/** The profile's default schema (examples/dbt/profiles.yml): dbt's own database, never clickstream_db. */
const schema = "clickstream_dbt";
const tableLocation = `athena-results/dbt/tables/${schema}/daily_sessions/`;

interface RunResults {
  results: { unique_id: string; status: string; failures?: number | null }[];
}

let f: EndpointsFixture | undefined;
before(async () => {
  if (dbtAthena.missing() === undefined) f = await startEndpointsFixture();
});
after(() => f?.stop());

/** `dbt <command>` in the project folder; the statuses of its run_results.json by node id. */
async function dbt(
  project: string,
  env: NodeJS.ProcessEnv,
  args: readonly string[],
  expect: "success" | "failure" = "success",
): Promise<{ statuses: Record<string, string>; failures: Record<string, number | null> }> {
  let failed: (Error & { stdout?: string; code?: number }) | undefined;
  try {
    await run(venvDbt, args, { cwd: project, env, timeout: 180_000 });
  } catch (error) {
    failed = error as Error & { stdout?: string; code?: number };
  }
  if (expect === "success" && failed)
    assert.fail(`dbt ${args.join(" ")} failed: ${failed.message}\n${failed.stdout ?? ""}`);
  // dbt exits with 1 when a test fails (2 for an error of its own).
  if (expect === "failure")
    assert.equal(failed?.code, 1, `dbt ${args.join(" ")}: ${failed?.stdout ?? "passed"}`);
  const results = JSON.parse(
    await readFile(join(project, "target", "run_results.json"), "utf8"),
  ) as RunResults;
  return {
    statuses: Object.fromEntries(results.results.map((r) => [r.unique_id, r.status])),
    failures: Object.fromEntries(results.results.map((r) => [r.unique_id, r.failures ?? null])),
  };
}

/** A model's SQL over the pipeline's own table: its source() and ref() replaced by what they build on. */
async function modelSql(path: string): Promise<string> {
  const sql = await readFile(join(example, "models", path), "utf8");
  const source = sql.replace(
    /\{\{\s*source\('clickstream', 'transformed'\)\s*\}\}/g,
    `${names.database}.transformed`,
  );
  if (!/\{\{\s*ref\('stg_events'\)\s*\}\}/.test(source)) return source;
  const staging = await modelSql("staging/stg_events.sql");
  return source.replace(/\{\{\s*ref\('stg_events'\)\s*\}\}/g, `(${staging}) AS stg_events`);
}

async function keys(
  storage: Storage,
  role: "transformed" | "athena-results",
  prefix: string,
): Promise<string[]> {
  const out: string[] = [];
  for await (const info of storage.list(role, prefix)) out.push(info.key);
  return out.sort();
}

describe("dbt-athena (examples/dbt) with AWS_ENDPOINT_URL at clickstream serve", () => {
  test("dbt run builds the view and the CTAS table, dbt test passes, both are queried from `clickstream query`; a second run replaces the table", async (t) => {
    if (!requireTool(t, dbtAthena)) return;
    const project = await tempDir("clickstream-dbt-project-");
    // The project's sources only: not the target/ or logs/ of a run by hand in examples/dbt.
    await cp(example, project, {
      recursive: true,
      filter: (path) => !/[/\\](target|logs)([/\\]|$)/.test(path.slice(example.length - 1)),
    });
    const env = {
      ...(await clientEnv(f!.serve.url)),
      CLICKSTREAM_RESULTS_BUCKET: names.resultsBucket,
      DBT_PROFILES_DIR: project,
      DBT_SEND_ANONYMOUS_USAGE_STATS: "false",
    };
    const transformedBefore = await keys(f!.storage, "transformed", "");
    const models = {
      "model.clickstream.stg_events": "success",
      "model.clickstream.daily_sessions": "success",
    };
    const tests = (statuses: Record<string, string>): void => {
      assert.equal(Object.keys(statuses).length, 6, JSON.stringify(statuses));
      assert.ok(
        Object.entries(statuses).every(
          ([id, status]) => id.startsWith("test.clickstream.") && status === "pass",
        ),
        JSON.stringify(statuses),
      );
    };

    assert.deepEqual((await dbt(project, env, ["run"])).statuses, models);
    tests((await dbt(project, env, ["test"])).statuses);

    const table = `SELECT * FROM ${schema}.daily_sessions ORDER BY session_id`;
    const tableSql = `SELECT * FROM (${await modelSql("marts/daily_sessions.sql")}) AS m ORDER BY session_id`;
    const viewSql = `SELECT * FROM (${await modelSql("staging/stg_events.sql")}) AS m ORDER BY event_id`;
    const expectedTable = await f!.engineRun(tableSql);
    const expectedView = await f!.engineRun(viewSql);
    assert.ok(expectedTable.rows.length > 10, "the fixture has sessions");
    const queried = await f!.engineRun(table);
    assert.deepEqual(
      queried.columns.map((c) => `${c.name} ${c.type}`),
      [
        "session_id varchar",
        "user_id varchar",
        "started_at timestamp",
        "events bigint",
        "purchases bigint",
        "revenue double",
        "session_date date",
      ],
    );
    assert.deepEqual(queried.rows, expectedTable.rows);
    assert.deepEqual(
      (await f!.engineRun(`SELECT * FROM ${schema}.stg_events ORDER BY event_id`)).rows,
      expectedView.rows,
    );
    assert.deepEqual((await f!.engineRun(`SHOW TABLES IN ${schema}`)).rows, [
      ["daily_sessions"],
      ["stg_events"],
    ]);
    assert.deepEqual(
      (await f!.engineRun(`DESCRIBE ${schema}.daily_sessions`)).rows.map((r) => r[1]),
      ["string", "string", "timestamp", "bigint", "bigint", "double", "date"],
    );
    // partitioned_by = ['session_date']: one Hive folder (and file) per day, one catalog partition each.
    const days = (
      await f!.engineRun(`SELECT DISTINCT CAST(session_date AS varchar) FROM (${tableSql}) AS t ORDER BY 1`)
    ).rows.map(([d]) => `${tableLocation}session_date=${String(d)}/`);
    const folders = (files: string[]): string[] => files.map((k) => k.slice(0, k.lastIndexOf("/") + 1));
    const firstFiles = await keys(f!.storage, "athena-results", tableLocation);
    assert.deepEqual(folders(firstFiles), days, "one Parquet file per partition at the model's location");
    const partitions = await f!.glue.send(
      new GetPartitionsCommand({ DatabaseName: schema, TableName: "daily_sessions" }),
    );
    assert.deepEqual(
      partitions.Partitions!.map((p) => `${tableLocation}session_date=${p.Values![0]}/`).sort(),
      days,
    );
    const glueTable = (
      await f!.glue.send(new GetTableCommand({ DatabaseName: schema, Name: "daily_sessions" }))
    ).Table!;
    assert.equal(glueTable.Parameters?.classification, "parquet", "ALTER TABLE … SET TBLPROPERTIES recorded");
    assert.equal(
      glueTable.StorageDescriptor?.Location,
      `s3://${names.resultsBucket}/${tableLocation}`,
      "the table lives in the results bucket",
    );

    // The second run drops the table (Glue DeleteTable, its objects listed with ListObjects v1 and removed
    // with DeleteObjects) and writes it again at the same location.
    assert.deepEqual((await dbt(project, env, ["run"])).statuses, models);
    tests((await dbt(project, env, ["test"])).statuses);
    const secondFiles = await keys(f!.storage, "athena-results", tableLocation);
    assert.deepEqual(folders(secondFiles), days);
    assert.notDeepEqual(secondFiles, firstFiles, "the old file is gone, a new one written");
    assert.deepEqual((await f!.engineRun(table)).rows, expectedTable.rows);

    // A test that must fail does: the schema tests above pass on rows the endpoint really returned.
    await mkdir(join(project, "tests"), { recursive: true });
    await writeFile(
      join(project, "tests", "no_sessions.sql"),
      "select session_id from {{ ref('daily_sessions') }}\n",
    );
    const failing = await dbt(project, env, ["test", "--select", "no_sessions"], "failure");
    assert.deepEqual(failing.statuses, { "test.clickstream.no_sessions": "fail" });
    assert.equal(failing.failures["test.clickstream.no_sessions"], expectedTable.rows.length);

    // Nothing of dbt's in the pipeline's own places.
    assert.deepEqual(await keys(f!.storage, "transformed", ""), transformedBefore);
    const own = await f!.glue.send(new GetTablesCommand({ DatabaseName: names.database }));
    assert.deepEqual(
      own.TableList?.map((x) => x.Name),
      ["transformed"],
    );
  });
});
