import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ClickstreamError } from "../errors/clickstream-error.js";
import type { RunScheduler } from "./run-scheduler.js";

/** What the endpoint uses of the scheduler. */
export type AdminScheduler = Pick<RunScheduler, "busy" | "nextRunAt" | "history" | "trigger">;

export interface AdminServer {
  readonly url: string;
  close(): Promise<void>;
}

/** The header `POST /run` must carry: a page of another site cannot send it without a preflight we never grant. */
const adminRequestHeader = "x-clickstream-admin";

type AdminErrorCode =
  "CS_ERR_PIPELINE_ADMIN_HOST" | "CS_ERR_PIPELINE_ADMIN_ROUTE" | "CS_ERR_PIPELINE_ADMIN_CROSS_SITE";

function errorBody(code: AdminErrorCode, detail: string) {
  const error = new ClickstreamError(code, detail);
  return { code, message: error.message, fix: error.fix };
}

/**
 * Why a `POST` is not a script's on this machine, or undefined when it is: it must carry
 * `X-Clickstream-Admin: 1` (a form or a no-cors fetch cannot), and any Origin or Sec-Fetch-Site must say
 * it comes from the endpoint itself (cross-site request forgery).
 */
function crossSiteReason(req: IncomingMessage): string | undefined {
  if (req.headers[adminRequestHeader] !== "1") return `no ${adminRequestHeader}: 1 header`;
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${req.headers.host ?? ""}`) return `Origin ${origin}`;
  const site = req.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin" && site !== "none") return `a ${site} request`;
  return undefined;
}

/**
 * The pipeline's admin endpoint, on the loopback interface only (it needs no credentials, so it never
 * shares the collector's public port): `POST /run` starts a run now (202), `GET /status` shows the
 * schedule and the last runs. Requests whose Host is not the loopback address are refused, so a web page
 * cannot reach it through DNS rebinding; runs are started only by scripts (crossSiteReason).
 */
export async function startAdminServer(scheduler: AdminScheduler, port: number): Promise<AdminServer> {
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
      const refused = crossSiteReason(req);
      if (refused !== undefined) {
        return reply(403, errorBody("CS_ERR_PIPELINE_ADMIN_CROSS_SITE", `POST /run refused: ${refused}`));
      }
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
