import { Command } from "commander";
import {
  action,
  configOption,
  storageFromOptions,
  storageOptions,
  warehouseOption,
  withExamples,
  type StorageFlags,
} from "../cli-support.js";
import { plural } from "../../format/human-format.js";
import { writeTerminal } from "../../terminal/terminal-text.js";

interface CompactFlags extends StorageFlags {
  warehouse?: string;
  partition: string[];
  json?: boolean;
}

/** `clickstream compact`: merge a partition's small files (the transform also does it by itself). */
export function compactCommand(): Command {
  const command = new Command("compact")
    .description(
      "Merge the small Parquet files of partitions into files of bounded size, atomically (queries never see a missing or doubled row). The transform does this by itself past transform.compactAfterFiles files.",
    )
    .addOption(warehouseOption())
    .addOption(configOption())
    .option(
      "--partition <year=YYYY/month=MM/day=DD>",
      "a partition to compact (repeatable); default: every partition with more than one file",
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option("--json", "print what was compacted as JSON");
  for (const option of storageOptions()) command.addOption(option);
  command.action(
    action(async (flags: CompactFlags) => {
      const { config, storage } = await storageFromOptions(flags);
      // Loaded when run: DuckDB is not paid for by every other command's start.
      const { runCompaction } = await import("../../transform/run-compaction.js");
      const result = await runCompaction({
        storage,
        config: config.transform,
        workDir: config.warehouse.dir,
        partitions: flags.partition,
      });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ compacted: result.compacted }, null, 2)}\n`);
        return;
      }
      if (result.compacted.length === 0) process.stdout.write("compact: nothing to compact\n");
      for (const c of result.compacted) {
        writeTerminal(
          process.stdout,
          `compact ${c.partition}: ${plural(c.filesBefore, "file")} → ${c.filesAfter} (${plural(c.rows, "row")})\n`,
        );
      }
    }),
  );
  return withExamples(command, [
    "clickstream compact",
    "clickstream compact --partition year=2026/month=11/day=24",
    "clickstream compact --warehouse ./warehouse --json",
  ]);
}
