import { readdir } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { stagingPrefix } from "../table/commit-log.js";
import type { TableFile } from "../table/table-snapshot.js";
import type { RunContext } from "./run-context.js";

/** A staged data file: its partition path and its entry in the next snapshot. */
export interface StagedFile {
  readonly partition: string;
  readonly file: TableFile;
}

/**
 * Stages the Parquet files a COPY … PARTITION_BY wrote under `dir` for the commit: each is moved into
 * the transformed bucket's staging folder (under `folder`, the table's folder in the bucket) and listed
 * in the manifest to be published at `<folder>/<partition>/<name>`; its rows are counted from the file.
 * The events table and the sessions table are staged alike.
 */
export async function stagePartitionFiles(
  ctx: Pick<RunContext, "sql" | "storage" | "runId" | "manifest" | "tally">,
  dir: string,
  folder: "transformed" | "sessions",
): Promise<StagedFile[]> {
  const out: StagedFile[] = [];
  for (const path of await listFiles(dir)) {
    const relativeKey = relative(dir, path).split(sep).join("/");
    const partition = relativeKey.split("/").slice(0, -1).join("/");
    const name = relativeKey.split("/").at(-1)!;
    const [row] = await ctx.sql.rows(`SELECT count(*)::BIGINT AS n FROM read_parquet($file)`, { file: path });
    // Events files keep the staging layout they always had (no folder prefix).
    const staged = `${stagingPrefix("transformed", ctx.runId)}${folder === "transformed" ? "" : `${folder}/`}${relativeKey}`;
    const info = await ctx.storage.moveFileIn("transformed", staged, path);
    ctx.tally.bytesWritten += info.size;
    ctx.manifest.publish.push({ bucket: "transformed", from: staged, to: `${folder}/${relativeKey}` });
    out.push({ partition, file: { name, rows: Number(row!.n), bytes: info.size } });
  }
  return out;
}

/** Every file under a folder, at any depth, sorted (none when the folder does not exist). */
async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) out.push(p);
    }
  };
  await walk(dir);
  return out.sort();
}
