import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { Storage } from "../../src/storage/storage.js";
import { tempDir } from "../support/temp-dir.js";

async function collect(iterable: AsyncIterable<{ key: string }>): Promise<string[]> {
  const keys: string[] = [];
  for await (const item of iterable) keys.push(item.key);
  return keys;
}

async function streamToString(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** The behaviour every Storage implementation must have; run by each implementation's test file. */
export function storageContract(name: string, makeStorage: () => Promise<Storage>): void {
  describe(`${name} storage contract`, () => {
    it("writes atomically and reads back as bytes and as a stream", async () => {
      const storage = await makeStorage();
      const info = await storage.writeAtomic("raw", "raw/year=2026/month=01/day=02/a", "hello\n");
      assert.equal(info.size, 6);
      assert.equal((await storage.readBytes("raw", "raw/year=2026/month=01/day=02/a")).toString(), "hello\n");
      assert.equal(
        await streamToString(await storage.readStream("raw", "raw/year=2026/month=01/day=02/a")),
        "hello\n",
      );
    });

    it("lists one folder level: sub-folders and the objects directly in it", async () => {
      const storage = await makeStorage();
      for (const key of [
        "raw/year=2026/month=01/day=02/a",
        "raw/year=2026/month=01/day=03/b",
        "raw/year=2026/month=02/day=01/c",
        "raw/top-level-object",
        "raw/year=2026/loose",
      ]) {
        await storage.writeAtomic("raw", key, "x");
      }
      const top = await storage.listFolder("raw", "raw/");
      assert.deepEqual(top.folders, ["raw/year=2026/"]);
      assert.deepEqual(
        top.objects.map((o) => o.key),
        ["raw/top-level-object"],
      );
      const year = await storage.listFolder("raw", "raw/year=2026/");
      assert.deepEqual(year.folders, ["raw/year=2026/month=01/", "raw/year=2026/month=02/"]);
      assert.deepEqual(
        year.objects.map((o) => o.key),
        ["raw/year=2026/loose"],
      );
      const day = await storage.listFolder("raw", "raw/year=2026/month=01/day=02/");
      assert.deepEqual(day.folders, []);
      assert.deepEqual(
        day.objects.map((o) => [o.key, o.size]),
        [["raw/year=2026/month=01/day=02/a", 1]],
      );
      assert.deepEqual(await storage.listFolder("raw", "raw/nothing-here/"), { folders: [], objects: [] });
      // list() with a deep prefix still sees exactly the keys under it.
      assert.deepEqual(await collect(storage.list("raw", "raw/year=2026/month=01/")), [
        "raw/year=2026/month=01/day=02/a",
        "raw/year=2026/month=01/day=03/b",
      ]);
    });

    it("writes a stream body", async () => {
      const storage = await makeStorage();
      await storage.writeAtomic(
        "errors",
        "errors/e/1.json",
        Readable.from([Buffer.from("a"), Buffer.from("b")]),
      );
      assert.equal((await storage.readBytes("errors", "errors/e/1.json")).toString(), "ab");
    });

    it("lists in key order, filtered by prefix, across depths", async () => {
      const storage = await makeStorage();
      for (const key of ["transformed/p/b", "transformed/p/a/2", "transformed/p/a/1", "transformed/q/z"])
        await storage.writeAtomic("transformed", key, key);
      assert.deepEqual(await collect(storage.list("transformed", "transformed/p/")), [
        "transformed/p/a/1",
        "transformed/p/a/2",
        "transformed/p/b",
      ]);
      assert.deepEqual((await collect(storage.list("transformed"))).length, 4);
    });

    it("stat returns size or undefined", async () => {
      const storage = await makeStorage();
      await storage.writeAtomic("state", "_state/s/x.json", "{}");
      assert.equal((await storage.stat("state", "_state/s/x.json"))?.size, 2);
      assert.equal(await storage.stat("state", "_state/s/missing.json"), undefined);
    });

    it("reading a missing object fails with CS_ERR_STORAGE_NOT_FOUND", async () => {
      const storage = await makeStorage();
      await assert.rejects(storage.readBytes("raw", "raw/nope"), { code: "CS_ERR_STORAGE_NOT_FOUND" });
      await assert.rejects((async () => streamToString(await storage.readStream("raw", "raw/nope")))(), {
        code: "CS_ERR_STORAGE_NOT_FOUND",
      });
    });

    it("renames and deletes; deleting a missing key is fine", async () => {
      const storage = await makeStorage();
      await storage.writeAtomic("raw", "raw/r/one", "1");
      await storage.rename("raw", "raw/r/one", "raw/r/two");
      assert.deepEqual(await collect(storage.list("raw", "raw/r/")), ["raw/r/two"]);
      await storage.delete("raw", "raw/r/two");
      await storage.delete("raw", "raw/r/two");
      assert.deepEqual(await collect(storage.list("raw", "raw/r/")), []);
    });

    it("moves a local file in", async () => {
      const storage = await makeStorage();
      const dir = await tempDir();
      const file = join(dir, "part.parquet");
      await writeFile(file, "PAR1");
      const info = await storage.moveFileIn(
        "transformed",
        "transformed/year=2026/month=01/day=02/part.parquet",
        file,
      );
      assert.equal(info.size, 4);
      assert.equal(
        (
          await storage.readBytes("transformed", "transformed/year=2026/month=01/day=02/part.parquet")
        ).toString(),
        "PAR1",
      );
    });

    it("rejects keys that escape the bucket or lie outside its home prefix", async () => {
      const storage = await makeStorage();
      await assert.rejects(storage.writeAtomic("raw", "transformed/x", "x"), { code: "CS_ERR_INVALID_KEY" });
      await assert.rejects(storage.writeAtomic("raw", "raw/../escape", "x"), { code: "CS_ERR_INVALID_KEY" });
      await assert.rejects(storage.writeAtomic("raw", "/abs", "x"), { code: "CS_ERR_INVALID_KEY" });
    });
  });
}
