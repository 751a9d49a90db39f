// test tier: fast (in-process, no child processes)
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { arrayElementTexts, compactJson } from "../../src/collector/json-span-scanner.js";

describe("the JSON span scanner", () => {
  it("finds each array element as written, whatever its strings, nesting and whitespace hold", () => {
    const elements = [
      '{"a":"x, y ] } {\\" [","b":[1,[2,{"c":"\\\\"}]],"n":-0.0e+10}',
      '"\\\\"',
      "[]",
      "{}",
      '{"id":18446744073709551615,"k":1,"k":2,"u":"é😀\\u2028"}',
      "null",
      "1.50",
    ];
    const text = `[ \r\n${elements.join(" ,\n\t")}\n ]`;
    assert.equal(JSON.parse(text).length, elements.length);
    assert.deepEqual(arrayElementTexts(text), elements);
    assert.deepEqual(arrayElementTexts("[]"), []);
    assert.deepEqual(arrayElementTexts("[ \n ]"), []);
  });

  it("compacts by removing only the whitespace between tokens", () => {
    assert.equal(
      compactJson('{ "a b" : [ 1.50 ,\r\n "\\" c\\t" ] ,\n\t"d":{ } }'),
      '{"a b":[1.50,"\\" c\\t"],"d":{}}',
    );
    const already = '{"event_id":9007199254740993,"x":"  spaced  "}';
    assert.equal(compactJson(already), already);
  });
});
