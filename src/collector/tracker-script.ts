import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { gzipSync } from "node:zlib";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { CollectorRequestError } from "./collector-request-error.js";

/** The script tag's build (`npm run build` → scripts/build-tracker.mjs), next to this file's build. */
export const trackerScriptUrl = new URL("../../tracker/tracker.js", import.meta.url);

/** Browsers revalidate after this long (the ETag makes that a 304), so a new build spreads within minutes. */
const maxAgeSeconds = 300;

interface ScriptVariants {
  readonly etag: string;
  readonly plain: Buffer;
  readonly gzip: Buffer;
}

/**
 * `GET /tracker.js` (and HEAD): the minified tracker, gzipped once when the client accepts it, with an
 * ETag (304 on `If-None-Match`) and a short max-age. Readable from any origin (it is public code), so a page
 * can load it with `crossorigin`, Subresource Integrity, or under `Cross-Origin-Embedder-Policy`.
 */
export function registerTrackerScript(app: FastifyInstance, scriptUrl: URL = trackerScriptUrl): void {
  let loaded: Promise<ScriptVariants> | undefined;
  const load = (): Promise<ScriptVariants> =>
    (loaded ??= readFile(scriptUrl).then(
      (plain) => ({
        plain,
        gzip: gzipSync(plain, { level: 9 }),
        etag: `"${createHash("sha256").update(plain).digest("base64url").slice(0, 22)}"`,
      }),
      (error: unknown) => {
        loaded = undefined; // built later? look again next time
        throw new CollectorRequestError(
          "CS_ERR_COLLECTOR_TRACKER_MISSING",
          `${scriptUrl.pathname}: ${(error as Error).message}`,
        );
      },
    ));

  app.get("/tracker.js", async (request: FastifyRequest, reply: FastifyReply) => {
    const script = await load();
    const gzip = /\bgzip\b(?!\s*;\s*q=0(?:\.0*)?\b)/.test(String(request.headers["accept-encoding"] ?? ""));
    // Weak: the gzip and plain bodies differ in bytes but are the same script.
    const etag = `W/${script.etag}`;
    reply.headers({
      "content-type": "text/javascript; charset=utf-8",
      "cache-control": `public, max-age=${maxAgeSeconds}`,
      etag,
      vary: "Accept-Encoding",
      "access-control-allow-origin": "*",
      "cross-origin-resource-policy": "cross-origin",
    });
    const known = String(request.headers["if-none-match"] ?? "")
      .split(",")
      .map((tag) => tag.trim().replace(/^W\//, ""));
    if (known.includes(script.etag) || known.includes("*")) return reply.code(304).send();
    if (gzip) reply.header("content-encoding", "gzip");
    return reply.send(gzip ? script.gzip : script.plain);
  });
}
