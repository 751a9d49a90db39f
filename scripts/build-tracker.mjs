// Builds the browser tracker (src/tracker/) with esbuild, after `tsc` has type-checked it:
//   dist/tracker/tracker.js   the script tag's IIFE, minified (what the collector serves at GET /tracker.js)
//   dist/tracker/tracker.mjs  the ES module `clickstream/tracker` for bundlers (they minify it themselves)
import { build } from "esbuild";

const common = {
  bundle: true,
  target: "es2020",
  platform: "browser",
  legalComments: "none",
  logLevel: "warning",
};
await build({
  ...common,
  entryPoints: ["src/tracker/script-tag-entry.ts"],
  outfile: "dist/tracker/tracker.js",
  format: "iife",
  minify: true,
});
await build({
  ...common,
  entryPoints: ["src/tracker/tracker-module.ts"],
  outfile: "dist/tracker/tracker.mjs",
  format: "esm",
});
