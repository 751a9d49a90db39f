import { AwsError } from "./aws-error.js";

/**
 * Readers of a JSON request's members with AWS's validation messages (`1 validation error detected: …`),
 * under the service's validation exception (Athena InvalidRequestException, Glue InvalidInputException).
 */
export function inputReader(exception: string) {
  const invalid = (member: string, constraint: string): AwsError =>
    new AwsError(
      exception,
      `1 validation error detected: Value at '${member}' failed to satisfy constraint: ${constraint}`,
    );
  const string = (input: Record<string, unknown>, name: string): string | undefined => {
    const value = input[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "string") throw invalid(name, "Member must be a string");
    return value;
  };
  return {
    invalid,
    string,
    required: (input: Record<string, unknown>, name: string): string => {
      const value = string(input, name);
      if (value === undefined || value === "") throw invalid(name, "Member must not be null");
      return value;
    },
    integer: (input: Record<string, unknown>, name: string, min: number, max: number): number | undefined => {
      const value = input[name];
      if (value === undefined || value === null) return undefined;
      if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max)
        throw invalid(name, `Member must be an integer from ${min} to ${max}`);
      return value;
    },
    object: (input: Record<string, unknown>, name: string): Record<string, unknown> => {
      const value = input[name];
      if (value === undefined || value === null) return {};
      if (typeof value !== "object" || Array.isArray(value))
        throw invalid(name, "Member must be a structure");
      return value as Record<string, unknown>;
    },
  };
}

/**
 * A page token: the offset of the next item, bound to the call it came from (`scope`: the operation and
 * its arguments), so a token of another call or another query is refused rather than misread.
 */
export function pageToken(scope: string, offset: number): string {
  return Buffer.from(JSON.stringify({ s: scope, o: offset })).toString("base64url");
}

/** The offset a token names, or 0 without one; throws `exception` for a token of another call. */
export function tokenOffset(token: string | undefined, scope: string, exception: string): number {
  if (token === undefined || token === "") return 0;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    parsed = undefined;
  }
  const p = parsed as { s?: unknown; o?: unknown } | undefined;
  if (!p || p.s !== scope || typeof p.o !== "number" || !Number.isInteger(p.o) || p.o < 0)
    throw new AwsError(exception, "The NextToken is not valid for this request (it belongs to another call)");
  return p.o;
}

/** Epoch seconds, as the JSON protocols carry timestamps, of an ISO-8601 instant. */
export function epochSeconds(iso: string | undefined): number | undefined {
  if (iso === undefined) return undefined;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms / 1000;
}

/**
 * A table-name filter (Glue GetTables' and Athena ListTableMetadata's `Expression`): a regular expression the
 * whole name must match, case-insensitive; `*` alone matches every name.
 */
export function namePattern(expression: string | undefined, reader: ReturnType<typeof inputReader>): RegExp {
  if (expression === undefined || expression === "" || expression === "*") return /^/;
  if (expression.length > 256)
    throw reader.invalid("Expression", "Member must have length less than or equal to 256");
  try {
    return new RegExp(`^(?:${expression})$`, "i");
  } catch (error) {
    throw reader.invalid("Expression", `a valid pattern (${(error as Error).message})`);
  }
}
