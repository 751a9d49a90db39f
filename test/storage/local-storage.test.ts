// test tier: fast (in-process, no child processes)
import assert from "node:assert/strict";
import { readdir, stat } from "node:fs/promises";
import { Readable } from "node:stream";
import { test } from "node:test";
import { LocalFileCache } from "../../src/storage/local-file-cache.js";
import { LocalStorage } from "../../src/storage/local-storage.js";
import { NoLocalPathStorage } from "../support/no-local-path-storage.js";
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

const mode = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

test("ownerOnly writes are 0600 files in 0700 folders; other writes keep the usual modes", async () => {
  const root = await tempDir();
  const storage = new LocalStorage(root);
  await storage.writeAtomic("athena-results", "athena-results/q/a.csv", "x", { ownerOnly: true });
  await storage.writeAtomic("athena-results", "athena-results/q/b.csv", Readable.from(["y"]), {
    ownerOnly: true,
  });
  assert.equal(await mode(`${root}/athena-results/q/a.csv`), 0o600);
  assert.equal(await mode(`${root}/athena-results/q/b.csv`), 0o600);
  assert.equal(await mode(`${root}/athena-results/q`), 0o700);
  assert.equal(await mode(`${root}/athena-results`), 0o700);
  // Data files stay readable as before (the umask decides).
  await storage.writeAtomic("transformed", "transformed/year=2026/x.parquet", "z");
  const umask = process.umask();
  assert.equal(await mode(`${root}/transformed/year=2026/x.parquet`), 0o666 & ~umask);
  assert.equal(await mode(`${root}/transformed/year=2026`), 0o777 & ~umask);
});

test("the local copy of a remote object (the query cache) is 0600 in 0700 folders", async () => {
  const root = await tempDir();
  const remote = new NoLocalPathStorage(new LocalStorage(root));
  const object = await remote.writeAtomic(
    "transformed",
    "transformed/year=2026/month=11/part-0.parquet",
    "p",
  );
  const cacheDir = `${await tempDir()}/cache`;
  const path = await new LocalFileCache(remote, cacheDir).path("transformed", object);
  assert.equal(await mode(path), 0o600);
  assert.equal(await mode(`${cacheDir}/transformed/year=2026/month=11`), 0o700);
  assert.equal(await mode(cacheDir), 0o700);
});
