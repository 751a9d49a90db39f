const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });
const money = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const percent = new Intl.NumberFormat("en-US", { style: "percent", maximumFractionDigits: 1 });

export type Unit = "count" | "rate" | "seconds" | "money";

/** A figure as the page shows it ("–" when there is none). */
export function formatValue(value: number | null | undefined, unit: Unit): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  switch (unit) {
    case "count":
      return integer.format(value);
    case "rate":
      return percent.format(value);
    case "seconds":
      return formatDuration(value);
    case "money":
      return money.format(value);
  }
}

function formatDuration(seconds: number): string {
  if (seconds < 60) return `${decimal.format(seconds)} s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  return m < 60 ? `${m} min ${s} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** Change against the previous period: relative for counts, percentage points for rates. */
export function formatChange(now: number | null, before: number | null, unit: Unit): string {
  if (now === null || before === null) return "no comparison";
  if (unit === "rate") {
    const points = (now - before) * 100;
    return `${points >= 0 ? "+" : "−"}${decimal.format(Math.abs(points))} pp`;
  }
  if (before === 0) return now === 0 ? "±0%" : "new";
  const change = (now - before) / before;
  return `${change >= 0 ? "+" : "−"}${percent.format(Math.abs(change))}`;
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return "…";
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${decimal.format(v)} ${units[i]}`;
}

export function formatCell(value: unknown): string {
  if (value === null || value === undefined) return "NULL";
  if (typeof value === "number") return String(value);
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}
