import cliProgress from "cli-progress";
import { formatDuration } from "../format/human-format.js";
import { terminalValue, writeTerminal } from "./terminal-text.js";

/** One line of status for a polled AWS run: a live bar on a terminal, one line per state change otherwise. */
export interface ProgressDisplay {
  update(state: string, detail?: { fraction?: number; note?: string }): void;
  stop(): void;
}

/** A display on `stream` (stderr by default), so stdout stays clean for results and `--json`. */
export function createProgressDisplay(
  title: string,
  stream: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr,
): ProgressDisplay {
  const started = Date.now();
  const elapsed = (): string => formatDuration(Date.now() - started);
  if (!stream.isTTY) {
    let last = "";
    return {
      update(state, detail) {
        if (state === last) return;
        last = state;
        writeTerminal(
          stream,
          `${title}: ${terminalValue(state)}${detail?.note ? ` (${terminalValue(detail.note)})` : ""} after ${elapsed()}\n`,
        );
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      format: `${title} [{bar}] {state} {elapsed}{note}`,
      stream,
      hideCursor: true,
      clearOnComplete: false,
      barsize: 24,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(1000, 0, { state: "STARTING", elapsed: "0s", note: "" });
  return {
    update(state, detail) {
      // Without a known fraction the bar creeps so the user sees the poll is alive.
      const value =
        detail?.fraction !== undefined
          ? Math.round(Math.min(1, detail.fraction) * 1000)
          : Math.min(950, bar.getProgress() * 1000 + 10);
      // AWS's states and reasons may quote the data: escaped, as the bar's own codes must stay the only ones.
      bar.update(value, {
        state: terminalValue(state),
        elapsed: elapsed(),
        note: detail?.note ? ` ${terminalValue(detail.note)}` : "",
      });
    },
    stop() {
      bar.stop();
    },
  };
}
