import { Command } from "commander";
import { partitionName } from "../../catalog/catalog-model.js";
import { CatalogStore } from "../../catalog/catalog-store.js";
import {
  action,
  configOption,
  warehouseOption,
  withExamples,
  storageFromOptions,
  storageOptions,
  type StorageFlags,
} from "../cli-support.js";
import { plural } from "../../format/human-format.js";
import { terminalValue, writeTerminal } from "../../terminal/terminal-text.js";

/** `clickstream catalog`: prints the catalog (databases, tables, columns, partitions). */
export function catalogCommand(): Command {
  const command = new Command("catalog")
    .description("Print the catalog the crawler maintains (Glue-style databases, tables and partitions).")
    .addOption(warehouseOption())
    .addOption(configOption())
    .option("--json", "print the Glue-shaped JSON (databases with their tables and partitions)");
  for (const option of storageOptions()) command.addOption(option);
  command.action(
    action(async (opts: StorageFlags & { json?: boolean }) => {
      const { storage } = await storageFromOptions(opts);
      const store = new CatalogStore(storage);
      const databases = await Promise.all(
        (await store.listDatabases()).map(async (database) => ({
          Database: database,
          Tables: await store.loadTables(database.Name),
        })),
      );
      if (opts.json) {
        const out = databases.map((d) => ({
          Database: d.Database,
          Tables: d.Tables.map((t) => ({ ...t.table, Partitions: t.partitions.Partitions })),
        }));
        process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        return;
      }
      if (databases.length === 0) {
        process.stdout.write("catalog is empty: run `clickstream crawl` after `clickstream transform`\n");
        return;
      }
      // Names come from the data (Parquet columns, folders): one line each, control characters escaped.
      const v = terminalValue;
      const lines: string[] = [];
      for (const d of databases) {
        lines.push(`database ${v(d.Database.Name)}`);
        for (const { table, partitions } of d.Tables) {
          const p = table.Parameters;
          lines.push(
            `  table ${v(table.Name)} (${table.TableType}, ${p.classification ?? "?"}, ${countOf(p.recordCount, "row")} in ${countOf(p.objectCount, "file")})`,
            `    location ${v(table.StorageDescriptor.Location)}`,
            ...table.StorageDescriptor.Columns.map((c) => `    ${v(c.Name).padEnd(22)} ${v(c.Type)}`),
            ...table.PartitionKeys.map((c) => `    ${v(c.Name).padEnd(22)} ${v(c.Type)} (partition key)`),
            `    partitions (${partitions.Partitions.length}):`,
            ...partitions.Partitions.map(
              (part) =>
                `      ${v(partitionName(table.PartitionKeys, part.Values))}  files=${part.Parameters.fileCount} rows=${part.Parameters.rowCount} bytes=${part.Parameters.sizeBytes}`,
            ),
          );
        }
      }
      writeTerminal(process.stdout, `${lines.join("\n")}\n`);
    }),
  );
  return withExamples(command, [
    "clickstream catalog",
    "clickstream catalog --json | jq '.[0].Tables[0].PartitionKeys'",
  ]);
}

/** A count the catalog may not know (a table crawled by another tool): "3 rows", "? rows". */
function countOf(value: number | string | undefined, noun: string): string {
  return value === undefined || value === "" ? `? ${noun}s` : plural(Number(value), noun);
}
