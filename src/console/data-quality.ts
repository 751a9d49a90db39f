import { gunzipSync } from "node:zlib";
import type { Storage } from "../storage/storage.js";
import type { RejectRecord } from "../table/reject-record.js";
import type { RunReport } from "../table/run-report.js";
import { startsWithGzipMagic } from "../storage/gzip-magic.js";
import { stateKeys } from "../storage/warehouse-layout.js";
import type { QualityDay } from "./api-types.js";

/** Run reports of the transform, one JSON file per run (src/table/run-report.ts). */
const runsPrefix = stateKeys.transform.runsPrefix;

/** Error objects bigger than this are not read for samples (a sample needs a few lines, not gigabytes). */
const maxErrorObjectBytes = 64 * 1024 * 1024;

/**
 * Reads the transform's run reports and errors/ objects for the data-quality panel. Reports never
 * change once written, so each is parsed once and kept.
 */
export class DataQuality {
  private readonly reports = new Map<string, RunReport>();
  /** errors/ objects are written once: their parsed lines are kept (the last few). */
  private readonly rejectCache = new Map<string, RejectRecord[]>();

  constructor(private readonly storage: Storage) {}

  /** Records read, written and rejected (by reason) per day of transform runs, newest day first. */
  async perDay(maxDays = 30): Promise<QualityDay[]> {
    const byDay = new Map<string, QualityDay>();
    for (const report of await this.allReports()) {
      const day = (report.finishedAt ?? report.startedAt ?? "").slice(0, 10);
      if (!day) continue;
      const entry = byDay.get(day) ?? { day, runs: 0, read: 0, written: 0, rejected: 0, byReason: {} };
      entry.runs++;
      entry.read += report.records?.read ?? 0;
      entry.written += report.records?.written ?? 0;
      entry.rejected += report.records?.rejected ?? 0;
      for (const [reason, n] of Object.entries(report.rejectedByReason ?? {})) {
        if (n > 0) entry.byReason[reason] = (entry.byReason[reason] ?? 0) + n;
      }
      byDay.set(day, entry);
    }
    return [...byDay.values()].sort((a, b) => (a.day < b.day ? 1 : -1)).slice(0, maxDays);
  }

  /** Rejected records of the runs of one day (optionally one reason), from the errors/ objects they wrote. */
  async samples(day: string, reason: string | undefined, limit: number): Promise<RejectRecord[]> {
    const out: RejectRecord[] = [];
    const runs = (await this.allReports()).filter((r) => (r.finishedAt ?? r.startedAt ?? "").startsWith(day));
    for (const run of runs) {
      for (const key of run.errorObjects ?? []) {
        for (const reject of await this.rejectsIn(key)) {
          if (reason && reject.reason !== reason) continue;
          out.push(reject);
          if (out.length >= limit) return out;
        }
      }
    }
    return out;
  }

  /** The newest reports first. */
  async newestReports(count: number): Promise<RunReport[]> {
    return (await this.allReports()).slice(-count).reverse();
  }

  /** Every reject line of one errors/ object (empty when it is gone or too big to sample). */
  async rejectsIn(key: string): Promise<RejectRecord[]> {
    const cached = this.rejectCache.get(key);
    if (cached) return cached;
    const info = await this.storage.stat("errors", key);
    if (!info || info.size > maxErrorObjectBytes) return [];
    let bytes = await this.storage.readBytes("errors", key);
    if (startsWithGzipMagic(bytes)) bytes = gunzipSync(bytes, { maxOutputLength: maxErrorObjectBytes });
    const out: RejectRecord[] = [];
    for (const line of bytes.toString("utf8").split("\n")) {
      if (!line.trim()) continue;
      try {
        out.push(JSON.parse(line) as RejectRecord);
      } catch {
        // A line that is not a reject record is not ours to show.
      }
    }
    if (this.rejectCache.size >= 20) this.rejectCache.delete(this.rejectCache.keys().next().value!);
    this.rejectCache.set(key, out);
    return out;
  }

  private async allReports(): Promise<RunReport[]> {
    const keys: string[] = [];
    for await (const object of this.storage.list("state", runsPrefix)) {
      if (object.key.endsWith(".json")) keys.push(object.key);
    }
    for (const key of keys) {
      if (this.reports.has(key)) continue;
      try {
        this.reports.set(
          key,
          JSON.parse((await this.storage.readBytes("state", key)).toString("utf8")) as RunReport,
        );
      } catch {
        // Being written or damaged: look again next time.
      }
    }
    return keys
      .flatMap((k) => (this.reports.has(k) ? [this.reports.get(k)!] : []))
      .sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : 0));
  }
}
