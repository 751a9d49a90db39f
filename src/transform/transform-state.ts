import type { Storage } from "../storage/storage.js";

/** Job bookmarks, as Glue keeps them: which raw objects earlier runs have processed. */
export interface TransformState {
  /** Keys of processed raw objects, sorted. */
  processed: string[];
}

export const stateKey = "_state/transform/bookmarks.json";

export async function loadTransformState(storage: Storage): Promise<TransformState> {
  if (!(await storage.stat("state", stateKey))) return { processed: [] };
  const parsed = JSON.parse(
    (await storage.readBytes("state", stateKey)).toString("utf8"),
  ) as Partial<TransformState>;
  return { processed: Array.isArray(parsed.processed) ? parsed.processed : [] };
}
