import type { ApiError } from "./api.js";

/** A value fetched from the API: still loading, there, or failed. */
export type Loaded<T> = { state: "loading" } | { state: "ok"; data: T } | { state: "error"; error: ApiError };
