import { z } from "zod";
import { limits } from "../contract/data-contract.js";

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

const transformConfigSchema = z
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
    /**
     * Gzip-bomb defence: past the contract's maxObjectBytes, a `.gz` object may decompress to at most this
     * many times its compressed size (plain objects are read whatever their size).
     */
    maxCompressionRatio: z.number().min(1).default(limits.maxCompressionRatio),
    /** The most one `.gz` object may decompress to (bytes; 16 GiB by default). */
    maxDecompressedBytes: z.number().int().min(1).default(limits.maxDecompressedBytes),
    /** How long a second run waits for the warehouse lock before giving up; 0 = do not wait. */
    lockWaitMs: z.number().int().min(0).default(0),
    /**
     * Raw day folders (Firehose's arrival dates) stay open this long: each run lists them again for
     * objects that land late. Older folders are sealed and never listed again (see bookmark-store.ts).
     */
    bookmarkLookbackDays: z.number().int().min(1).max(365).default(3),
    /**
     * On S3, sealed day folders are listed again this often (a local warehouse checks each folder's time
     * on every run instead), so an object uploaded into one late is still processed (`--reconcile`: now).
     */
    reconcileEveryMs: z
      .number()
      .int()
      .min(0)
      .default(60 * 60 * 1000), // 1 h
    /** A partition with more files than this is compacted by the transform itself. */
    compactAfterFiles: z.number().int().min(2).default(16),
    /** Rows per file written by compaction: a late event later rewrites at most one file this size. */
    compactTargetFileRows: z.number().int().min(2048).default(500_000),
    /**
     * Files a run replaces (late events, compaction) are deleted only this long after, so a reader
     * that opened the previous snapshot can finish. Longer than any query's time limit.
     */
    deleteGraceMs: z
      .number()
      .int()
      .min(0)
      .default(10 * 60 * 1000), // 10 min
    /**
     * 0 (the default): duplicates are caught across the whole history. N > 0: only against ids of the
     * last N days of event dates, which keeps the id index at N days (faster on very long histories).
     */
    dedupHorizonDays: z.number().int().min(0).default(0),
  })
  .strict();

/** Bucket names per storage role (S3 storage). */
const s3BucketsConfigSchema = z
  .object({
    raw: z.string().min(3),
    transformed: z.string().min(3),
    errors: z.string().min(3),
    athenaResults: z.string().min(3),
    state: z.string().min(3),
  })
  .strict();

const warehouseConfigSchema = z
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

const catalogConfigSchema = z
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

