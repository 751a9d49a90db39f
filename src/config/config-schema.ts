import { z } from "zod";

/**
 * Every setting of Clickstream, validated once at start-up. Unknown keys are rejected; names carry
 * their units. Each stage owns one section. Defaults live here, in one commented place.
 */
export const defaultEventCategories: Record<string, string> = {
  product_view: "browsing",
  category_view: "browsing",
  search: "browsing",
  add_to_cart: "cart",
  remove_from_cart: "cart",
  checkout_start: "conversion",
  payment_info: "conversion",
  purchase: "conversion",
  page_view: "engagement",
  login: "engagement",
  logout: "engagement",
  signup: "engagement",
};

export const transformConfigSchema = z
  .object({
    /** How far past the processing time an event may be stamped before it is rejected. */
    futureToleranceMs: z
      .number()
      .int()
      .min(0)
      .default(24 * 60 * 60 * 1000), // 24 h
    /** event_type → event_category; types not listed map to `otherCategory`. */
    eventCategories: z.record(z.string(), z.string()).default(defaultEventCategories),
    otherCategory: z.string().default("other"),
    /**
     * A partition with more rows than this is split into several files (2M rows ≈ 50–100 MB of Parquet).
     * DuckDB writes row groups of at least 2,048 rows, hence the minimum.
     */
    maxRowsPerFile: z.number().int().min(2048).default(2_000_000),
    /** DuckDB memory limit for the transform; keeps peak RSS bounded on large inputs. */
    duckdbMemoryLimitBytes: z
      .number()
      .int()
      .min(64 * 1024 * 1024)
      .default(512 * 1024 * 1024), // 512 MiB
    /** DuckDB worker threads; 0 = all cores. */
    duckdbThreads: z.number().int().min(0).default(0),
    /** How long a second run waits for the warehouse lock before giving up; 0 = do not wait. */
    lockWaitMs: z.number().int().min(0).default(0),
  })
  .strict();

export const warehouseConfigSchema = z
  .object({
    /** Storage engine: a local warehouse folder, or S3 buckets. */
    storage: z.enum(["local", "s3"]).default("local"),
    /** The warehouse folder (local storage) or the scratch folder (S3 storage). */
    dir: z.string().min(1).default("./warehouse"),
  })
  .strict();

export const configSchema = z
  .object({
    warehouse: warehouseConfigSchema.default(warehouseConfigSchema.parse({})),
    transform: transformConfigSchema.default(transformConfigSchema.parse({})),
  })
  .strict();

export type ClickstreamConfig = z.infer<typeof configSchema>;
export type TransformConfig = z.infer<typeof transformConfigSchema>;
