import { createServer } from "node:http";

/**
 * The ceiling for the collector benchmark: a bare node:http server that only reads each body and
 * `JSON.parse`s it. Run as a child process; prints `{"url": …}` once it listens.
 */
const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => {
    try {
      JSON.parse(Buffer.concat(chunks).toString("utf8"));
      response.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
    } catch {
      response.writeHead(400).end();
    }
  });
});
server.keepAliveTimeout = 72_000;
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  if (address && typeof address === "object")
    process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${address.port}` }) + "\n");
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
