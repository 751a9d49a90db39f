import { randomUUID } from "node:crypto";
import type { Storage } from "../storage/storage.js";
import type { QueryResult } from "./query-result.js";
import { formatResult } from "./result-formatter.js";

/**
 * Saves a result like Athena's query result location: `athena-results/<query-id>.csv` (RFC 4180 with a
 * header row) and `<query-id>.csv.metadata` (JSON here: the query, columns and row count).
 */
export async function saveResult(
  storage: Storage,
  result: QueryResult,
  sql: string,
  queryId: string = randomUUID(),
): Promise<{ key: string; metadataKey: string; queryId: string }> {
  const key = `athena-results/${queryId}.csv`;
  const metadataKey = `${key}.metadata`;
  // A result and its query may hold anything the data holds: readable by their owner only.
  await storage.writeAtomic("athena-results", key, formatResult(result, "csv"), { ownerOnly: true });
  await storage.writeAtomic(
    "athena-results",
    metadataKey,
    `${JSON.stringify({ QueryExecutionId: queryId, Query: sql, Columns: result.columns, RowCount: result.rows.length, CompletedAt: new Date().toISOString() }, null, 2)}\n`,
    { ownerOnly: true },
  );
  return { key, metadataKey, queryId };
}
