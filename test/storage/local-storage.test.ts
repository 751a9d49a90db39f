import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import { test } from "node:test";
import { LocalStorage } from "../../src/storage/local-storage.js";
import { tempDir } from "../support/temp-dir.js";
import { storageContract } from "./storage-contract.js";

storageContract("local", async () => new LocalStorage(await tempDir()));

test("local storage lays buckets out as warehouse folders and leaves no temp files", async () => {
  const root = await tempDir();
  const storage = new LocalStorage(root);
  await storage.writeAtomic("raw", "raw/year=2026/month=01/day=02/x", "1");
  await storage.writeAtomic("state", "_state/bookmarks.json", "{}");
  assert.deepEqual((await readdir(root)).sort(), ["_state", "raw"]);
  assert.deepEqual(await readdir(`${root}/raw/year=2026/month=01/day=02`), ["x"]);
});
