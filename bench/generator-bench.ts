import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeNdjsonFile, type GeneratorOptions } from "../src/generator/index.js";
import type { BenchSection } from "./bench-section.js";

const goalEventsPerSecond = 300_000;

/**
 * Generator throughput: 1M clean events to an NDJSON file (the transform benchmark's input), then the
 * same with --dirty 0.02. Reports wall-clock events/s and MB/s, and events per CPU-second because the
 * benchmark machine is shared.
 */
export async function runGeneratorBench(options: { quick: boolean }): Promise<BenchSection> {
  const events = options.quick ? 20_000 : 1_000_000;
  const dir = await mkdtemp(join(tmpdir(), "clickstream-generator-bench-"));
  const rows: BenchSection["rows"] = [];
  try {
    // Warm the JIT so the measurement is the steady state, not compilation.
    await writeNdjsonFile(join(dir, "warmup.ndjson"), {
      events: 50_000,
      users: 1_000,
      days: 1,
      start: new Date("2026-10-26T00:00:00Z"),
      seed: 2,
      dirtyRate: 0.02,
    });
    for (const dirtyRate of [0, 0.02]) {
      const generatorOptions: GeneratorOptions = {
        events,
        users: 50_000,
        days: 30,
        start: new Date("2026-10-26T00:00:00Z"),
        seed: 1,
        dirtyRate,
      };
      const cpuBefore = process.cpuUsage();
      const began = performance.now();
      const result = await writeNdjsonFile(join(dir, `events-${dirtyRate}.ndjson`), generatorOptions);
      const seconds = (performance.now() - began) / 1000;
      const cpu = process.cpuUsage(cpuBefore);
      const cpuSeconds = (cpu.user + cpu.system) / 1e6;
      const perSecond = result.events / seconds;
      const label = dirtyRate === 0 ? "clean" : `--dirty ${dirtyRate}`;
      rows.push(
        {
          name: `generate ${events.toLocaleString("en-US")} events to NDJSON (${label})`,
          value: `${Math.round(perSecond).toLocaleString("en-US")} events/s`,
          goal: `≥ ${goalEventsPerSecond.toLocaleString("en-US")} events/s`,
          met: perSecond >= goalEventsPerSecond,
        },
        {
          name: `  throughput (${label})`,
          value: `${(result.fileBytes / 1e6 / seconds).toFixed(0)} MB/s, ${(result.fileBytes / 1e6).toFixed(0)} MB, ${(result.bytes / result.events).toFixed(0)} B/event`,
        },
        {
          name: `  per CPU-second (${label})`,
          value: `${Math.round(result.events / cpuSeconds).toLocaleString("en-US")} events/cpu-s`,
        },
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return {
    title: "Generator (clickstream generate)",
    rows,
    notes: [
      "Wall-clock figures depend on how busy the machine is; events per CPU-second is the steadier figure.",
      ...(options.quick ? ["quick mode: 20,000 events, not a measurement"] : []),
    ],
  };
}
