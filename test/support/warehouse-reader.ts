import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { vanishedFile } from "../../src/query/vanished-file.js";
import { LocalStorage } from "../../src/storage/local-storage.js";
import { readTableView } from "../../src/table/table-view.js";
import type { FixtureEvent } from "./transformed-fixture.js";

/** A row of transformed/ as read back: the fixture's columns, with the nullable ones nullable, plus partitions. */
export interface TransformedRow extends Omit<
  FixtureEvent,
  "session_id" | "event_sequence" | "is_session_start" | "properties"
> {
  session_id: string | null;
  /** The map's entries in map order, or null. */
  properties: [string, string][] | null;
  event_sequence: number | null;
  is_session_start: boolean | null;
  year: string;
  month: string;
  day: string;
}

/** Every row of transformed/ with JSON-friendly types (times as ISO strings, integers as numbers). */
export async function readTransformed(warehouse: string): Promise<TransformedRow[]> {
  // A commit between taking the snapshot and opening its files moves replaced files out of the table:
  // like every reader, take the current snapshot and read again.
  for (let attempt = 1; ; attempt++) {
    try {
      return await readSnapshotRows(warehouse);
    } catch (error) {
      if (attempt >= 5 || !vanishedFile(error)) throw error;
    }
  }
}

async function readSnapshotRows(warehouse: string): Promise<TransformedRow[]> {
  const storage = new LocalStorage(warehouse);
  // Through the table snapshot, as every reader does: replaced files wait in the trash for a while.
  const files = (await readTableView(storage, warehouse)).files.map((o) =>
    storage.localPath("transformed", o.key),
  );
  if (files.length === 0) return [];
  const db = await DuckDBInstance.create(":memory:");
  const connection = await db.connect();
  try {
    const reader = await connection.runAndReadAll(`
      SELECT * REPLACE (
        strftime(event_time, '%Y-%m-%dT%H:%M:%S.%gZ') AS event_time,
        event_date::VARCHAR AS event_date,
        quantity::DOUBLE AS quantity,
        event_sequence::DOUBLE AS event_sequence,
        strftime(processed_timestamp, '%Y-%m-%dT%H:%M:%S.%gZ') AS processed_timestamp)
      FROM read_parquet([${files.map((f) => `'${f.replaceAll("'", "''")}'`).join(", ")}],
        hive_partitioning = true, hive_types = {'year': VARCHAR, 'month': VARCHAR, 'day': VARCHAR}, union_by_name = true)
      ORDER BY event_id`);
    const rows = reader.getRowObjectsJS() as unknown as (TransformedRow & { properties: unknown })[];
    for (const row of rows) {
      const entries = row.properties as { key: string; value: string }[] | null | undefined;
      row.properties = entries ? entries.map((e) => [e.key, e.value]) : null;
    }
    return rows;
  } finally {
    connection.closeSync();
    db.closeSync();
  }
}

export interface ErrorLine {
  reason: string;
  field: string | null;
  message: string;
  source: string;
  line: number | null;
  raw: string;
}

/** Every reject line under errors/. */
export async function readErrors(warehouse: string): Promise<ErrorLine[]> {
  const storage = new LocalStorage(warehouse);
  const out: ErrorLine[] = [];
  for await (const o of storage.list("errors", "errors/")) {
    if (o.key.includes("/_")) continue;
    const text = await readFile(join(warehouse, o.key), "utf8");
    for (const line of text.split("\n")) if (line.trim()) out.push(JSON.parse(line) as ErrorLine);
  }
  return out;
}
