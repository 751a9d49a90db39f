import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from "fastify";
import type { z } from "zod";
import { collectorConfigSchema, type CollectorConfig } from "../config/config-schema.js";
import { listenErrorDetail, type ListenSettingNames } from "../config/setting-names.js";
import { ClickstreamError, isClickstreamError } from "../errors/clickstream-error.js";
import type { EndpointRequest, ServiceEndpoints } from "../endpoints/service-endpoints.js";
import type { Storage } from "../storage/storage.js";
import { CollectorCore } from "./collector-core.js";
import type { CollectorMetrics } from "./collector-metrics.js";
import { CollectorRequestError } from "./collector-request-error.js";
import { handleEvents } from "./events-api.js";
import { RecentEvents, type LiveEventSource } from "./recent-events.js";
import { FIREHOSE_CONTENT_TYPE, handleFirehoseCall } from "./firehose-api.js";
import { signedRegion, SigV4Verifier } from "./sigv4-auth.js";
import { registerTrackerScript } from "./tracker-script.js";
import { stateKeys } from "../storage/warehouse-layout.js";
import { fastifyLogging, type LogOutput } from "../terminal/log-output.js";

export interface StartCollectorOptions {
  readonly storage: Storage;
  /** Write-ahead log root; each stream gets a sub-folder. Usually `<warehouse>/_state/collector/wal`. */
  readonly walDir: string;
  /** Overrides `config.host` / `config.port` (port 0 = any free port). */
  readonly host?: string;
  readonly port?: number;
  /** The `collector` config section (validated here; omitted keys take their defaults). */
  readonly config?: z.input<typeof collectorConfigSchema>;
  /**
   * Where the log goes: a pino logger, `false` for silence, or the command's log output (readable
   * lines or JSON, `--log-format`); default: info-level JSON lines on stdout.
   */
  readonly logger?: FastifyBaseLogger | LogOutput | false;
  /** What the running command calls the port and host settings (default: the config keys). */
  readonly listenNames?: ListenSettingNames;
  /** What the running command offers to pick another WAL folder (default: `collector.walDir`). */
  readonly walDirName?: string;
  /** Other AWS services answered on the same port (src/endpoints/): asked first about every `POST /`. */
  readonly services?: ServiceEndpoints;
}

export interface RunningCollector {
  /** Base URL, e.g. `http://127.0.0.1:4573`: the Firehose endpoint and the prefix of `/v1/events`. */
  readonly url: string;
  readonly port: number;
  readonly metrics: CollectorMetrics;
  /** The last records received or refused, newest first (the console's live panel reads it). */
  readonly recentEvents: LiveEventSource;
  /** Delivers everything acknowledged so far (seals every buffer and waits for the objects). */
  flush(): Promise<void>;
  /** Stops accepting requests, waits for in-flight ones, flushes, closes the WAL. */
  close(): Promise<void>;
}

const WRITE_KEY_HEADER = "x-clickstream-write-key";

/** The default WAL folder of a warehouse: `<warehouse>/_state/collector/wal` (process-local state). */
export function defaultWalDir(warehouseDir: string): string {
  return join(warehouseDir, stateKeys.collectorWal);
}

/** Starts a collector: recovers the WAL, then listens. Resolves once it accepts requests. */
export async function startCollector(options: StartCollectorOptions): Promise<RunningCollector> {
  const parsed = collectorConfigSchema.safeParse(options.config ?? {});
  if (!parsed.success)
    throw new ClickstreamError(
      "CS_ERR_INVALID_CONFIG",
      parsed.error.issues.map((i) => `collector.${i.path.join(".")}: ${i.message}`).join("; "),
    );
  const config: CollectorConfig = parsed.data;
  const host = options.host ?? config.host;
  const port = options.port ?? config.port;
  const app = Fastify({
    ...fastifyLogging(options.logger, "info"),
    // One line per request would dominate the CPU at thousands of requests/s; errors are logged below.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.maxBodyBytes,
    return503OnClosing: true,
    forceCloseConnections: "idle",
    genReqId: () => randomUUID(),
    // Our own server so slow clients are cut off promptly (Node checks timeouts every 30 s by default).
    serverFactory: (handler: (req: IncomingMessage, res: ServerResponse) => void) =>
      createServer(
        {
          requestTimeout: config.requestTimeoutMs,
          headersTimeout: config.requestTimeoutMs,
          keepAliveTimeout: config.keepAliveTimeoutMs,
          connectionsCheckingInterval: Math.min(1000, config.requestTimeoutMs),
          maxHeaderSize: 16 * 1024, // larger headers get 431
        },
        handler,
      ),
  });
  // The last records received, for the console's live panel.
  const recentEvents = new RecentEvents();
  const core = await CollectorCore.open({
    config,
    walDir: options.walDir,
    storage: options.storage,
    logger: app.log,
    onRecords: recentEvents,
    walDirName: options.walDirName ?? "collector.walDir",
  });
  registerRoutes(app, core, config, options.services);
  try {
    await app.listen({ host, port });
  } catch (error) {
    await core.close();
    const names = options.listenNames ?? { port: "collector.port", host: "collector.host" };
    throw new ClickstreamError(
      "CS_ERR_COLLECTOR_LISTEN",
      listenErrorDetail(host, port, (error as Error).message, names),
      { cause: error },
    );
  }
  const address = app.server.address() as AddressInfo;
  const url = `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`;
  app.log.info(
    { url, walDir: options.walDir, streams: config.streams.map((s) => s.name) },
    `collector listening on ${url}`,
  );
  let closing: Promise<void> | undefined;
  return {
    url,
    port: address.port,
    metrics: core.metrics,
    recentEvents,
    flush: () => core.flush(),
    close: () =>
      (closing ??= (async () => {
        await app.close();
        await options.services?.close();
        await core.close();
        app.log.info("collector stopped; every acknowledged record is delivered or kept in the WAL");
      })()),
  };
}

