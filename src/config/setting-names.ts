/**
 * How the running command lets a user change a server's address and folders: `--port` for
 * `clickstream serve`, `--console-port` for the console `clickstream pipeline` runs, a config key for
 * library callers. Listen and lock errors name these, so the fix they print is one the command has.
 */
export interface ListenSettingNames {
  /** What sets the port, e.g. `--port` or `console.port`. */
  readonly port: string;
  /** What sets the address, e.g. `--host` or `console.host in a --config file`. */
  readonly host: string;
  /** What sets the console's token, e.g. `--token` (the console only). */
  readonly token?: string;
}

/** The detail of a listen error: what failed and which settings to change. */
export function listenErrorDetail(
  host: string,
  port: number,
  reason: string,
  names: ListenSettingNames,
): string {
  return `${host}:${port}: ${reason}; pick another ${names.port} (0 = any free port) or ${names.host}`;
}
