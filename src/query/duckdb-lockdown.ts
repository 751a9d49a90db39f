import { quotedString, type DuckDBConnection } from "@duckdb/node-api";

/**
 * The engine's last layer, inside DuckDB: from now on the database may open exactly `paths` (the files of
 * the catalogued partitions) and its temp directory, nothing else, and no SET can change that. It holds
 * whatever SQL got past the guards, with one known gap: DuckDB's logging, once enabled, writes where it
 * is told and aborts the process when refused, which is why the guards refuse enable_logging and its kin.
 */
export async function lockDown(connection: DuckDBConnection, paths: readonly string[]): Promise<void> {
  await connection.run(`SET allowed_paths = [${paths.map(quotedString).join(", ")}]`);
  await connection.run("SET enable_external_access = false");
  await connection.run("SET lock_configuration = true");
}
