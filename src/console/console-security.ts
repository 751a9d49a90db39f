import { createHash, timingSafeEqual } from "node:crypto";
import { isIP } from "node:net";
import { hostname, networkInterfaces } from "node:os";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { ClickstreamError } from "../errors/clickstream-error.js";

/** The cookie that carries the token after `/?token=…` (HttpOnly, SameSite=Strict: no script or other site sees it). */
const tokenCookie = "clickstream_console_token";

/**
 * What the browser may do with the console's pages: scripts, styles and data from the console only, no
 * framing, no plugins, no form posts elsewhere. The page's nonce admits the `<style>` elements the
 * editor (CodeMirror) creates, and nothing else inline.
 */
export function contentSecurityPolicy(styleNonce?: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    styleNonce ? `style-src 'self' 'nonce-${styleNonce}'` : "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

const securityHeaders: Record<string, string> = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
};

/** True for 127.0.0.0/8, ::1 and `localhost`: addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (bare === "localhost" || bare.endsWith(".localhost")) return true;
  if (isIP(bare) === 4) return bare.startsWith("127.");
  return bare === "::1" || bare === "::ffff:127.0.0.1";
}

const isWildcard = (host: string): boolean => ["0.0.0.0", "::", "[::]"].includes(host);

/**
 * The `Host` values the console answers to: loopback names, the address it listens on (every local
 * interface and the machine's name when that is a wildcard), and the configured extra names, each
 * with and without the port. Anything else is a request for another site (DNS rebinding).
 */
export function allowedHostHeaders(listenHost: string, port: number, extra: readonly string[]): Set<string> {
  const names = new Set(["127.0.0.1", "localhost", "[::1]", ...extra]);
  if (isWildcard(listenHost)) {
    names.add(hostname());
    for (const list of Object.values(networkInterfaces())) {
      for (const address of list ?? [])
        names.add(address.family === "IPv6" ? `[${address.address}]` : address.address);
    }
  } else {
    names.add(isIP(listenHost) === 6 ? `[${listenHost}]` : listenHost);
  }
  const out = new Set<string>();
  for (const name of names) {
    out.add(name.toLowerCase());
    out.add(`${name.toLowerCase()}:${port}`);
  }
  return out;
}

export interface SecurityOptions {
  /** `Host` header values accepted (allowedHostHeaders). */
  allowedHosts: () => ReadonlySet<string>;
  /** The shared secret, or undefined when the console is open (loopback only). */
  token: string | undefined;
}

/**
 * Installs the console's guards, in order: the Host check (DNS rebinding), the token (cookie, bearer
 * header, or `?token=` once on a page, which sets the cookie and redirects to the same page without it),
 * the Origin check on anything but GET/HEAD (cross-site requests), and the security headers on every answer.
 */
export function installSecurity(app: FastifyInstance, options: SecurityOptions): void {
  const expected = options.token === undefined ? undefined : digest(options.token);
  const tokenMatches = (given: string | undefined): boolean =>
    expected !== undefined && given !== undefined && timingSafeEqual(digest(given), expected);

  app.addHook("onRequest", async (request: FastifyRequest, reply: FastifyReply) => {
    const host = (request.headers.host ?? "").toLowerCase();
    if (!options.allowedHosts().has(host)) {
      throw new ClickstreamError(
        "CS_ERR_CONSOLE_HOST_REFUSED",
        `Host ${JSON.stringify(host)} is not this console`,
      );
    }
    if (expected !== undefined) {
      const url = new URL(request.url, "http://console.invalid");
      const fromQuery = url.searchParams.get("token") ?? undefined;
      if (fromQuery !== undefined && request.method === "GET" && !url.pathname.startsWith("/api/")) {
        if (!tokenMatches(fromQuery))
          throw new ClickstreamError("CS_ERR_CONSOLE_UNAUTHORIZED", "wrong token");
        url.searchParams.delete("token");
        const cookie = `${tokenCookie}=${encodeURIComponent(fromQuery)}; HttpOnly; SameSite=Strict; Path=/`;
        return reply.header("set-cookie", cookie).redirect(`${samePath(url.pathname)}${url.search}`, 303);
      }
      const bearer = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? "")?.[1];
      if (!tokenMatches(bearer) && !tokenMatches(cookieValue(request.headers.cookie, tokenCookie))) {
        throw new ClickstreamError(
          "CS_ERR_CONSOLE_UNAUTHORIZED",
          `${request.method} ${url.pathname} without the console's token`,
        );
      }
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      const origin = request.headers.origin;
      if (origin !== undefined && origin !== `http://${host}`) {
        throw new ClickstreamError("CS_ERR_CONSOLE_ORIGIN_REFUSED", `Origin ${origin} is not this console`);
      }
      const site = request.headers["sec-fetch-site"];
      if (site !== undefined && site !== "same-origin" && site !== "none") {
        throw new ClickstreamError("CS_ERR_CONSOLE_ORIGIN_REFUSED", `a ${site} request`);
      }
    }
  });

  app.addHook("onSend", async (_request, reply, payload) => {
    for (const [name, value] of Object.entries(securityHeaders)) reply.header(name, value);
    // The page sets its own policy (with its nonce); everything else gets the strict one.
    if (!reply.hasHeader("content-security-policy")) {
      reply.header("content-security-policy", contentSecurityPolicy());
    }
    return payload;
  });
}

/**
 * The path as a redirect target that stays on the console: leading slashes and backslashes collapse into one
 * `/`, since a browser reads `//host` and `/\host` in a Location header as another site (open redirect).
 */
function samePath(pathname: string): string {
  return `/${pathname.replace(/^[/\\]+/, "")}`;
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) {
      try {
        return decodeURIComponent(rest.join("="));
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}
