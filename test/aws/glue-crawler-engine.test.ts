// test tier: fast (in-process, no child processes)
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { GlueClient } from "@aws-sdk/client-glue";
import { formatCrawlerResult, runGlueCrawler } from "../../src/aws/glue-crawler-engine.js";
import { clientOnRecordingServer, type Responder } from "../support/aws-recording-server.js";

const glue = (respond: Responder) => clientOnRecordingServer((config) => new GlueClient(config), respond);

const metrics = {
  CrawlerMetricsList: [
    {
      CrawlerName: "cs-crawler",
      TimeLeftSeconds: 0,
      StillEstimating: false,
      LastRuntimeSeconds: 61.5,
      MedianRuntimeSeconds: 60,
      TablesCreated: 1,
      TablesUpdated: 0,
      TablesDeleted: 0,
    },
  ],
};

describe("glue crawler engine", () => {
  it("starts the crawler and polls GetCrawler/GetCrawlerMetrics until it is READY with a new crawl", async () => {
    const states = ["READY", "RUNNING", "STOPPING", "READY"];
    let getCrawler = 0;
    const { server, client } = await glue((call) => {
      switch (call.operation) {
        case "StartCrawler":
          return { body: {} };
        case "GetCrawlerMetrics":
          return { body: metrics };
        default: {
          const n = getCrawler++;
          // Call 0 reads the previous crawl before starting; calls 1.. are the polls.
          const state = n === 0 ? "READY" : states[Math.min(n - 1, states.length - 1)];
          const done = n >= 4;
          return {
            body: {
              Crawler: {
                Name: "cs-crawler",
                State: state,
                LastCrawl: done
                  ? { Status: "SUCCEEDED", StartTime: 1795600900 }
                  : { Status: "SUCCEEDED", StartTime: 1795500000 },
              },
            },
          };
        }
      }
    });
    const updates: string[] = [];
    const result = await runGlueCrawler({
      client,
      crawlerName: "cs-crawler",
      pollIntervalMs: 1,
      display: { update: (s) => updates.push(s), stop: () => {} },
    });
    assert.deepEqual(
      server.calls.map((c) => c.operation),
      [
        "GetCrawler",
        "StartCrawler",
        "GetCrawler",
        "GetCrawlerMetrics",
        "GetCrawler",
        "GetCrawlerMetrics",
        "GetCrawler",
        "GetCrawlerMetrics",
        "GetCrawler",
        "GetCrawlerMetrics",
      ],
    );
    assert.deepEqual(server.calls[1]!.body, { Name: "cs-crawler" });
    assert.deepEqual(server.calls[3]!.body, { CrawlerNameList: ["cs-crawler"] });
    // The first poll still shows the previous crawl's READY: not mistaken for the end.
    assert.deepEqual(updates, ["READY", "RUNNING", "STOPPING", "READY"]);
    assert.deepEqual(result, {
      crawlerName: "cs-crawler",
      status: "SUCCEEDED",
      tablesCreated: 1,
      tablesUpdated: 0,
      tablesDeleted: 0,
      lastRuntimeSeconds: 61.5,
      joinedRunningCrawl: false,
    });
    assert.match(
      formatCrawlerResult(result),
      /cs-crawler: SUCCEEDED in 61\.5s\n {2}tables created 1, updated 0, deleted 0/,
    );
  });

  it("waits for a crawl already running (CrawlerRunningException) instead of failing", async () => {
    let polls = 0;
    const { client } = await glue((call) => {
      if (call.operation === "StartCrawler")
        return {
          status: 400,
          body: {
            __type: "CrawlerRunningException",
            message: "Crawler with name cs-crawler has already started",
          },
        };
      if (call.operation === "GetCrawlerMetrics") return { body: metrics };
      const state = polls++ < 2 ? "RUNNING" : "READY";
      return {
        body: {
          Crawler: {
            Name: "cs-crawler",
            State: state,
            LastCrawl: { Status: "SUCCEEDED", StartTime: 1795600000 },
          },
        },
      };
    });
    const result = await runGlueCrawler({
      client,
      crawlerName: "cs-crawler",
      pollIntervalMs: 1,
      display: null,
    });
    assert.equal(result.joinedRunningCrawl, true);
    assert.equal(result.status, "SUCCEEDED");
  });

  it("follows the crawl to its end without GetCrawlerMetrics (denied, or not emulated) and says the counts are missing", async () => {
    let n = 0;
    const { server, client } = await glue((call) => {
      if (call.operation === "StartCrawler") return { body: {} };
      if (call.operation === "GetCrawlerMetrics")
        return { status: 400, body: { __type: "AccessDeniedException", message: "not authorized" } };
      const poll = n++;
      return {
        body: {
          Crawler: {
            Name: "c",
            State: poll === 1 ? "RUNNING" : "READY",
            // COMPLETED: how moto (and AWS's crawl history) spells a successful crawl.
            LastCrawl:
              poll < 2 ? { Status: "SUCCEEDED", StartTime: 1 } : { Status: "COMPLETED", StartTime: 2 },
          },
        },
      };
    });
    const result = await runGlueCrawler({ client, crawlerName: "c", pollIntervalMs: 1, display: null });
    assert.deepEqual(
      server.calls.map((c) => c.operation),
      ["GetCrawler", "StartCrawler", "GetCrawler", "GetCrawlerMetrics", "GetCrawler"],
      "GetCrawlerMetrics is not asked again once it failed",
    );
    assert.equal(result.status, "COMPLETED");
    assert.equal(result.tablesCreated, undefined);
    assert.match(result.tableCountsProblem ?? "", /GetCrawlerMetrics c \(AccessDeniedException\)/);
    assert.match(formatCrawlerResult(result), /\n {2}table counts unavailable: .*GetCrawlerMetrics c/);
  });

  it("fails with CS_ERR_AWS_CRAWLER_FAILED and the crawl's error message", async () => {
    let n = 0;
    const { client } = await glue((call) => {
      if (call.operation === "StartCrawler") return { body: {} };
      if (call.operation === "GetCrawlerMetrics") return { body: { CrawlerMetricsList: [] } };
      const first = n++ === 0;
      return {
        body: {
          Crawler: {
            Name: "c",
            State: "READY",
            LastCrawl: first
              ? { Status: "SUCCEEDED", StartTime: 1 }
              : { Status: "FAILED", StartTime: 2, ErrorMessage: "Insufficient Lake Formation permission(s)" },
          },
        },
      };
    });
    await assert.rejects(runGlueCrawler({ client, crawlerName: "c", pollIntervalMs: 1, display: null }), {
      code: "CS_ERR_AWS_CRAWLER_FAILED",
      message: /c crawl ended FAILED: Insufficient Lake Formation permission/,
    });
  });

  it("an unknown crawler is CS_ERR_AWS_REQUEST (EntityNotFoundException)", async () => {
    const { client } = await glue(() => ({
      status: 400,
      body: { __type: "EntityNotFoundException", message: "Crawler entry with name nope does not exist" },
    }));
    await assert.rejects(runGlueCrawler({ client, crawlerName: "nope", pollIntervalMs: 1, display: null }), {
      code: "CS_ERR_AWS_REQUEST",
      message: /GetCrawler nope \(EntityNotFoundException\)/,
    });
  });
});
