import { quotedIdentifier } from "@duckdb/node-api";
import { contract } from "../contract/data-contract.js";

/**
 * The events table's file format as SQL, from the data contract (the Glue job reads the same keys):
 * the partition columns and how they are derived, and the Parquet codec. Nothing else in the transform
 * names them.
 */

/** The contract's partition formats as DuckDB strftime patterns. */
const strftimeOf: Readonly<Record<string, string>> = { YYYY: "%Y", MM: "%m", DD: "%d" };

/** Partition column names, in the contract's order (`year`, `month`, `day`). */
export const partitionNames: readonly string[] = contract.partitionKeys.map((k) => k.name);

/** `year, month, day`, quoted. */
export const partitionListSql = partitionNames.map((n) => quotedIdentifier(n)).join(", ");

/**
 * `strftime(event_time, '%Y') AS year, …`: the partition columns derived from a row; the sessions table
 * derives them the same way from its `partitionFrom` column (the session's start).
 */
export function partitionColumnsFrom(column?: string): string {
  return contract.partitionKeys
    .map((k) => {
      const pattern = strftimeOf[k.format];
      if (pattern === undefined)
        throw new Error(`data contract: partition format ${k.format} is not supported`);
      return `strftime(${quotedIdentifier(column ?? k.from)}, '${pattern}') AS ${quotedIdentifier(k.name)}`;
    })
    .join(", ");
}

export const partitionColumnsSql = partitionColumnsFrom();

/** `'year=' || year || '/month=' || …`: a row's partition path, as the snapshot keys partitions. */
export const partitionPathSql = partitionNames
  .map((n) => `'${n}=' || ${quotedIdentifier(n)}`)
  .join(" || '/' || ");

/** One text per partition (`2026-11-24`), for matching partitions against a list. */
export const partitionKeySql = partitionNames.map((n) => quotedIdentifier(n)).join(" || '-' || ");

/** The Parquet codec of every data and index file (COPY's COMPRESSION option; the contract allows only zstd). */
export const parquetCompressionSql = `COMPRESSION ${contract.parquet.compression}`;
