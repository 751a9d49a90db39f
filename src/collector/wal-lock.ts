import { mkdir, open, readFile, unlink } from "node:fs/promises";
import { join } from "node:path";
import { ClickstreamError, wrapError } from "../errors/clickstream-error.js";

/**
 * One collector per WAL folder: two processes appending to and delivering the same segments would
 * deliver records twice. The lock file holds the owner's pid; a lock whose process is gone (a crash)
 * is taken over.
 */
export async function acquireWalLock(walDir: string): Promise<() => Promise<void>> {
  const path = join(walDir, "collector.lock");
  try {
    await mkdir(walDir, { recursive: true });
  } catch (error) {
    throw wrapError("CS_ERR_COLLECTOR_WAL", error, `create ${walDir}`);
  }
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(path, "wx");
      await handle.writeFile(String(process.pid));
      await handle.close();
      return async () => {
        await unlink(path).catch(() => undefined);
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST")
        throw wrapError("CS_ERR_COLLECTOR_WAL", error, `lock ${path}`);
    }
    const owner = Number((await readFile(path, "utf8").catch(() => "")).trim());
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner))
      throw new ClickstreamError(
        "CS_ERR_COLLECTOR_WAL",
        `${walDir} is in use by another collector (pid ${owner}); stop it or use another --wal-dir`,
      );
    if (owner === process.pid)
      throw new ClickstreamError(
        "CS_ERR_COLLECTOR_WAL",
        `${walDir} is in use by another collector in this process`,
      );
    await unlink(path).catch(() => undefined); // stale: its process is gone
  }
  throw new ClickstreamError("CS_ERR_COLLECTOR_WAL", `cannot lock ${walDir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
