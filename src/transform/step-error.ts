import { ClickstreamError } from "../errors/clickstream-error.js";

/** errno codes that mean the device (or the user's quota on it) is full. */
const fullCodes = new Set(["ENOSPC", "EDQUOT"]);
// DuckDB reports a full disk as text only (its IO errors carry no errno).
const fullText = /No space left on device|ENOSPC|Disk quota exceeded/i;

function isDiskFull(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if ((code !== undefined && fullCodes.has(code)) || fullText.test(e.message)) return true;
  }
  return false;
}

/**
 * The error a failed step of a run throws: named after the step, so the operator knows where the run
 * stopped (nothing was published either way). A full disk gets a code of its own, whose fix says where
 * space is needed; an error that already carries a code keeps it.
 */
export function stepError(step: string, error: unknown): ClickstreamError {
  if (error instanceof ClickstreamError && error.code === "CS_ERR_TRANSFORM_DISK_FULL") return error;
  const message = error instanceof Error ? error.message : String(error);
  if (isDiskFull(error))
    return new ClickstreamError("CS_ERR_TRANSFORM_DISK_FULL", `step "${step}": ${message}`, { cause: error });
  if (error instanceof ClickstreamError) return error;
  return new ClickstreamError("CS_ERR_TRANSFORM_FAILED", `step "${step}": ${message}`, { cause: error });
}

/** Runs one step of a run; a failure is a `stepError` naming it. Its wall time adds to `timings[step]`. */
export async function runStep<T>(
  step: string,
  work: () => Promise<T>,
  timings?: Record<string, number>,
): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } catch (error) {
    throw stepError(step, error);
  } finally {
    if (timings) timings[step] = Math.round((timings[step] ?? 0) + performance.now() - started);
  }
}
