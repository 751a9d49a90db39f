/**
 * The query worker: a child process hosting one DuckDBSession, so that whatever a query does inside DuckDB
 * (huge values, an operator that ignores interrupts, a crash) costs this process only: its memory is capped
 * and the parent kills it at the deadline. Messages come from query-worker-client.ts over the IPC channel
 * (worker-protocol.ts).
 */
import { rmSync } from "node:fs";
import { isClickstreamError, wrapError } from "../errors/clickstream-error.js";
import { DuckDBSession } from "./duckdb-session.js";
import type { WorkerReply, WorkerRequest } from "./worker-protocol.js";

let session: DuckDBSession | undefined;
let tempRoot: string | undefined;

async function handle(request: WorkerRequest): Promise<unknown> {
  if (request.op === "open") {
    session?.close();
    session = undefined;
    tempRoot = request.settings.tempRoot;
    session = await DuckDBSession.open(request.tables, request.settings);
    return [...session.refused];
  }
  if (!session) throw new Error("the query worker has no open session");
  if (request.op === "interrupt") return session.interrupt();
  await session.check(request.checks);
  return session.execute(request.sql, request.limits, request.params);
}

process.on("message", (request: WorkerRequest) => {
  if (request.op === "interrupt") {
    session?.interrupt();
    return;
  }
  handle(request).then(
    (value) => process.send?.({ id: request.id, ok: true, value } satisfies WorkerReply),
    (error: unknown) => {
      const e = isClickstreamError(error) ? error : wrapError("CS_ERR_INTERNAL", error, "query worker");
      process.send?.({
        id: request.id,
        ok: false,
        error: { code: e.code, message: e.message },
      } satisfies WorkerReply);
    },
  );
});
// The parent went away (or closed us): nothing left to serve, nobody else to clean up.
process.on("disconnect", () => {
  session?.close();
  if (tempRoot) rmSync(tempRoot, { recursive: true, force: true });
  process.exit(0);
});
