import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import fastifyStatic from "@fastify/static";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from "fastify";
import type { LiveEventSource } from "../collector/recent-events.js";
import type { ClickstreamConfig } from "../config/config-schema.js";
import { listenErrorDetail, type ListenSettingNames } from "../config/setting-names.js";
import { ClickstreamError, isClickstreamError } from "../errors/clickstream-error.js";
import type { Storage } from "../storage/storage.js";
import type { ConsoleContext } from "./console-context.js";
import {
  allowedHostHeaders,
  contentSecurityPolicy,
  installSecurity,
  isLoopbackHost,
} from "./console-security.js";
import { registerDashboardRoutes } from "./dashboard-routes.js";
import { DashboardQueries } from "./dashboard-queries.js";
import { DataQuality } from "./data-quality.js";
import { EnginePool } from "../query/engine-pool.js";
import { registerMonitorRoutes } from "./monitor-routes.js";
import { webAssetsDir } from "./package-paths.js";
import { QueryHistory } from "./query-history.js";
import { RawObjectsLiveSource } from "./raw-live-source.js";
import { ResultCache } from "./result-cache.js";
import { registerWorkbenchRoutes } from "./workbench-routes.js";
import { fastifyLogging, type LogOutput } from "../terminal/log-output.js";

export interface ConsoleServerOptions {
  storage: Storage;
  /** The validated config: `console` (defaults for host, port, token…), `query`, `catalog`, `warehouse`. */
  config: Readonly<Pick<ClickstreamConfig, "catalog" | "query" | "warehouse" | "console">>;
  /** Override `console.host` / `console.port` (port 0 = any free port) / `console.token`. */
  host?: string;
  port?: number;
  token?: string;
  /** The live panel's events; default: the newest raw objects of the warehouse. */
  liveEvents?: LiveEventSource;
  /** A pino logger, the command's log output, or false for silence (default: warnings and errors). */
  logger?: FastifyBaseLogger | LogOutput | false;
  /** What the running command calls the port and host settings (default: the config keys). */
  listenNames?: ListenSettingNames;
}

export interface RunningConsole {
  /** `http://127.0.0.1:4574`: open it in a browser (add `/?token=…` when a token is set). */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Starts the web console: the dashboard and the SQL workbench over the warehouse, with the same query
 * engine (read-only, guarded) as `clickstream query`. Listens on loopback by default; any other address
 * needs a token. `clickstream console` calls this, and so can a process that also runs the collector
 * (pass its `recentEvents` as `liveEvents`).
 */
export async function startConsoleServer(options: ConsoleServerOptions): Promise<RunningConsole> {
  const { storage, config } = options;
  const host = options.host ?? config.console.host;
  const port = options.port ?? config.console.port;
  const token = options.token ?? (config.console.token || undefined);
  const names = options.listenNames ?? { port: "console.port", host: "console.host" };
  if (!isLoopbackHost(host) && token === undefined) {
    throw new ClickstreamError(
      "CS_ERR_CONSOLE_TOKEN_REQUIRED",
      `${host} is reachable from other machines; the console serves the whole warehouse: set a token with ${names.token ?? "console.token"}, or listen on 127.0.0.1 with ${names.host}`,
    );
  }
  const pool = await EnginePool.open({ storage, config, size: config.console.queryConcurrency });
  let app: FastifyInstance | undefined;
  try {
    const quality = new DataQuality(storage);
    const context: ConsoleContext = {
      storage,
      config,
      pool,
      dashboardResults: new ResultCache(pool),
      dashboard: await DashboardQueries.load(),
      history: await QueryHistory.open(storage, config.console.historyMaxEntries),
      quality,
      live: options.liveEvents ?? new RawObjectsLiveSource(storage, quality),
    };
    app = Fastify({
      ...fastifyLogging(options.logger, "warn"),
      bodyLimit: 1024 * 1024,
      forceCloseConnections: true,
    });
    let boundPort = port;
    installSecurity(app, {
      token,
      allowedHosts: (() => {
        let cached: Set<string> | undefined;
        return () => (cached ??= allowedHostHeaders(host, boundPort, config.console.allowedHosts));
      })(),
    });
    installErrorHandlers(app);
    registerDashboardRoutes(app, context);
    registerWorkbenchRoutes(app, context);
    registerMonitorRoutes(app, context);
    await registerStaticFiles(app);
    try {
      await app.listen({ host, port });
    } catch (error) {
      throw new ClickstreamError(
        "CS_ERR_COLLECTOR_LISTEN",
        listenErrorDetail(host, port, (error as Error).message, names),
        { cause: error },
      );
    }
    const address = app.server.address() as AddressInfo;
    boundPort = address.port;
    const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
    const running = app;
    let closing: Promise<void> | undefined;
    return {
      url: `http://${shownHost}:${address.port}`,
      port: address.port,
      close: () =>
        (closing ??= (async () => {
          await running.close();
          await context.history.flushed().catch(() => undefined);
          pool.close();
        })()),
    };
  } catch (error) {
    await app?.close();
    pool.close();
    throw error;
  }
}

/** Every error answers `{code, message, fix}` (the web wording of the fix) with the catalogue's status (5xx only for faults of ours). */
function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    let failure: ClickstreamError;
    if (isClickstreamError(error)) failure = error;
    else if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      // Fastify's own refusals: a body that is not JSON, too large, a wrong content type.
      failure = new ClickstreamError("CS_ERR_INVALID_ARGUMENT", error.message, { cause: error });
    } else failure = new ClickstreamError("CS_ERR_INTERNAL", error.message, { cause: error });
    if (failure.statusCode >= 500) request.log.error({ err: error, url: request.url }, failure.message);
    const status =
      failure.code === "CS_ERR_INVALID_ARGUMENT" && error.statusCode ? error.statusCode : failure.statusCode;
    return reply.code(status).send({ code: failure.code, message: failure.message, fix: failure.webFix });
  });
  app.setNotFoundHandler((request, reply) => {
    const failure = new ClickstreamError("CS_ERR_CONSOLE_NOT_FOUND", `${request.method} ${request.url}`);
    return reply.code(404).send({ code: failure.code, message: failure.message, fix: failure.webFix });
  });
}

/**
 * The built front-end: hashed assets cached for good; the page itself always revalidated and served
 * with a fresh nonce for the editor's styles (placed in the page's `csp-nonce` meta tag).
 */
async function registerStaticFiles(app: FastifyInstance): Promise<void> {
  const indexFile = join(webAssetsDir, "index.html");
  if (!existsSync(indexFile)) {
    app.get("/", async () => {
      throw new ClickstreamError(
        "CS_ERR_INTERNAL",
        `the console's front-end is not built (${webAssetsDir} is missing): run npm run build`,
      );
    });
    return;
  }
  const page = await readFile(indexFile, "utf8");
  const servePage = async (_request: FastifyRequest, reply: FastifyReply) => {
    const nonce = randomBytes(16).toString("base64");
    return reply
      .header("content-type", "text/html; charset=utf-8")
      .header("cache-control", "no-cache")
      .header("content-security-policy", contentSecurityPolicy(nonce))
      .send(page.replace("__CSP_NONCE__", nonce));
  };
  app.get("/", servePage);
  app.get("/index.html", servePage);
  await app.register(fastifyStatic, {
    root: webAssetsDir,
    prefix: "/",
    index: false,
    wildcard: true,
    cacheControl: false,
    setHeaders: (reply, path) => {
      reply.setHeader(
        "cache-control",
        path.startsWith(join(webAssetsDir, "assets")) ? "public, max-age=31536000, immutable" : "no-cache",
      );
    },
  });
}
