import { ClickstreamError } from "../errors/clickstream-error.js";
import { bucketHomePrefix, type BucketRole } from "./storage.js";

/** Validates an object key: relative, `/`-separated, no `.`/`..`/empty segments, no NUL. */
export function assertValidKey(key: string): void {
  const bad =
    key.length === 0 ||
    key.length > 1024 ||
    key.startsWith("/") ||
    key.includes("\0") ||
    key.includes("\\") ||
    key.split("/").some((segment) => segment === "" || segment === "." || segment === "..");
  if (bad) throw new ClickstreamError("CS_ERR_INVALID_KEY", JSON.stringify(key));
}

/** Joins key parts with `/`, dropping empty parts. */
export function joinKey(...parts: string[]): string {
  return parts
    .flatMap((part) => part.split("/"))
    .filter((part) => part.length > 0)
    .join("/");
}

/** True when any segment of the key starts with `_` or `.` (hidden from listings, as Spark/Glue/Athena do). */
export function isHiddenKey(key: string): boolean {
  return key.split("/").some((segment) => segment.startsWith("_") || segment.startsWith("."));
}

/** Validates a key and that it lies inside the bucket's home prefix (`raw/…` in the raw bucket, …). */
export function assertKeyInBucket(bucket: BucketRole, key: string): void {
  assertValidKey(key);
  if (!key.startsWith(bucketHomePrefix[bucket])) {
    throw new ClickstreamError(
      "CS_ERR_INVALID_KEY",
      `${JSON.stringify(key)} is not under ${bucketHomePrefix[bucket]} in the ${bucket} bucket`,
    );
  }
}
