// `npm run bench`: every benchmark section, printed as tables. `--quick` runs tiny sizes (a smoke test);
// `--only <name>[,<name>…]` runs some sections (generator, transform, scale, query, collector, tracker, console, endpoints, spark).
import { runCollectorBench } from "./collector-bench.js";
import { runConsoleBench } from "./console-bench.js";
import { runEndpointsBench } from "./endpoints-bench.js";
import { runGeneratorBench } from "./generator-bench.js";
import { runQueryBench } from "./query-bench.js";
import { runScaleBench } from "./scale-bench.js";
import { runTrackerBench } from "./tracker-bench.js";
import { runSparkBench } from "./spark-bench.js";
import { runTransformBench } from "./transform-bench.js";
import type { BenchSection } from "./bench-section.js";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const only = args.includes("--only") ? args[args.indexOf("--only") + 1] : undefined;

const sections: [string, (o: { quick: boolean }) => Promise<BenchSection>][] = [
  ["generator", runGeneratorBench],
  ["transform", runTransformBench],
  ["scale", runScaleBench],
  ["query", runQueryBench],
  ["collector", runCollectorBench],
  ["tracker", runTrackerBench],
  ["console", runConsoleBench],
  ["endpoints", runEndpointsBench],
  ["spark", runSparkBench],
];

for (const [name, run] of sections) {
  if (only && !only.split(",").includes(name)) continue;
  process.stderr.write(`running ${name} benchmarks${quick ? " (quick)" : ""}…\n`);
  const section = await run({ quick });
  printSection(section);
}

function printSection(section: BenchSection): void {
  const width = Math.max(...section.rows.map((r) => r.name.length), 10);
  const valueWidth = Math.max(...section.rows.map((r) => r.value.length), 5);
  const lines = [`\n## ${section.title}`, ""];
  for (const row of section.rows) {
    const verdict = row.met === undefined ? "" : row.met ? "  met" : "  MISSED";
    const goal = row.goal ? `  goal ${row.goal}` : "";
    lines.push(`${row.name.padEnd(width)}  ${row.value.padEnd(valueWidth)}${goal}${verdict}`);
  }
  for (const note of section.notes ?? []) lines.push(`  note: ${note}`);
  process.stdout.write(`${lines.join("\n")}\n`);
}