function registerRoutes(
  app: FastifyInstance,
  core: CollectorCore,
  config: CollectorConfig,
  services: ServiceEndpoints | undefined,
): void {
  const verifier = new SigV4Verifier(config.accessKeys, config.region);
  const writeKeys = new Set(config.writeKeys);
  const origins = new Set(config.corsAllowedOrigins);
  const eventsStream = core.streams.get(config.eventsStream)!;

  // Bodies arrive raw: each API decides how to read them (and SigV4 needs the exact bytes).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => done(null, body));

  app.setErrorHandler((error, request, reply) => {
    const failure = toRequestError(error);
    if (failure.code === "CS_ERR_COLLECTOR_UNAVAILABLE")
      request.log.warn({ code: failure.code, url: request.url, status: failure.status }, failure.message);
    else if (failure.status >= 500)
      request.log.error({ code: failure.code, url: request.url, err: error }, failure.message);
    else request.log.info({ code: failure.code, url: request.url, status: failure.status }, failure.message);
    if (isFirehose(request)) return sendFirehoseError(reply, failure);
    // A browser reads an error (401, 413, 503, …) only with the CORS header; without it a tracker sees a
    // network error and cannot tell "retry later" from "never".
    const origin = request.headers.origin;
    if (origin !== undefined && corsAllows(origins, origin))
      reply.header("access-control-allow-origin", origin).header("vary", "Origin");
    return reply
      .code(failure.status)
      .send({ error: failure.code, message: failure.detail, fix: failure.fix });
  });
  // Paths of no collector route may be another service's (S3's buckets): theirs to answer.
  const answerOther = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const answer = services ? await services.handle(endpointRequest(request, verifier)) : undefined;
    if (answer) {
      servedBy.set(request, answer.service);
      return reply.code(answer.status).headers(answer.headers).send(answer.body);
    }
    return reply.code(404).send({
      error: "CS_ERR_COLLECTOR_NOT_FOUND",
      message: `${request.method} ${request.url} is not an endpoint of the collector`,
      fix: new CollectorRequestError("CS_ERR_COLLECTOR_NOT_FOUND", "").fix,
    });
  };
  app.setNotFoundHandler(answerOther);
  // Uploads (S3 PutObject, UploadPart) may be larger than the collector's own requests.
  if (services?.maxPutBodyBytes !== undefined && services.maxPutBodyBytes > config.maxBodyBytes)
    app.put("/*", { bodyLimit: services.maxPutBodyBytes }, answerOther);
  app.addHook("onResponse", (request, reply, done) => {
    core.metrics.answered(apiOf(request), reply.statusCode);
    done();
  });

  app.post("/", async (request, reply) => {
    if (services) {
      const answer = await services.handle(endpointRequest(request, verifier));
      if (answer) {
        servedBy.set(request, answer.service);
        return reply.code(answer.status).headers(answer.headers).send(answer.body);
      }
    }
    const type = request.headers["content-type"]?.split(";")[0]?.trim().toLowerCase();
    if (type !== FIREHOSE_CONTENT_TYPE && type !== "application/json")
      throw new CollectorRequestError(
        "CS_ERR_COLLECTOR_UNSUPPORTED_MEDIA_TYPE",
        `Content-Type must be ${FIREHOSE_CONTENT_TYPE}`,
      );
    const body = (request.body as Buffer | undefined) ?? Buffer.alloc(0);
    if (verifier.enabled)
      await verifier.verify({ method: request.method, url: request.url, headers: request.headers, body });
    const region = signedRegion(request.headers) ?? "us-east-1";
    const target = request.headers["x-amz-target"];
    const result = await handleFirehoseCall(core, Array.isArray(target) ? target[0] : target, body, region);
    return reply
      .header("content-type", FIREHOSE_CONTENT_TYPE)
      .header("x-amzn-requestid", request.id)
      .send(Buffer.from(JSON.stringify(result))); // a Buffer: fastify adds no charset, AWS sends none
  });

  app.options("/v1/events", async (request, reply) => {
    const origin = request.headers.origin;
    if (!origin || !corsAllows(origins, origin))
      throw new CollectorRequestError(
        "CS_ERR_COLLECTOR_FORBIDDEN",
        `origin ${JSON.stringify(origin ?? "")} is not in collector.corsAllowedOrigins`,
      );
    return reply
      .code(204)
      .headers({
        "access-control-allow-origin": origin,
        "access-control-allow-methods": "POST, OPTIONS",
        "access-control-allow-headers": `content-type, content-encoding, ${WRITE_KEY_HEADER}`,
        "access-control-max-age": "600",
        vary: "Origin",
      })
      .send();
  });

  app.post("/v1/events", async (request, reply) => {
    const origin = request.headers.origin;
    if (origin !== undefined) {
      // Browsers send Origin on cross-origin POSTs (sendBeacon included); refuse the ones not allowed
      // so an unlisted site cannot write events, even with a simple request that skips preflight.
      if (!corsAllows(origins, origin))
        throw new CollectorRequestError(
          "CS_ERR_COLLECTOR_FORBIDDEN",
          `origin ${JSON.stringify(origin)} is not in collector.corsAllowedOrigins`,
        );
      reply.header("access-control-allow-origin", origin).header("vary", "Origin");
    }
    if (writeKeys.size > 0) {
      const fromHeader = request.headers[WRITE_KEY_HEADER];
      const key = (Array.isArray(fromHeader) ? fromHeader[0] : fromHeader) ?? queryWriteKey(request);
      if (!key || !writeKeys.has(key))
        throw new CollectorRequestError(
          "CS_ERR_COLLECTOR_UNAUTHORIZED",
          key ? "unknown write key" : `missing write key (header ${WRITE_KEY_HEADER} or ?writeKey=)`,
        );
    }
    const result = await handleEvents(core, eventsStream, {
      contentType: request.headers["content-type"],
      contentEncoding: request.headers["content-encoding"],
      userAgent: request.headers["user-agent"],
      mobileHint: String(request.headers["sec-ch-ua-mobile"] ?? ""),
      body: (request.body as Buffer | undefined) ?? Buffer.alloc(0),
    });
    return reply.send(result);
  });

  registerTrackerScript(app);

  app.get("/healthz", async () => ({
    status: "ok",
    streams: [...core.streams.values()].map((s) => s.stats()),
    bufferBytes: core.budget.usedBytes,
    maxBufferBytes: core.budget.maxBytes,
  }));

  app.get("/metrics", async (_request, reply) =>
    reply
      .header("content-type", core.metrics.registry.contentType)
      .send(await core.metrics.registry.metrics()),
  );
}

