import { ClickstreamError } from "../errors/clickstream-error.js";

/**
 * Athena's date_parse/date_format use MySQL-style specifiers (`%i` minutes, `%s` seconds, `%f` fraction);
 * DuckDB's strptime/strftime use C-style ones. This maps one to the other, refusing the specifiers Athena
 * itself does not support and the ones without a DuckDB equivalent, so a format is never half-understood.
 */
const specifiers: Record<string, string> = {
  a: "%a", // abbreviated weekday name
  b: "%b", // abbreviated month name
  c: "%-m", // month, numeric, no padding
  d: "%d",
  e: "%-d",
  f: "%f", // fraction of second (6 digits printed; 1-9 accepted when parsing)
  H: "%H",
  h: "%I",
  I: "%I",
  i: "%M", // minutes
  j: "%j",
  k: "%-H",
  l: "%-I",
  M: "%B", // month name
  m: "%m",
  p: "%p",
  r: "%I:%M:%S %p",
  S: "%S",
  s: "%S",
  T: "%H:%M:%S",
  W: "%A", // weekday name
  Y: "%Y",
  y: "%y",
  "%": "%%",
};

/** Converts a MySQL-style format to a DuckDB strftime/strptime format. */
export function mysqlToStrftime(format: string, functionName: string): string {
  let out = "";
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c !== "%") {
      out += c;
      continue;
    }
    const spec = format[i + 1];
    i++;
    const mapped = spec === undefined ? undefined : specifiers[spec];
    if (mapped === undefined) {
      throw new ClickstreamError(
        "CS_ERR_QUERY_UNSUPPORTED",
        `${functionName} format specifier %${spec ?? ""} in '${format}' (supported: ${Object.keys(specifiers)
          .map((s) => `%${s}`)
          .join(" ")})`,
      );
    }
    out += mapped;
  }
  return out;
}
