import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PutRecordBatchCommand, PutRecordCommand } from "@aws-sdk/client-firehose";
import { parseConfig } from "../../src/config/load-config.js";
import { runTransform } from "../../src/transform/run-transform.js";
import { readTransformed, type TransformedRow } from "../support/warehouse-reader.js";
import { post, readRaw, startFixture, stopFixture, type CollectorFixture } from "./collector-fixture.js";

const stream = "clickstream-pipeline-stream";
const at = '"user_id":"u1","timestamp":"2026-11-24T10:00:00Z"';

/**
 * Events whose meaning a parse and re-serialise would change: two ids that differ only above 2^53, a
 * repeated key (the data contract: the first occurrence counts), a property written `1.50`.
 */
const events = [
  `{"event_id":9007199254740993,${at},"event_type":"page_view"}`,
  `{"event_id":9007199254740992,${at},"event_type":"page_view"}`,
  `{"event_id":"repeated-key",${at},"event_type":"page_view","event_type":"purchase"}`,
  `{"event_id":"property",${at},"event_type":"page_view","properties":{"shown":1.50,"big":18446744073709551615}}`,
];

/** The ways a client can send the events: the JSON API's three body shapes and both Firehose calls. */
const senders: Record<string, (f: CollectorFixture) => Promise<void>> = {
  "POST /v1/events, a pretty-printed JSON array": async (f) => {
    const body = `[\n  ${events.map((e) => e.replaceAll(",", ",\n    ")).join(",\n  ")}\n]\n`;
    assert.equal((await post(`${f.collector.url}/v1/events`, body)).json.accepted, events.length);
  },
  "POST /v1/events, NDJSON": async (f) => {
    const body = events.join("\r\n") + "\n";
    const headers = { "content-type": "application/x-ndjson" };
    assert.equal((await post(`${f.collector.url}/v1/events`, body, headers)).json.accepted, events.length);
  },
  "POST /v1/events, one object per request": async (f) => {
    for (const e of events)
      assert.equal((await post(`${f.collector.url}/v1/events`, ` ${e} `)).json.accepted, 1);
  },
  "Firehose PutRecord": async (f) => {
    for (const e of events)
      await f.client.send(
        new PutRecordCommand({ DeliveryStreamName: stream, Record: { Data: Buffer.from(e) } }),
      );
  },
  "Firehose PutRecordBatch": async (f) => {
    const Records = events.map((e) => ({ Data: Buffer.from(e) }));
    const answer = await f.client.send(new PutRecordBatchCommand({ DeliveryStreamName: stream, Records }));
    assert.equal(answer.FailedPutCount, 0);
  },
};

/** Sends the events one way into a fresh warehouse, runs the transform, and returns raw lines and rows. */
async function throughPipeline(
  send: (f: CollectorFixture) => Promise<void>,
): Promise<{ raw: string[]; rejected: string[]; rows: Omit<TransformedRow, "processed_timestamp">[] }> {
  const f = await startFixture();
  try {
    await send(f);
    await f.collector.flush();
    const raw = (await readRaw(f.storage)).flatMap((o) => o.lines);
    const report = await runTransform({
      storage: f.storage,
      config: parseConfig({}).transform,
      workDir: f.warehouse,
      now: new Date("2026-11-25T12:00:00Z"),
    });
    const rejected = Object.entries(report.rejectedByReason)
      .filter(([, n]) => n > 0)
      .map(([reason, n]) => `${reason}: ${n}`);
    const rows = (await readTransformed(f.warehouse)).map(
      ({ processed_timestamp: _processed, ...row }) => row,
    );
    return { raw, rejected, rows };
  } finally {
    await stopFixture(f);
  }
}

describe("events are stored as sent, whichever API they arrive through", () => {
  it("keeps 64-bit ids, the first of a repeated key and numbers as written, the same through both APIs", async () => {
    const results = new Map<string, Awaited<ReturnType<typeof throughPipeline>>>();
    for (const [way, send] of Object.entries(senders)) results.set(way, await throughPipeline(send));

    for (const [way, { raw, rejected }] of results) {
      assert.deepEqual(raw, events, `${way}: raw lines`);
      assert.deepEqual(rejected, [], `${way}: rejects`);
    }
    const firehose = results.get("Firehose PutRecord")!.rows;
    const byId = new Map(firehose.map((row) => [row.event_id, row]));
    assert.deepEqual([...byId.keys()].sort(), [
      "9007199254740992",
      "9007199254740993",
      "property",
      "repeated-key",
    ]);
    assert.equal(byId.get("repeated-key")!.event_type, "page_view");
    assert.equal(byId.get("repeated-key")!.event_category, "engagement");
    assert.deepEqual(byId.get("property")!.properties, [
      ["shown", "1.50"],
      ["big", "18446744073709551615"],
    ]);
    for (const [way, { rows }] of results) assert.deepEqual(rows, firehose, `${way}: rows`);
  });
});