/** What the other services see of a request, with the SigV4 check for their signing name. */
function endpointRequest(request: FastifyRequest, verifier: SigV4Verifier): EndpointRequest {
  const body = (request.body as Buffer | undefined) ?? Buffer.alloc(0);
  const { method, url, headers } = request;
  return {
    method,
    url,
    headers,
    body,
    id: request.id,
    verify: (service) =>
      verifier.enabled ? verifier.verify({ method, url, headers, body }, service) : Promise.resolve(),
  };
}

/** Requests another service answered (src/endpoints/), by its name: counted as that API, not Firehose. */
const servedBy = new WeakMap<FastifyRequest, string>();

function isFirehose(request: FastifyRequest): boolean {
  return request.method === "POST" && request.url.split("?")[0] === "/";
}

function apiOf(request: FastifyRequest): string {
  const service = servedBy.get(request);
  if (service !== undefined) return service;
  if (isFirehose(request)) return "firehose";
  const path = request.url.split("?")[0];
  if (path === "/tracker.js") return "tracker";
  return path === "/v1/events" ? "events" : path === "/metrics" || path === "/healthz" ? "admin" : "other";
}

function corsAllows(origins: Set<string>, origin: string): boolean {
  return origins.has("*") || origins.has(origin);
}

function queryWriteKey(request: FastifyRequest): string | undefined {
  const query = request.query as Record<string, unknown> | undefined;
  const value = query?.writeKey;
  return typeof value === "string" ? value : undefined;
}

function sendFirehoseError(reply: FastifyReply, failure: CollectorRequestError): FastifyReply {
  return reply
    .code(failure.firehoseStatus)
    .header("content-type", FIREHOSE_CONTENT_TYPE)
    .header("x-amzn-errortype", failure.firehoseType)
    .header("x-amzn-requestid", reply.request.id)
    .send(Buffer.from(JSON.stringify({ __type: failure.firehoseType, message: failure.detail })));
}

/** Maps fastify's own errors (body limit, content length, …) to catalogue codes. */
function toRequestError(error: unknown): CollectorRequestError {
  if (error instanceof CollectorRequestError) return error;
  if (isClickstreamError(error)) return new CollectorRequestError(error.code, error.message);
  const e = error as { code?: string; statusCode?: number; message?: string };
  switch (e.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new CollectorRequestError("CS_ERR_COLLECTOR_BODY_TOO_LARGE", e.message ?? "body too large");
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new CollectorRequestError("CS_ERR_COLLECTOR_UNSUPPORTED_MEDIA_TYPE", e.message ?? "media type");
    default:
      if (e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500)
        return new CollectorRequestError("CS_ERR_COLLECTOR_BAD_REQUEST", e.message ?? "bad request");
      return new CollectorRequestError("CS_ERR_INTERNAL", e.message ?? String(error), "InternalFailure", 500);
  }
}
