/**
 * Counts and sizes as people read them, for every human line the CLI and the pipeline print: one helper
 * each, so "1 raw objects" and "0.0 MB" cannot come back in one command while another gets it right.
 */

/** `plural(1, "raw object")` → "1 raw object"; `plural(3, "entry", "entries")` → "3 entries". */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count.toLocaleString("en-US")} ${count === 1 ? singular : pluralForm}`;
}

/** Bytes in binary units, as Athena's console shows data scanned: `0 B`, `512 B`, `9.54 MB`, `1.02 GB`. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KB", "MB", "GB", "TB", "PB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(2)} ${units[unit]}`;
}

/** `1h 02m 03s`, `2m 05s`, `7s`. */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, "0")}m ${String(sec).padStart(2, "0")}s`;
  if (m > 0) return `${m}m ${String(sec).padStart(2, "0")}s`;
  return `${sec}s`;
}