const queryConfigSchema = z
  .object({
    /** A query running longer than this is interrupted (CS_ERR_QUERY_TIMEOUT). */
    timeoutMs: z
      .number()
      .int()
      .min(1)
      .default(5 * 60 * 1000), // 5 min
    /** A result with more rows than this is refused (CS_ERR_QUERY_TOO_MANY_ROWS); add a LIMIT. */
    maxResultRows: z.number().int().min(1).default(100_000),
    /**
     * A result bigger than this once serialised is refused (CS_ERR_QUERY_RESULT_TOO_LARGE), counted row by
     * row while it streams: the larger of the row's CSV record and its JSON text, in UTF-8 bytes.
     */
    maxResultBytes: z
      .number()
      .int()
      .min(1024)
      .default(64 * 1024 * 1024), // 64 MiB
    /**
     * Queries run in a child process whose memory (data segment, Linux) is capped here, so a query that
     * builds huge values fails with CS_ERR_QUERY_OUT_OF_MEMORY instead of taking the machine's memory.
     * Must leave room above duckdbMemoryLimitBytes for Node and the result.
     */
    workerMemoryLimitBytes: z
      .number()
      .int()
      .min(256 * 1024 * 1024)
      .default(2 * 1024 * 1024 * 1024), // 2 GiB
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

/** A delivery stream name as Firehose allows it: 1–64 of `[a-zA-Z0-9_.-]` (and not `.`/`..`, which are folder names). */
const streamNameSchema = z
  .string()
  .regex(/^[a-zA-Z0-9_.-]{1,64}$/, "1–64 characters of [a-zA-Z0-9_.-]")
  .refine((name) => name !== "." && name !== "..", "may not be . or ..");

const collectorStreamConfigSchema = z
  .object({
    name: streamNameSchema,
    /** Firehose's stream version, the `-1-` in object names; bump it when you change the stream's settings. */
    version: z.number().int().min(1).default(1),
    /** Firehose BufferingHints; ranges as Firehose allows. Local defaults are smaller than AWS's 5 MiB / 300 s. */
    bufferingHints: z
      .object({
        sizeInMBs: z.number().int().min(1).max(128).default(5), // MiB, before compression
        intervalInSeconds: z.number().int().min(0).max(900).default(60),
      })
      .strict()
      .default({ sizeInMBs: 5, intervalInSeconds: 60 }),
    compressionFormat: z.enum(["UNCOMPRESSED", "GZIP"]).default("UNCOMPRESSED"),
  })
  .strict();

export const collectorConfigSchema = z
  .object({
    host: z.string().min(1).default("127.0.0.1"),
    port: z.number().int().min(0).max(65535).default(4573),
    /** Write-ahead log folder; default `<warehouse>/_state/collector/wal`. */
    walDir: z.string().min(1).optional(),
    /** Acknowledged but undelivered bytes, all streams together; above it requests get 503. */
    maxBufferBytes: z
      .number()
      .int()
      .min(1024 * 1024)
      .default(64 * 1024 * 1024), // 64 MiB
    /** Largest request body (after gzip decoding for /v1/events). A full PutRecordBatch is ~5.6 MB of base64 JSON. */
    maxBodyBytes: z
      .number()
      .int()
      .min(64 * 1024)
      .default(8 * 1024 * 1024), // 8 MiB
    /** Below this much free disk space on the WAL's filesystem requests get 503. */
    minFreeDiskBytes: z
      .number()
      .int()
      .min(0)
      .default(64 * 1024 * 1024), // 64 MiB
    /** A request (headers and body) must arrive within this time; slow clients get 408. */
    requestTimeoutMs: z.number().int().min(100).default(30_000),
    /** Idle keep-alive connections are closed after this long. */
    keepAliveTimeoutMs: z.number().int().min(100).default(72_000),
    /** Keys accepted by `POST /v1/events` (header `x-clickstream-write-key` or `?writeKey=`); empty = open. */
    writeKeys: z.array(z.string().min(8)).default([]),
    /** Browser origins allowed to call `/v1/events` (`*` = any); empty = no CORS headers, cross-origin browser calls refused. */
    corsAllowedOrigins: z.array(z.string().min(1)).default([]),
    /** The AWS region the Firehose API answers as: a SigV4 signature must be scoped to it (and to `firehose`). */
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "an AWS region name such as us-east-1")
      .default("us-east-1"),
    /**
     * SigV4 credentials for the Firehose API; empty = signatures accepted without checking. Required when
     * writeKeys gate /v1/events, or POST / would stay an open door beside it.
     */
    accessKeys: z
      .array(z.object({ accessKeyId: z.string().min(1), secretAccessKey: z.string().min(1) }).strict())
      .default([]),
    /** Configured delivery streams; other names get ResourceNotFoundException. */
    streams: z
      .array(collectorStreamConfigSchema)
      .min(1)
      .refine((s) => new Set(s.map((x) => x.name)).size === s.length, "stream names must be unique")
      .default([collectorStreamConfigSchema.parse({ name: "clickstream-pipeline-stream" })]),
    /** The stream `POST /v1/events` writes to; must be one of `streams`. */
    eventsStream: streamNameSchema.default("clickstream-pipeline-stream"),
  })
  .strict()
  .refine((c) => c.streams.some((s) => s.name === c.eventsStream), {
    message: "eventsStream must name one of the configured streams",
    path: ["eventsStream"],
  })
  .refine((c) => c.writeKeys.length === 0 || c.accessKeys.length > 0, {
    message:
      "writeKeys gate POST /v1/events, but with no accessKeys the Firehose API on POST / accepts any request: add accessKeys (Firehose clients sign with them), or remove writeKeys",
    path: ["accessKeys"],
  });

const pipelineConfigSchema = z
  .object({
    /** How often `clickstream pipeline` runs transform → crawl (the local twin of the Glue trigger chain). */
    everyMs: z
      .number()
      .int()
      .min(1000)
      .default(5 * 60 * 1000), // 5 min
    /**
     * Loopback port of the admin endpoint (`POST /run` starts a run now, `GET /status`); 0 = any free
     * port, -1 = none. Never on the collector's public port: it needs no credentials.
     */
    adminPort: z.number().int().min(-1).max(65535).default(4575),
    /** On SIGTERM, how long a running transform may go on before the process exits (it then rolls back). */
    shutdownGraceMs: z
      .number()
      .int()
      .min(0)
      .default(5 * 60 * 1000), // 5 min
  })
  .strict();

const consoleConfigSchema = z
  .object({
    /** Address `clickstream console` listens on; anything but loopback requires `token`. */
    host: z.string().min(1).default("127.0.0.1"),
    port: z.number().int().min(0).max(65535).default(4574),
    /** Shared secret every request must carry (cookie from `/?token=…`, or `Authorization: Bearer`); "" = none. */
    token: z.string().default(""),
    /** Extra `Host` names the console answers to (besides loopback names and the listen address). */
    allowedHosts: z.array(z.string().min(1)).default([]),
    /** Dashboard queries run on this many query engines at once (each a DuckDB instance). */
    queryConcurrency: z.number().int().min(1).max(16).default(2),
    /** Entries kept in the workbench's query history (`_state/console/query-history.json`). */
    historyMaxEntries: z.number().int().min(1).default(500),
  })
  .strict();

export const configSchema = z
  .object({
    warehouse: warehouseConfigSchema.default(warehouseConfigSchema.parse({})),
    transform: transformConfigSchema.default(transformConfigSchema.parse({})),
    collector: collectorConfigSchema.default(collectorConfigSchema.parse({})),
    catalog: catalogConfigSchema.default(catalogConfigSchema.parse({})),
    query: queryConfigSchema.default(queryConfigSchema.parse({})),
    pipeline: pipelineConfigSchema.default(pipelineConfigSchema.parse({})),
    console: consoleConfigSchema.default(consoleConfigSchema.parse({})),
  })
  .strict();

export type ClickstreamConfig = z.infer<typeof configSchema>;
export type TransformConfig = z.infer<typeof transformConfigSchema>;
export type CollectorConfig = z.infer<typeof collectorConfigSchema>;
export type CollectorStreamConfig = z.infer<typeof collectorStreamConfigSchema>;
