import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after } from "node:test";

const closers: (() => Promise<void>)[] = [];
// One root-level hook closes every server (and client) this test file started.
after(async () => {
  for (const close of closers.splice(0)) await close();
});

/** One request an SDK client sent: the operation (X-Amz-Target), its JSON body and headers. */
export interface RecordedCall {
  readonly target: string;
  readonly operation: string;
  readonly body: Record<string, unknown>;
  readonly headers: IncomingHttpHeaders;
}

/** What the server answers: a status and a JSON body (`{"__type": …, "message": …}` for errors). */
interface Answer {
  readonly status?: number;
  readonly body: unknown;
}

export type Responder = (call: RecordedCall, index: number) => Answer;

/**
 * A real HTTP server for AWS JSON-protocol services (Glue, Athena): records every call and answers with
 * the response shapes the service model documents. Tests assert the exact requests the SDK sent.
 */
export async function startRecordingServer(
  respond: Responder,
): Promise<{ endpoint: string; calls: RecordedCall[]; close: () => Promise<void> }> {
  const calls: RecordedCall[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const target = String(req.headers["x-amz-target"] ?? "");
      const text = Buffer.concat(chunks).toString("utf8");
      const call: RecordedCall = {
        target,
        operation: target.split(".").pop() ?? "",
        body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
        headers: req.headers,
      };
      calls.push(call);
      let answer: Answer;
      try {
        answer = respond(call, calls.length - 1);
      } catch (error) {
        answer = { status: 500, body: { __type: "InternalServiceException", message: String(error) } };
      }
      const payload = JSON.stringify(answer.body);
      res.writeHead(answer.status ?? 200, {
        "content-type": "application/x-amz-json-1.1",
        "content-length": Buffer.byteLength(payload),
        "x-amzn-requestid": `req-${calls.length}`,
      });
      res.end(payload);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const close = async (): Promise<void> => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  closers.push(close);
  return { endpoint: `http://127.0.0.1:${port}`, calls, close };
}

/** The configuration an SDK client needs to talk to a recording server. */
export interface RecordingClientConfig {
  region: string;
  endpoint: string;
  credentials: typeof testCredentials;
  maxAttempts: number;
}

/** A fresh recording server and an SDK client pointed at it; both are closed when the test file ends. */
export async function clientOnRecordingServer<C extends { destroy(): void }>(
  makeClient: (config: RecordingClientConfig) => C,
  respond: Responder,
  region = "us-east-1",
) {
  const server = await startRecordingServer(respond);
  const client = makeClient({
    region,
    endpoint: server.endpoint,
    credentials: testCredentials,
    maxAttempts: 1,
  });
  closers.push(async () => client.destroy());
  return { server, client };
}

/** Static credentials for SDK clients pointed at a local server (nothing checks the signature). */
const testCredentials = { accessKeyId: "AKIDTEST", secretAccessKey: "test-secret" };
