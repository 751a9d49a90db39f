import { readFileSync } from "node:fs";
import type { z } from "zod";
import { ClickstreamError } from "../errors/clickstream-error.js";
import { configSchema, type ClickstreamConfig } from "./config-schema.js";

/** Validates a raw config object (from a file, flags and env merged); throws CS_ERR_INVALID_CONFIG naming each bad key. */
export function parseConfig(raw: unknown): Readonly<ClickstreamConfig> {
  const result = configSchema.safeParse(raw ?? {});
  if (!result.success) {
    throw new ClickstreamError("CS_ERR_INVALID_CONFIG", formatIssues(result.error));
  }
  return deepFreeze(result.data);
}

/** Reads a JSON config file (optional) and overlays the given overrides, then validates once. */
export function loadConfig(options: {
  file?: string | undefined;
  overrides?: Record<string, unknown>;
}): Readonly<ClickstreamConfig> {
  let fromFile: Record<string, unknown> = {};
  if (options.file) {
    try {
      fromFile = JSON.parse(readFileSync(options.file, "utf8")) as Record<string, unknown>;
    } catch (error) {
      throw new ClickstreamError("CS_ERR_INVALID_CONFIG", `cannot read ${options.file}`, { cause: error });
    }
  }
  return parseConfig(mergeDeep(fromFile, options.overrides ?? {}));
}

function formatIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`).join("; ");
}

function mergeDeep(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    const existing = out[key];
    out[key] =
      isPlainObject(existing) && isPlainObject(value) ? mergeDeep(existing, value) : (value as unknown);
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
