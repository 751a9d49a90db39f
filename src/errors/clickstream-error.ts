import { errorCodes, type ErrorCode, type ErrorDefinition } from "./error-codes.js";

/** An error with a catalogued code, the HTTP status that goes with it, and the original cause kept. */
export class ClickstreamError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;

  constructor(code: ErrorCode, detail?: string, options?: { cause?: unknown }) {
    const base = errorCodes[code].message;
    super(detail ? `${base}: ${detail}` : base, options);
    this.name = "ClickstreamError";
    this.code = code;
    this.statusCode = errorCodes[code].status;
  }

  /** The documented fix for this error's code. */
  get fix(): string {
    return errorCodes[this.code].fix;
  }

  /** The fix as the web console shows it: its own wording where the CLI's speaks of flags and `--help`. */
  get webFix(): string {
    const definition: ErrorDefinition = errorCodes[this.code];
    return definition.webFix ?? definition.fix;
  }
}

export function isClickstreamError(error: unknown): error is ClickstreamError {
  return error instanceof ClickstreamError;
}

/** Wraps any thrown value in a ClickstreamError with the given code, keeping the original as `cause`. */
export function wrapError(code: ErrorCode, error: unknown, detail?: string): ClickstreamError {
  if (error instanceof ClickstreamError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ClickstreamError(code, detail ? `${detail}: ${message}` : message, { cause: error });
}
