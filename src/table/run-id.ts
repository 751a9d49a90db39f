import { randomUUID } from "node:crypto";

/** A run id: its start time (UTC, to the second) and a random suffix, `YYYYMMDD-HHMMSS-xxxxxxxx`. */
export function newRunId(startedAt: Date, suffix = ""): string {
  const stamp = startedAt.toISOString().replace(/[-:.]/g, "").replace("T", "-").slice(0, 15);
  return `${stamp}-${randomUUID().slice(0, 8)}${suffix}`;
}
