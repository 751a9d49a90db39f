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

/** Bucket names per storage role (S3 storage). */
export const s3BucketsConfigSchema = z
  .object({
    raw: z.string().min(3),
    transformed: z.string().min(3),
    errors: z.string().min(3),
    athenaResults: z.string().min(3),
    state: z.string().min(3),
  })
  .strict();

export const warehouseConfigSchema = z
  .object({
    /** Storage engine: a local warehouse folder, or S3 buckets. */
    storage: z.enum(["local", "s3"]).default("local"),
    /** The warehouse folder (local storage) or the scratch folder (S3 storage). */
    dir: z.string().min(1).default("./warehouse"),
    /** S3 storage: an S3-compatible endpoint URL (omit for AWS S3). */
    endpoint: z.url().optional(),
    /** S3 storage: the region (default: $AWS_REGION, then us-east-1). */
    region: z.string().min(1).optional(),
    /** S3 storage: path-style URLs (default: on when an endpoint is set, as most S3-compatible servers need). */
    forcePathStyle: z.boolean().optional(),
    /** S3 storage: the bucket of each role (default: from terraform-outputs.json). Roles may share a bucket. */
    buckets: s3BucketsConfigSchema.optional(),
    /** S3 storage: bodies at least this big are uploaded in parts. */
    multipartThresholdBytes: z
      .number()
      .int()
      .min(5 * 1024 * 1024)
      .default(16 * 1024 * 1024), // 16 MiB
  })
  .strict();

export const catalogConfigSchema = z
  .object({
    /** Glue database the crawler writes to and the query engine reads from. */
    databaseName: z
      .string()
      .regex(/^[a-z_][a-z0-9_]*$/, "lowercase letters, digits and _")
      .default("clickstream_db"),
    /** Prefix added to table names (Glue's TablePrefix); the table name itself is the crawled folder's name. */
    tablePrefix: z
      .string()
      .regex(/^[a-z0-9_]*$/, "lowercase letters, digits and _")
      .default(""),
    /**
     * Local folder where Parquet files are copied when the storage has no local path (S3), so DuckDB can
     * read them; "" = `<warehouse.dir>/.cache`.
     */
    cacheDir: z.string().default(""),
  })
  .strict();

export const queryConfigSchema = z
  .object({
    /** A query running longer than this is interrupted (CS_ERR_QUERY_TIMEOUT). */
    timeoutMs: z
      .number()
      .int()
      .min(1)
      .default(5 * 60 * 1000), // 5 min
    /** A result with more rows than this is refused (CS_ERR_QUERY_TOO_MANY_ROWS); add a LIMIT. */
    maxResultRows: z.number().int().min(1).default(100_000),
    /** DuckDB memory limit for queries. */
    duckdbMemoryLimitBytes: z
      .number()
      .int()
      .min(64 * 1024 * 1024)
      .default(1024 * 1024 * 1024), // 1 GiB
    /** DuckDB worker threads; 0 = all cores. */
    duckdbThreads: z.number().int().min(0).default(0),
    /**
     * Pins `current_date`, `current_timestamp`, `now()` and `localtimestamp` to this ISO-8601 instant
     * (reproducible reports and tests); "" = the wall clock at the start of each query, as Athena does.
     */
    now: z
      .string()
      .refine((v) => v === "" || !Number.isNaN(Date.parse(v)), "an ISO-8601 instant or empty")
      .default(""),
  })
  .strict();

export const configSchema = z
  .object({
    warehouse: warehouseConfigSchema.default(warehouseConfigSchema.parse({})),
    transform: transformConfigSchema.default(transformConfigSchema.parse({})),
    catalog: catalogConfigSchema.default(catalogConfigSchema.parse({})),
    query: queryConfigSchema.default(queryConfigSchema.parse({})),
  })
  .strict();

export type ClickstreamConfig = z.infer<typeof configSchema>;
export type WarehouseConfig = z.infer<typeof warehouseConfigSchema>;
export type TransformConfig = z.infer<typeof transformConfigSchema>;
export type CatalogConfig = z.infer<typeof catalogConfigSchema>;
export type QueryConfig = z.infer<typeof queryConfigSchema>;
