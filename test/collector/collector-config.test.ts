// test tier: fast (in-process, no child processes)
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { startCollector } from "../../src/collector/collector-server.js";
import { parseConfig } from "../../src/config/load-config.js";
import { isClickstreamError } from "../../src/errors/clickstream-error.js";
import { LocalStorage } from "../../src/storage/local-storage.js";
import { tempDir } from "../support/temp-dir.js";

test("the collector section has Firehose's defaults and ranges and rejects unknown keys", async () => {
  const config = parseConfig({});
  assert.equal(config.collector.port, 4573);
  assert.equal(config.collector.maxBufferBytes, 64 * 1024 * 1024);
  assert.deepEqual(config.collector.streams, [
    {
      name: "clickstream-pipeline-stream",
      version: 1,
      bufferingHints: { sizeInMBs: 5, intervalInSeconds: 60 },
      compressionFormat: "UNCOMPRESSED",
    },
  ]);
  const bad = (collector: unknown, message: RegExp) =>
    assert.throws(
      () => parseConfig({ collector }),
      (error: unknown) =>
        isClickstreamError(error) && error.code === "CS_ERR_INVALID_CONFIG" && message.test(error.message),
    );
  bad({ streams: [{ name: "s", bufferingHints: { sizeInMBs: 129, intervalInSeconds: 60 } }] }, /sizeInMBs/);
  bad(
    { streams: [{ name: "s", bufferingHints: { sizeInMBs: 5, intervalInSeconds: 901 } }] },
    /intervalInSeconds/,
  );
  bad({ streams: [{ name: "bad name" }] }, /name/);
  bad({ streams: [{ name: ".." }] }, /name/);
  bad({ maxBufferSize: 1 }, /maxBufferSize|Unrecognized/);
  bad({ streams: [{ name: "other" }] }, /eventsStream/);
  bad({ streams: [{ name: "a" }, { name: "a" }], eventsStream: "a" }, /unique/);
  assert.equal(
    parseConfig({ collector: { streams: [{ name: "a" }], eventsStream: "a" } }).collector.eventsStream,
    "a",
  );

  const warehouse = await tempDir();
  await assert.rejects(
    startCollector({
      storage: new LocalStorage(warehouse),
      walDir: join(warehouse, "wal"),
      port: 0,
      logger: false,
      config: { streams: [{ name: "x", compressionFormat: "ZIP" as "GZIP" }], eventsStream: "x" },
    }),
    (error: unknown) =>
      isClickstreamError(error) &&
      error.code === "CS_ERR_INVALID_CONFIG" &&
      /compressionFormat/.test(error.message),
  );
});
