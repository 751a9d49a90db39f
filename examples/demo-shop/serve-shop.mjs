#!/usr/bin/env node
// Serves the demo shop on its own origin, pointing its tracker at a collector:
//   node examples/demo-shop/serve-shop.mjs [--port 8080] [--collector http://127.0.0.1:4573]
// Paths without a file are the single-page app (index.html). Prints one line: "demo shop on http://…".
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: { port: { type: "string", default: "8080" }, collector: { type: "string", default: "" } },
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`serve-shop: --port must be 0–65535, got ${values.port}`);
  process.exit(2);
}
const collector = values.collector.replace(/\/+$/, "");
const folder = new URL("./", import.meta.url);

const server = createServer(async (request, response) => {
  const path = new URL(request.url ?? "/", "http://shop").pathname;
  const file = path === "/about.html" ? "about.html" : "index.html"; // every other path is an SPA route
  try {
    let html = await readFile(new URL(file, folder), "utf8");
    if (collector) html = html.replaceAll("http://127.0.0.1:4573", collector);
    response.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-cache" });
    response.end(html);
  } catch (error) {
    response.writeHead(500, { "content-type": "text/plain" }).end(String(error));
  }
});
server.listen(port, "127.0.0.1", () => {
  console.log(`demo shop on http://127.0.0.1:${server.address().port}`);
});
for (const signal of ["SIGINT", "SIGTERM"]) process.once(signal, () => server.close(() => process.exit(0)));
