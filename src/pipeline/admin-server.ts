import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ClickstreamError } from "../errors/clickstream-error.js";
import type { RunScheduler } from "./run-scheduler.js";

export interface AdminServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The pipeline's admin endpoint, on the loopback interface only (it needs no credentials, so it never
 * shares the collector's public port): `POST /run` starts a run now (202), `GET /status` shows the
 * schedule and the last runs. Requests whose Host is not the loopback address are refused, so a web page
 * cannot reach it through DNS rebinding.
 */
function errorBody(code: "CS_ERR_PIPELINE_ADMIN_HOST" | "CS_ERR_PIPELINE_ADMIN_ROUTE", detail: string) {
  const error = new ClickstreamError(code, detail);
  return { code, message: error.message, fix: error.fix };
}

export async function startAdminServer(scheduler: RunScheduler, port: number): Promise<AdminServer> {
  const host = "127.0.0.1";
  const server: Server = createServer((req, res) => {
    const reply = (status: number, body: unknown): void => {
      res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
      res.end(`${JSON.stringify(body, null, 2)}\n`);
    };
    const hostHeader = (req.headers.host ?? "").replace(/:\d+$/, "");
    if (hostHeader !== host && hostHeader !== "localhost") {
      return reply(
        403,
        errorBody("CS_ERR_PIPELINE_ADMIN_HOST", `Host ${hostHeader} is not this admin endpoint`),
      );
    }
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/run" && req.method === "POST") {
      const queued = scheduler.busy;
      scheduler.trigger("admin");
      return reply(202, { accepted: true, queuedAfterRunInProgress: queued });
    }
    if (path === "/status" && req.method === "GET") {
      return reply(200, {
        running: scheduler.busy,
        nextRunAt: scheduler.nextRunAt?.toISOString() ?? null,
        runs: scheduler.history.slice(-10),
      });
    }
    reply(404, errorBody("CS_ERR_PIPELINE_ADMIN_ROUTE", `${req.method} ${path}`));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error) =>
      reject(new ClickstreamError("CS_ERR_PIPELINE_ADMIN_LISTEN", `${host}:${port}: ${error.message}`)),
    );
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
