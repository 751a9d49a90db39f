import { resolve } from "node:path";
import { defaultWalDir, startCollector } from "../src/collector/collector-server.js";
import { loadConfig } from "../src/config/load-config.js";
import { createStorage } from "../src/storage/create-storage.js";

/**
 * The collector as `clickstream serve` starts it, but with no AWS endpoints in front of its routes: the
 * "before" of the collector bench's router comparison. Run as a child process with the warehouse and
 * config file as arguments; prints `{"url": …}` once it listens.
 */
const [warehouse, file] = process.argv.slice(2);
const config = loadConfig({ file, overrides: { warehouse: { dir: warehouse }, collector: { port: 0 } } });
const collector = await startCollector({
  storage: createStorage(config),
  walDir: resolve(defaultWalDir(config.warehouse.dir)),
  config: config.collector,
  logger: false,
});
process.stdout.write(JSON.stringify({ url: collector.url }) + "\n");
process.on("SIGTERM", () => void collector.close().then(() => process.exit(0)));
