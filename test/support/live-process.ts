import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { once } from "node:events";

/** Whether this machine has Linux's /proc, where lock files record their holder's start time. */
export const hasProcStat = existsSync("/proc/self/stat");

/**
 * The test's own reading of a process's start time: field 22 of /proc/<pid>/stat, counted after the last
 * `)` (the command name may hold spaces and parentheses).
 */
export function startTimeOf(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[22 - 3]!;
}

/** A live process other than this one (`sleep`), killed by `stop`. */
export async function liveOtherProcess(): Promise<{ pid: number; stop: () => Promise<void> }> {
  const child = spawn("sleep", ["600"], { stdio: "ignore" });
  await once(child, "spawn");
  return {
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGKILL");
      await exited;
    },
  };
}
