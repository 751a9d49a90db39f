// test tier: slow (kill loops and process races)
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, test } from "node:test";
import { PutRecordBatchCommand } from "@aws-sdk/client-firehose";
import { LocalStorage } from "../../src/storage/local-storage.js";
import { tempDir } from "../support/temp-dir.js";
import { firehoseClient, readRaw } from "./collector-fixture.js";

const bin = new URL("../../../bin/clickstream", import.meta.url).pathname;
const stream = "clickstream-pipeline-stream";
const children = new Set<ChildProcess>();
after(() => {
  for (const child of children) child.kill("SIGKILL");
});

/** Spawns `clickstream serve` and resolves with its URL once it listens. */
async function serve(warehouse: string, config: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [bin, "serve", "--warehouse", warehouse, "--config", config, "--port", "0", "--log-format", "json"],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  children.add(child);
  child.on("exit", () => children.delete(child));
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    let err = "";
    child.stdout!.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => {
      err += chunk.toString();
      const match = /"url":"(http:\/\/[^"]+)"/.exec(err);
      if (match) resolve(match[1]!);
    });
    child.on("exit", (code) =>
      reject(new Error(`collector exited (${code}) before listening: ${err}${out}`)),
    );
  });
  child.stderr!.resume();
  return { child, url };
}

function exited(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve(child.exitCode)
    : new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

test("SIGKILL under load at random moments loses no acknowledged record and duplicates none within a delivery", async () => {
  const warehouse = await tempDir("clickstream-crash-");
  const config = join(warehouse, "collector.json");
  // Small hints so objects are sealed and delivered while the load runs: kills land mid-delivery too.
  await writeFile(
    config,
    JSON.stringify({
      collector: { streams: [{ name: stream, bufferingHints: { sizeInMBs: 1, intervalInSeconds: 1 } }] },
    }),
  );
  const acked = new Set<string>();
  let attempted = 0;

  for (let round = 0; round < 4; round++) {
    const { child, url } = await serve(warehouse, config);
    let stop = false;
    const client = firehoseClient(url);
    const firehoseLoop = async (loop: number): Promise<void> => {
      for (let seq = 0; !stop; seq++) {
        const ids = Array.from({ length: 200 }, (_, i) => `r${round}-f${loop}-${seq}-${i}`);
        attempted += ids.length;
        try {
          const response = await client.send(
            new PutRecordBatchCommand({
              DeliveryStreamName: stream,
              Records: ids.map((id) => ({
                Data: Buffer.from(JSON.stringify({ id, pad: "x".repeat(300) }) + "\n"),
              })),
            }),
          );
          response.RequestResponses!.forEach((entry, i) => {
            if (entry.RecordId) acked.add(ids[i]!);
          });
        } catch {
          return; // the collector died: requests in flight got no 200
        }
      }
    };
    const eventsLoop = async (): Promise<void> => {
      for (let seq = 0; !stop; seq++) {
        const ids = Array.from({ length: 20 }, (_, i) => `r${round}-e-${seq}-${i}`);
        attempted += ids.length;
        try {
          const response = await fetch(`${url}/v1/events`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify(ids.map((id) => ({ id }))),
          });
          if (response.status === 200) for (const id of ids) acked.add(id);
          else await response.body?.cancel();
        } catch {
          return;
        }
      }
    };
    const loops = [0, 1, 2].map(firehoseLoop).concat(eventsLoop());
    await new Promise((r) => setTimeout(r, 300 + Math.random() * 900));
    child.kill("SIGKILL");
    await exited(child);
    stop = true;
    await Promise.all(loops);
    client.destroy();
  }

  // Restart once more and stop cleanly: recovery delivers what the killed processes acknowledged.
  const { child } = await serve(warehouse, config);
  child.kill("SIGTERM");
  assert.equal(await exited(child), 0);

  const objects = await readRaw(new LocalStorage(warehouse));
  const found = new Set<string>();
  for (const object of objects) {
    const inObject = new Set<string>();
    for (const line of object.lines) {
      const id = (JSON.parse(line) as { id: string }).id;
      assert.ok(!inObject.has(id), `${id} twice in ${object.key}`);
      inObject.add(id);
      found.add(id);
    }
  }
  assert.ok(acked.size > 1000, `only ${acked.size} records acknowledged; the load did not run`);
  const lost = [...acked].filter((id) => !found.has(id));
  assert.deepEqual(lost.slice(0, 5), [], `${lost.length} acknowledged records missing (of ${acked.size})`);
  assert.ok(found.size <= attempted);
  const walLeft = (await readdir(join(warehouse, "_state", "collector", "wal", stream))).filter((f) =>
    f.endsWith(".wal"),
  );
  assert.deepEqual(walLeft, []);
});
