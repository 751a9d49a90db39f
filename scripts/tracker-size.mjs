// Where the script tag tracker's gzipped bytes go: builds dist/tracker/tracker.js's way (esbuild, then terser
// with build-tracker.mjs's options), then again with one feature at a time cut out of a scratch copy of
// src/tracker/, and prints what each feature costs. The features stay; this measures them (issue 17).
//
//   node scripts/tracker-size.mjs
import { build } from "esbuild";
import { minify } from "terser";
import { gzipSync } from "node:zlib";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
/** Gzipped bytes (level 9) of the script tag build of the tracker sources in `dir`. */
const size = async (dir) => {
  const iife = await build({
    bundle: true,
    target: "es2020",
    platform: "browser",
    legalComments: "none",
    entryPoints: [`${dir}/script-tag-entry.ts`],
    format: "iife",
    minify: true,
    write: false,
    logLevel: "error",
  });
  const code = (
    await minify(iife.outputFiles[0].text, {
      ecma: 2020,
      module: false,
      toplevel: true,
      compress: { passes: 3, unsafe_arrows: true },
      format: { comments: false },
    })
  ).code;
  return gzipSync(code, { level: 9 }).length;
};
/** Replaces `from` (which must be there) with `to` in one file of the scratch copy. */
const edit = (dir, file, from, to) => {
  const p = `${dir}/${file}`;
  const s = readFileSync(p, "utf8");
  if (!s.includes(from)) throw new Error(`${file}: not found: ${from.slice(0, 60)}`);
  writeFileSync(p, s.replace(from, to));
};
/** Each feature, and how to cut it out (the rest of the tracker unchanged). */
const variants = {
  "tab ownership (sessionStorage, lease, release at pagehide)": (d) =>
    writeFileSync(
      `${d}/queue-ownership.ts`,
      `export type QueueOwnership = readonly [string, (key: string) => boolean, () => void];\nexport function queueOwnership(_store: unknown): QueueOwnership { return ["o", () => true, () => {}]; }\n`,
    ),
  "backoff with jitter": (d) =>
    edit(
      d,
      "create-tracker.ts",
      "timer = setTimeout(flush, Math.random() * Math.min(retryMaxMs, retryBaseMs * 2 ** attempt++));",
      "timer = setTimeout(flush, batchMs); attempt = 1;",
    ),
  "health event": (d) => {
    edit(
      d,
      "create-tracker.ts",
      `    if (Object.keys(health)[0]) {
      const report = health;
      health = {};
      track("tracker_health", report); // goes with this batch: no timer of its own (a 401 would loop)
    }`,
      "",
    );
    edit(
      d,
      "create-tracker.ts",
      `        count("errors", 1);
        health.last_error = String(error).slice(0, 200);`,
      "",
    );
    edit(
      d,
      "create-tracker.ts",
      `  const count = (name: string, n: number): void => {
    if (n > 0) health[name] = ((health[name] as number) || 0) + n;
  };`,
      "  const count = (name: string, n: number): void => {};",
    );
  },
  "URL redaction": (d) =>
    edit(
      d,
      "page-context.ts",
      "export function urlRedactor(pattern: string): (url: string) => string {",
      "export function urlRedactor(pattern: string): (url: string) => string { return (u) => u;",
    ),
  "SPA history + popstate/hashchange": (d) =>
    edit(d, "create-tracker.ts", "    if (auto) {\n      const routed", "    if (0) {\n      const routed"),
  "bfcache pageshow": (d) =>
    edit(
      d,
      "create-tracker.ts",
      `    addEventListener(
      "pageshow",`,
      `    0 && addEventListener(
      "pageshow",`,
    ),
  "keepalive budget": (d) =>
    edit(
      d,
      "create-tracker.ts",
      "const keepalive = bytes <= batchBytes - keepaliveBytes;",
      "const keepalive = true;",
    ),
};
const base = await size("src/tracker");
console.log(`tracker.js: ${base} B gzipped (goal 2,560 B)`);
for (const [name, apply] of Object.entries(variants)) {
  const dir = mkdtempSync(join(tmpdir(), "clickstream-tracker-size-"));
  try {
    cpSync("src/tracker", dir, { recursive: true });
    apply(dir);
    console.log(`  ${name}: ${base - (await size(dir))} B`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
