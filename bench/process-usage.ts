import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

/**
 * The query engine runs DuckDB in child processes (src/query/query-worker.ts): CPU and I/O spent on
 * queries are theirs, not this process's. These add this process and its live query workers together
 * (Linux /proc; undefined elsewhere).
 */
let ticksPerSecond: number | undefined;

function queryWorkerPids(): number[] {
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid !== process.pid) continue;
      if (readFileSync(`/proc/${name}/cmdline`, "utf8").includes("query-worker.js")) pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** CPU time (user + system, µs) of this process and its query workers. */
export function cpuMicrosWithWorkers(): number {
  const own = process.cpuUsage();
  let total = own.user + own.system;
  if (process.platform !== "linux") return total;
  ticksPerSecond ??= Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;
  for (const pid of queryWorkerPids()) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // Fields 14 and 15 of stat (utime, stime), counted after the command name.
      total += ((Number(fields[11]) + Number(fields[12])) / ticksPerSecond) * 1e6;
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

/** Bytes passed through read() by this process and its query workers (rchar), or undefined off Linux. */
export function bytesReadWithWorkers(): number | undefined {
  const rchar = (pid: number | "self"): number | undefined => {
    try {
      const match = /rchar:\s*(\d+)/.exec(readFileSync(`/proc/${pid}/io`, "utf8"));
      return match ? Number(match[1]) : undefined;
    } catch {
      return undefined;
    }
  };
  const own = rchar("self");
  if (own === undefined) return undefined;
  return queryWorkerPids().reduce((sum, pid) => sum + (rchar(pid) ?? 0), own);
}
