// test tier: fast (in-process, no child processes)
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { errorCodes } from "../src/errors/error-codes.js";
import { ClickstreamError, wrapError } from "../src/errors/clickstream-error.js";

const doc = readFileSync(new URL("../../docs/errors.md", import.meta.url), "utf8");
const documented = new Map(
  [...doc.matchAll(/^\| `(CS_ERR_[A-Z0-9_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1]!, Number(m[2])]),
);

test("every catalogued code is documented in docs/errors.md with the same status", () => {
  for (const [code, def] of Object.entries(errorCodes)) {
    assert.equal(
      documented.get(code),
      def.status,
      `${code} missing or with another status in docs/errors.md`,
    );
  }
});

test("docs/errors.md documents no code the catalogue lacks", () => {
  for (const code of documented.keys())
    assert.ok(code in errorCodes, `${code} is documented but not catalogued`);
});

test("ClickstreamError carries code, status, fix and cause", () => {
  const cause = new Error("disk full");
  const error = wrapError("CS_ERR_STORAGE_IO", cause, "write raw/x");
  assert.ok(error instanceof ClickstreamError);
  assert.equal(error.code, "CS_ERR_STORAGE_IO");
  assert.equal(error.statusCode, 500);
  assert.equal(error.cause, cause);
  assert.match(error.message, /Storage I\/O failed: write raw\/x: disk full/);
  assert.match(error.fix, /free space/);
});

test("the console's wording of a fix speaks of no command line where the CLI's does", () => {
  const error = new ClickstreamError("CS_ERR_INVALID_ARGUMENT", "to before from");
  assert.match(error.fix, /--help/);
  assert.doesNotMatch(error.webFix, /clickstream|--help/);
  // Codes without a web wording keep the one fix.
  assert.equal(new ClickstreamError("CS_ERR_QUERY_SYNTAX").webFix, errorCodes.CS_ERR_QUERY_SYNTAX.fix);
});
