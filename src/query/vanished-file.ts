import { isClickstreamError } from "../errors/clickstream-error.js";

/**
 * DuckDB's complaint about a data file that is no longer there: a commit replaced it (it moved out of
 * the table's folders) after the reader took its snapshot. The reader retries on the current one.
 */
export function vanishedFile(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  if (isClickstreamError(error) && error.code !== "CS_ERR_QUERY_FAILED") return false;
  return /No such file or directory|No files found that match|Cannot open file|could not be opened/i.test(
    message,
  );
}
