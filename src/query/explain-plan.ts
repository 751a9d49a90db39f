import type { ServedTable } from "./catalog-views.js";

/** What a query scanned, from DuckDB's profile (EXPLAIN ANALYZE): proves partition pruning. */
export interface ScanProfile {
  /** How many data files the scans opened ("Total Files Read"). */
  fileCount: number;
  /** Storage keys of those files (DuckDB names at most a few per scan; complete when its length is fileCount). */
  filesRead: string[];
  /** Total size of the files opened; NaN when DuckDB's list was cut short and it is not every file. */
  bytesOfFilesRead: number;
}

interface PlanNode {
  operator_type?: string;
  extra_info?: Record<string, unknown>;
  children?: PlanNode[];
}

/**
 * The scan profile of an `EXPLAIN (ANALYZE, FORMAT JSON)` plan (its JSON text), the files it names mapped
 * back to the storage objects of the tables served.
 */
export function scanProfileOf(planJson: string, tables: readonly ServedTable[]): ScanProfile {
  const plan = JSON.parse(planJson) as PlanNode;
  const byPath = new Map(tables.flatMap((t) => [...t.files]));
  const scans = scannedFiles(plan);
  const fileCount = scans.reduce((sum, s) => sum + s.count, 0);
  const filesRead = scans.flatMap((s) => s.names).map((path) => byPath.get(path)?.key ?? path);
  // A scan whose list DuckDB cut short is still known when it read every file of its table.
  const scanBytes = (scan: { count: number; names: string[] }): number => {
    if (scan.names.length === scan.count)
      return scan.names.reduce((sum, p) => sum + (byPath.get(p)?.size ?? 0), 0);
    const table = tables.find((t) => scan.names.every((p) => t.files.has(p)) && t.files.size === scan.count);
    return table ? [...table.files.values()].reduce((sum, o) => sum + o.size, 0) : Number.NaN;
  };
  const bytesOfFilesRead = scans.reduce((sum, s) => sum + scanBytes(s), 0);
  return { fileCount, filesRead, bytesOfFilesRead };
}

/** Per table scan: "Total Files Read" and the file names DuckDB lists (it cuts long lists with "..."). */
function scannedFiles(node: PlanNode): { count: number; names: string[] }[] {
  const here: { count: number; names: string[] }[] = [];
  if (node.operator_type === "TABLE_SCAN" && node.extra_info) {
    const raw = node.extra_info["Filename(s)"];
    const names = (
      typeof raw === "string" ? raw.split(", ") : Array.isArray(raw) ? raw.map(String) : []
    ).filter((n) => n !== "" && n !== "...");
    const count = Number(node.extra_info["Total Files Read"] ?? names.length);
    here.push({ count: Number.isFinite(count) ? count : names.length, names });
  }
  return [...here, ...(node.children ?? []).flatMap(scannedFiles)];
}
