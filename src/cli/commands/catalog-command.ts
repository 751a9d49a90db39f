import { Command } from "commander";
import { partitionName } from "../../catalog/catalog-model.js";
import { CatalogStore } from "../../catalog/catalog-store.js";
import { loadConfig } from "../../config/load-config.js";
import { createStorage } from "../../storage/create-storage.js";
import { action, configOption, warehouseOption, withExamples } from "../cli-support.js";

/** `clickstream catalog`: prints the catalog (databases, tables, columns, partitions). */
export function catalogCommand(): Command {
  const command = new Command("catalog")
    .description("Print the catalog the crawler maintains (Glue-style databases, tables and partitions).")
    .addOption(warehouseOption())
    .addOption(configOption())
    .option("--json", "print the Glue-shaped JSON (databases with their tables and partitions)")
    .action(
      action(async (opts: { warehouse: string; config?: string; json?: boolean }) => {
        const config = loadConfig({ file: opts.config, overrides: { warehouse: { dir: opts.warehouse } } });
        const store = new CatalogStore(createStorage(config));
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
        const lines: string[] = [];
        for (const d of databases) {
          lines.push(`database ${d.Database.Name}`);
          for (const { table, partitions } of d.Tables) {
            const p = table.Parameters;
            lines.push(
              `  table ${table.Name} (${table.TableType}, ${p.classification ?? "?"}, ${p.recordCount ?? "?"} rows in ${p.objectCount ?? "?"} files)`,
              `    location ${table.StorageDescriptor.Location}`,
              ...table.StorageDescriptor.Columns.map((c) => `    ${c.Name.padEnd(22)} ${c.Type}`),
              ...table.PartitionKeys.map((c) => `    ${c.Name.padEnd(22)} ${c.Type} (partition key)`),
              `    partitions (${partitions.Partitions.length}):`,
              ...partitions.Partitions.map(
                (part) =>
                  `      ${partitionName(table.PartitionKeys, part.Values)}  files=${part.Parameters.fileCount} rows=${part.Parameters.rowCount} bytes=${part.Parameters.sizeBytes}`,
              ),
            );
          }
        }
        process.stdout.write(`${lines.join("\n")}\n`);
      }),
    );
  return withExamples(command, [
    "clickstream catalog",
    "clickstream catalog --json | jq '.[0].Tables[0].PartitionKeys'",
  ]);
}
