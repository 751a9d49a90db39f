import { setTimeout as sleep } from "node:timers/promises";
import { ClickstreamError } from "../errors/clickstream-error.js";

/** Polling of a long-running AWS operation: check every `intervalMs` until done or `timeoutMs` passes. */
export interface PollOptions {
  /** Time between two status calls. */
  readonly pollIntervalMs?: number;
  /** Give up (the operation goes on in AWS) after this long; 0 = never. */
  readonly timeoutMs?: number;
}

/**
 * Calls `check` until it returns a value (done) or the timeout passes (CS_ERR_AWS_TIMEOUT naming `what`).
 * The first check happens at once, so fast operations cost no wait.
 */
export async function pollUntil<T>(
  what: string,
  options: PollOptions & { defaultIntervalMs: number },
  check: (elapsedMs: number) => Promise<T | undefined>,
): Promise<T> {
  const interval = options.pollIntervalMs ?? options.defaultIntervalMs;
  const timeout = options.timeoutMs ?? 0;
  const started = Date.now();
  for (;;) {
    const elapsed = Date.now() - started;
    const done = await check(elapsed);
    if (done !== undefined) return done;
    if (timeout > 0 && Date.now() - started + interval > timeout) {
      throw new ClickstreamError("CS_ERR_AWS_TIMEOUT", `${what} still running after ${timeout} ms`);
    }
    await sleep(interval);
  }
}
