import assert from "node:assert/strict";
import {
  AthenaClient,
  GetQueryExecutionCommand,
  StartQueryExecutionCommand,
  type QueryExecution,
} from "@aws-sdk/client-athena";
import { GlueClient } from "@aws-sdk/client-glue";
import { runCrawler } from "../../src/catalog/crawler.js";
import { parseConfig } from "../../src/config/load-config.js";
import { openQueryEngine, type ScanProfile } from "../../src/query/query-engine.js";
import type { QueryResult } from "../../src/query/query-result.js";
import { LocalStorage } from "../../src/storage/local-storage.js";
import { isolatedAwsCliEnv, serveProcess, type ServeProcess } from "../support/serve-process.js";
import { tempDir } from "../support/temp-dir.js";
import {
  generateEvents,
  writeTransformedFixture,
  type FixtureEvent,
} from "../support/transformed-fixture.js";

export const region = "us-east-1";
export const credentials = { accessKeyId: "local", secretAccessKey: "local" };
/** The local stack's names (src/endpoints/local-stack.ts), spelled out as a client would. */
export const names = {
  database: "clickstream_db",
  workgroup: "clickstream-pipeline-workgroup",
  resultsBucket: "clickstream-pipeline-athena-results-000000000000-us-east-1",
};

/**
 * The environment a Python client (boto3, PyAthena, awswrangler, dbt) runs in against `url`: a home of its
 * own, no config of this machine, AWS_ENDPOINT_URL at the endpoint, the region and any keys.
 */
export async function clientEnv(url: string): Promise<NodeJS.ProcessEnv> {
  return {
    ...isolatedAwsCliEnv(process.env.PATH ?? "", await tempDir("clickstream-client-home-")),
    AWS_ENDPOINT_URL: url,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
  };
}

export interface EndpointsFixture {
  readonly serve: ServeProcess;
  readonly events: FixtureEvent[];
  readonly storage: LocalStorage;
  readonly athena: AthenaClient;
  readonly glue: GlueClient;
  /** The same statement on `clickstream query`'s engine, in-process, for comparison. */
  engineRun(sql: string): Promise<QueryResult>;
  /** The same query's scan profile from a separate EXPLAIN ANALYZE on an engine in-process. */
  engineProfile(sql: string): Promise<ScanProfile>;
  stop(): Promise<void>;
}

/** A small transformed and crawled warehouse: 3 days of events, partitioned year/month/day. */
export async function crawledWarehouse(): Promise<{
  warehouse: string;
  storage: LocalStorage;
  events: FixtureEvent[];
  config: ReturnType<typeof parseConfig>;
}> {
  const warehouse = await tempDir("clickstream-endpoints-");
  const storage = new LocalStorage(warehouse);
  const events = generateEvents({ seed: 11, startDate: "2026-11-03", days: 3, users: 12 });
  await writeTransformedFixture(storage, events);
  const config = parseConfig({ warehouse: { dir: warehouse } });
  await runCrawler({ storage, config });
  return { warehouse, storage, events, config };
}

/** The warehouse of crawledWarehouse() (3 days, partitioned year/month/day) served by `clickstream serve`. */
export async function startEndpointsFixture(): Promise<EndpointsFixture> {
  const { warehouse, storage, events, config } = await crawledWarehouse();
  const serve = await serveProcess("clickstream-endpoints-", { warehouse });
  const client = { endpoint: serve.url, region, credentials };
  const athena = new AthenaClient(client);
  const glue = new GlueClient(client);
  return {
    serve,
    events,
    storage,
    athena,
    glue,
    engineRun: async (sql) => {
      const engine = await openQueryEngine({ storage, config });
      try {
        return await engine.run(sql);
      } finally {
        engine.close();
      }
    },
    engineProfile: async (sql) => {
      const engine = await openQueryEngine({ storage, config });
      try {
        return await engine.profile(sql);
      } finally {
        engine.close();
      }
    },
    stop: async () => {
      athena.destroy();
      glue.destroy();
      await serve.stop();
    },
  };
}

/** The engine's rows in Athena's text, undefined for NULL (a whole double prints `1.0`). */
export function asAthena(result: QueryResult): (string | undefined)[][] {
  return result.rows.map((row) =>
    row.map((v, i) => {
      if (v === null) return undefined;
      const type = result.columns[i]!.type;
      return typeof v === "number" && Number.isInteger(v) && type === "double" ? `${v}.0` : String(v);
    }),
  );
}

/** An SDK call that fails with AWS error `name` (HTTP 400) and, if given, a message matching `message`. */
export async function rejects(promise: Promise<unknown>, name: string, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: Error & { $metadata?: { httpStatusCode?: number } }) => {
    assert.equal(error.name, name, error.message);
    assert.equal(error.$metadata?.httpStatusCode, 400);
    if (message) assert.match(error.message, message);
    return true;
  });
}

/** StartQueryExecution in the pipeline's database, workgroup and results bucket (or those of `extra`). */
export async function startQuery(
  athena: AthenaClient,
  sql: string,
  extra: Partial<{ WorkGroup: string; OutputLocation: string }> = {},
): Promise<string> {
  const { QueryExecutionId } = await athena.send(
    new StartQueryExecutionCommand({
      QueryString: sql,
      QueryExecutionContext: { Database: names.database },
      ResultConfiguration: { OutputLocation: extra.OutputLocation ?? `s3://${names.resultsBucket}/` },
      WorkGroup: extra.WorkGroup ?? names.workgroup,
    }),
  );
  return QueryExecutionId!;
}

/** The execution once it left QUEUED and RUNNING. */
export async function finishedQuery(athena: AthenaClient, id: string): Promise<QueryExecution> {
  for (;;) {
    const { QueryExecution: e } = await athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
    if (!["QUEUED", "RUNNING"].includes(e!.Status!.State!)) return e!;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
