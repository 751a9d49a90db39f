import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// The console's front-end: built by `npm run build` into dist/console-web/, served by src/console/.
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/",
  logLevel: "warn",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: fileURLToPath(new URL("../../../dist/console-web", import.meta.url)),
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    // Chromium, Firefox and Safari all support modulepreload: no polyfill needed.
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
});
