import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A reverse proxy in front of a real collector that answers a chosen status instead (503 for a while,
 * say), as a collector under back-pressure does. `fail` decides per request; `undefined` passes it on.
 */
export interface FaultProxy {
  readonly url: string;
  /** Requests answered with a fault so far, by path. */
  readonly faults: string[];
  /** Requests passed on so far, by path. */
  readonly passed: string[];
  close(): Promise<void>;
}

export async function startFaultProxy(
  target: string,
  fail: (method: string, path: string) => number | undefined,
): Promise<FaultProxy> {
  const faults: string[] = [];
  const passed: string[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const path = request.url ?? "/";
      const status = fail(request.method ?? "GET", path);
      const origin = request.headers.origin;
      if (status !== undefined) {
        faults.push(path);
        response
          .writeHead(status, {
            "content-type": "application/json",
            ...(origin ? { "access-control-allow-origin": origin } : {}),
          })
          .end(JSON.stringify({ error: "CS_ERR_COLLECTOR_UNAVAILABLE", message: "injected fault" }));
        return;
      }
      passed.push(path);
      const headers = Object.fromEntries(
        Object.entries(request.headers).filter(
          (e): e is [string, string] => typeof e[1] === "string" && e[0] !== "host" && e[0] !== "connection",
        ),
      );
      const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
      fetch(target + path, { method: request.method, headers, body })
        .then(async (answer) => {
          const out: Record<string, string> = {};
          answer.headers.forEach((value, name) => {
            if (name !== "content-encoding" && name !== "content-length" && name !== "transfer-encoding")
              out[name] = value;
          });
          response.writeHead(answer.status, out).end(Buffer.from(await answer.arrayBuffer()));
        })
        .catch((error: unknown) => response.writeHead(502).end(String(error)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    faults,
    passed,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
