// test tier: fast (in-process, no child processes)
import assert from "node:assert/strict";
import { test } from "node:test";
import { terminalText, terminalValue } from "../../src/terminal/terminal-text.js";

test("controls, DEL, C1 and bidi overrides become visible escapes; other text is untouched", () => {
  assert.equal(terminalValue("\x1b[31mred\x1b[0m"), "\\x1b[31mred\\x1b[0m");
  assert.equal(terminalValue("\x1b]0;title\x07"), "\\x1b]0;title\\x07");
  assert.equal(terminalValue("a\x00b\x7fc\x9bd\u0085"), "a\\x00b\\x7fc\\x9bd\\x85");
  assert.equal(terminalValue("\u202Eevil\u202C \u2066x\u2069"), "\\u202eevil\\u202c \\u2066x\\u2069");
  assert.equal(terminalValue("tab\there\r\nline"), "tab\\there\\r\\nline");
  const plain = "café 東京 🚀 \u00a0 ~ \\x1b";
  assert.equal(terminalValue(plain), plain);
});

test("a block keeps its line breaks and nothing else", () => {
  assert.equal(terminalText("line 1\nline 2\x1b[2J\r\n"), "line 1\nline 2\\x1b[2J\\r\n");
});
