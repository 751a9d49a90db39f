import { ClickstreamError } from "../errors/clickstream-error.js";
import { bucketFolders, type BucketRole } from "./storage.js";

/** S3's limit on a key's length, which local keys keep too so a warehouse syncs to S3 unchanged. */
const maxKeyLength = 1024;

/**
 * Why a key is not one this project reads or writes (relative, `/`-separated, at most 1,024 characters,
 * no `.`/`..`/empty segments such as `//`, no NUL, no `\`), or undefined when it is valid.
 */
export function keyProblem(key: string): string | undefined {
  if (key.length === 0) return "the key is empty";
  if (key.length > maxKeyLength)
    return `the key is ${key.length} characters long (the limit is ${maxKeyLength})`;
  if (key.startsWith("/")) return "the key starts with /";
  if (key.includes("\0")) return "the key holds a NUL character";
  if (key.includes("\\")) return "the key holds a backslash";
  if (key.split("/").some((segment) => segment === "" || segment === "." || segment === ".."))
    return "the key has an empty, . or .. segment (such as //)";
  return undefined;
}

/** Validates an object key (see keyProblem). */
function assertValidKey(key: string): void {
  if (keyProblem(key) !== undefined) throw new ClickstreamError("CS_ERR_INVALID_KEY", JSON.stringify(key));
}

/** True when any segment of the key starts with `_` or `.` (hidden from listings, as Spark/Glue/Athena do). */
export function isHiddenKey(key: string): boolean {
  return key.split("/").some((segment) => segment.startsWith("_") || segment.startsWith("."));
}

/** Validates a key and that it lies inside the bucket's home prefix (`raw/…` in the raw bucket, …). */
export function assertKeyInBucket(bucket: BucketRole, key: string): void {
  assertValidKey(key);
  if (!bucketFolders[bucket].some((folder) => key.startsWith(folder))) {
    throw new ClickstreamError(
      "CS_ERR_INVALID_KEY",
      `${JSON.stringify(key)} is not under ${bucketFolders[bucket].join(" or ")} in the ${bucket} bucket`,
    );
  }
}
