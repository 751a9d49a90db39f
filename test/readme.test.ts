// test tier: fast (in-process, no child processes)
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

/** The README read as a new user reads it: links once each, a command first, walk-throughs that run. */
const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");

function section(heading: string): string {
  const start = readme.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `README: ${heading}`);
  const end = readme.indexOf("\n## ", start + heading.length + 2);
  return readme.slice(start, end < 0 ? undefined : end);
}

test("the docs line links each page once", () => {
  const more = /\nMore: ([\s\S]*?\.)\n\n/.exec(readme)?.[1];
  assert.ok(more, "README: the `More:` line");
  const links = [...more.matchAll(/\]\((docs\/[^)]+)\)/g)].map((m) => m[1]!);
  assert.deepEqual(
    links.filter((l, i) => links.indexOf(l) !== i),
    [],
    `linked twice: ${links.join(", ")}`,
  );
});

test("Set up gives the first command before Node's version notes", () => {
  const setUp = section("## Set up");
  const firstCommand = setUp.indexOf("```sh");
  assert.ok(firstCommand >= 0);
  for (const note of ["end of life", "Tested on", "tested on"]) {
    const at = setUp.indexOf(note);
    if (at >= 0) assert.ok(at > firstCommand, `"${note}" comes before the first command`);
  }
});

test("the demo-shop walk-through runs from the repository, in a warehouse of its own", () => {
  const at = readme.indexOf("the demo shop in `examples/demo-shop/`");
  assert.ok(at >= 0, "README: the demo-shop walk-through");
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(at))![1]!;
  const commands = block.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("#"));
  for (const line of commands)
    assert.doesNotMatch(line, /(^|&&\s*|;\s*)clickstream\s/, `bare clickstream (not on PATH): ${line}`);
  assert.ok(
    commands.some((l) => l.startsWith("npx clickstream serve")),
    block,
  );
  const warehouses = new Set([...block.matchAll(/--warehouse (\S+)/g)].map((m) => m[1]!));
  assert.equal(warehouses.size, 1, `one warehouse for the whole walk-through: ${[...warehouses].join(", ")}`);
  // ./warehouse is the folder `npm start` fills: the 10 rows shown would be thousands there.
  assert.ok(!warehouses.has("./warehouse") && !warehouses.has("warehouse"), [...warehouses].join(", "));
  // The collector is stopped so it delivers (SIGINT/SIGTERM to the collector itself, not to npx alone).
  assert.doesNotMatch(block, /^kill %/m, "kill %1 stops npx, not the collector under it");
});
