/**
 * The one catalogue of Clickstream error codes. Each code has the HTTP status a server answers with
 * and the fix a user can apply. docs/errors.md documents every code; a test keeps the two in sync.
 * Sections are per stage: add a code to your stage's section and a row to docs/errors.md.
 */
export interface ErrorDefinition {
  readonly status: number;
  readonly message: string;
  readonly fix: string;
  /** The fix as the web console words it, when `fix` speaks of command lines the browser user is not typing. */
  readonly webFix?: string;
}

export const errorCodes = {
  // --- general / config / cli ---
  CS_ERR_INVALID_CONFIG: {
    status: 500,
    message: "Invalid configuration",
    fix: "Check the option named in the message against `clickstream <command> --help`; unknown keys are rejected.",
  },
  CS_ERR_INVALID_ARGUMENT: {
    status: 400,
    message: "Invalid argument",
    fix: "Check the argument named in the message against `clickstream <command> --help`.",
    webFix:
      "Correct the field or address parameter the message names (dates are YYYY-MM-DD, From on or before To) and try again.",
  },
  CS_ERR_DEMO_WAREHOUSE_IN_USE: {
    status: 409,
    message: "The demo will not wipe this warehouse",
    fix: "Run the demo on a folder of its own: `clickstream demo --warehouse /tmp/clickstream-demo` (`npm start` uses ./warehouse, also the default of serve, transform, query and console), or move the files the message lists out of the folder and rerun. The demo deletes only the files its record `_state/demo.json` names as it left them; if nothing it lists matters to you, delete the folder yourself.",
  },
  CS_ERR_WAREHOUSE_NOT_FOUND: {
    status: 404,
    message: "No warehouse in this folder",
    fix: "Check `--warehouse` (or `warehouse.dir`, $CLICKSTREAM_WAREHOUSE; default ./warehouse) for a typo. Only `clickstream serve`, `pipeline`, `generate` and `demo` create a warehouse; the other commands read one.",
  },
  CS_ERR_INTERNAL: {
    status: 500,
    message: "Internal error",
    fix: "A bug: please report it with the message and the command that produced it.",
  },

  // --- storage ---
  CS_ERR_STORAGE_NOT_FOUND: {
    status: 404,
    message: "Object not found",
    fix: "Check the bucket and key; list what exists with `ls` on the warehouse folder or `aws s3 ls`.",
  },
  CS_ERR_STORAGE_IO: {
    status: 500,
    message: "Storage I/O failed",
    fix: "Check that the warehouse folder (or S3 endpoint) is reachable, writable and has free space.",
  },
  CS_ERR_INVALID_KEY: {
    status: 400,
    message: "Invalid object key",
    fix: "Keys are relative, use `/` as separator and may not contain `..`, empty segments or NUL bytes.",
  },

  // --- transform ---
  CS_ERR_TRANSFORM_LOCKED: {
    status: 409,
    message: "Another transform run holds the warehouse lock",
    fix: "Wait for the other run to finish (or pass `--wait-ms <ms>` to `clickstream transform`, or set `transform.lockWaitMs` in the config). A lock left by a killed run is taken over automatically once its process is gone, or its pid belongs to another process (a restart).",
  },
  CS_ERR_TRANSFORM_FAILED: {
    status: 500,
    message: "Transform run failed",
    fix: "Nothing was published; the message names the failing step. Rerun after fixing it: the run is idempotent.",
  },
  CS_ERR_TRANSFORM_DISK_FULL: {
    status: 507,
    message: "Transform run failed: no space left on the device",
    fix: "Nothing was published; the message names the failing step and the path. Free space on that device (the warehouse, or the scratch folder under `_state/transform/scratch/`, where DuckDB spills), then rerun: the run is idempotent.",
  },
  CS_ERR_TRANSFORM_STOPPED: {
    status: 409,
    message: "Transform run stopped before its commit",
    fix: "Nothing was published: the run was asked to stop (Glue BatchStopJobRun on the local endpoint) before it committed. Start it again when wanted: the run is idempotent.",
  },
  CS_ERR_ENGINE_MISMATCH: {
    status: 409,
    message: "Another transform engine has processed this warehouse",
    fix: "Keep using the engine that processed it (--engine local or --engine spark), or start a new warehouse folder: the engines keep separate records of what they processed, and mixing them would process raw objects twice.",
  },

  // --- pipeline ---
  CS_ERR_PIPELINE_ADMIN_LISTEN: {
    status: 500,
    message: "The pipeline's admin endpoint cannot listen",
    fix: "Another process uses the port: pick another with --admin-port (or pipeline.adminPort), or -1 for none.",
  },
  CS_ERR_PIPELINE_ADMIN_HOST: {
    status: 403,
    message: "Requests to the admin endpoint must name it by its loopback address",
    fix: "Call http://127.0.0.1:<admin port>/ from this machine; the endpoint refuses other Host names (DNS rebinding).",
  },
  CS_ERR_PIPELINE_ADMIN_CROSS_SITE: {
    status: 403,
    message: "Only a script on this machine may start a run",
    fix: "Send the header `X-Clickstream-Admin: 1` and no Origin of another site: `curl -X POST -H 'X-Clickstream-Admin: 1' http://127.0.0.1:4575/run`. Web pages (forms, cross-site fetches) are refused, so a site you visit cannot start runs.",
  },
  CS_ERR_PIPELINE_ADMIN_ROUTE: {
    status: 404,
    message: "The admin endpoint has no such route",
    fix: "Use POST /run to start a run now, or GET /status.",
  },

  // --- spark (the Glue job on local Spark: transform --engine spark) ---
  CS_ERR_SPARK_UNAVAILABLE: {
    status: 500,
    message: "The Python side is missing",
    fix: "pyspark is not installed: run npm run setup:python (a virtualenv in .venv with glue/requirements-dev.txt); Spark also needs Java 17 on PATH.",
  },
  CS_ERR_SPARK_JOB_FAILED: {
    status: 500,
    message: "The Glue job failed on local Spark",
    fix: "The message names the failing step (the full Spark log is above it). Nothing the run had not finished is recorded as processed: fix the cause and rerun.",
  },

  // --- collector ---
  CS_ERR_COLLECTOR_BAD_REQUEST: {
    status: 400,
    message: "Malformed request",
    fix: "The message names the problem (bad JSON, bad base64, bad gzip, missing field, limit exceeded); fix the client's request. Firehose clients see it as InvalidArgumentException or SerializationException.",
  },
  CS_ERR_COLLECTOR_UNAUTHORIZED: {
    status: 401,
    message: "Missing or unknown write key",
    fix: "Send one of the configured `collector.writeKeys` in the `x-clickstream-write-key` header or the `writeKey` query parameter.",
  },
  CS_ERR_COLLECTOR_FORBIDDEN: {
    status: 403,
    message: "Request refused",
    fix: "For browsers: add the page's origin to `collector.corsAllowedOrigins`. For the Firehose API: sign with one of `collector.accessKeys` (SigV4, service `firehose`) and keep the client's clock within 15 minutes.",
  },
  CS_ERR_COLLECTOR_NOT_FOUND: {
    status: 404,
    message: "No such endpoint or delivery stream",
    fix: "Use `POST /` (Firehose API), `POST /v1/events`, `GET /healthz` or `GET /metrics`; stream names must be configured in `collector.streams`.",
  },
  CS_ERR_COLLECTOR_TIMEOUT: {
    status: 408,
    message: "Request not received in time",
    fix: "The client sent its request too slowly; retry, or raise `collector.requestTimeoutMs`.",
  },
  CS_ERR_COLLECTOR_BODY_TOO_LARGE: {
    status: 413,
    message: "Request body too large",
    fix: "Split the request: at most `collector.maxBodyBytes` per body (after gzip decoding), 500 records and 4 MiB per PutRecordBatch, 1,024,000 bytes per record.",
  },
  CS_ERR_COLLECTOR_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    message: "Unsupported content type or encoding",
    fix: "Send `application/json`, `application/x-ndjson` or `text/plain` to /v1/events (`application/x-amz-json-1.1` to the Firehose API), optionally with `Content-Encoding: gzip`.",
  },
  CS_ERR_COLLECTOR_UNAVAILABLE: {
    status: 503,
    message: "Collector buffer or disk full; retry later",
    fix: "Nothing was stored; retry with backoff (AWS SDKs do). If it persists, check the warehouse storage is writable, free disk space, or raise `collector.maxBufferBytes`.",
  },
  CS_ERR_COLLECTOR_WAL: {
    status: 500,
    message: "Write-ahead log I/O failed",
    fix: "Check that the WAL folder (`collector.walDir`, default `<warehouse>/_state/collector/wal`) exists, is writable and has free space.",
  },
  CS_ERR_COLLECTOR_WAL_LOCKED: {
    status: 409,
    message: "Another collector uses this write-ahead log",
    fix: "Stop the other collector (the message names its pid), or give this one a folder of its own with the setting the message names: two collectors sharing a WAL would deliver records twice.",
  },
  CS_ERR_COLLECTOR_TRACKER_MISSING: {
    status: 404,
    message: "The browser tracker script is not built",
    fix: "Run `npm run build` (or `npm install`) in the repository: it writes dist/tracker/tracker.js, which `GET /tracker.js` serves.",
  },
  CS_ERR_COLLECTOR_LISTEN: {
    status: 500,
    message: "Cannot listen on the requested address",
    fix: "Another process uses the port, or the host is not an address of this machine: pick another port or host with the setting the message names (port 0 = any free port).",
  },
  CS_ERR_SEND_FAILED: {
    status: 502,
    message: "Some records could not be sent",
    fix: "The message gives the counts and the last error; check the endpoint and stream name, then resend (the transform deduplicates by event_id).",
  },
  CS_ERR_SEND_NO_OUTPUTS: {
    status: 400,
    message: "Cannot read terraform-outputs.json",
    fix: "Run ./deploy.sh first (it writes terraform-outputs.json), or pass --stream and --region explicitly.",
  },

  // --- catalog ---
  CS_ERR_CATALOG_CORRUPT: {
    status: 500,
    message: "Catalog file is unreadable",
    fix: "A file under _state/catalog/ is not valid JSON of the expected shape: fix or delete it, then run `clickstream crawl` to rebuild it.",
  },
  CS_ERR_CATALOG_NOT_FOUND: {
    status: 404,
    message: "Database or table not found in the catalog",
    fix: "Run `clickstream crawl` after the transform has written Parquet to transformed/; list what exists with `clickstream catalog`.",
  },
  CS_ERR_CATALOG_CRAWL_FAILED: {
    status: 500,
    message: "Crawl failed",
    fix: "The message names the file that could not be read; nothing was written to the catalog. Fix or remove the file and crawl again.",
  },

  // --- query ---
  CS_ERR_QUERY_SYNTAX: {
    status: 400,
    message: "Query is not valid SQL",
    fix: "Check the SQL near the position the message gives as `line L:C` (the console marks it in the editor); Athena / Trino syntax.",
  },
  CS_ERR_QUERY_UNSUPPORTED: {
    status: 400,
    message: "Construct not supported by the local query engine",
    fix: "The message names the construct; docs/query.md lists what is mapped. Rewrite the query with a supported equivalent.",
  },
  CS_ERR_QUERY_FORBIDDEN: {
    status: 403,
    message: "Statement refused: the query engine is read-only",
    fix: "Only SELECT/WITH/VALUES/EXPLAIN on catalog tables and SHOW/DESCRIBE/MSCK REPAIR TABLE are allowed; files are read through the catalog only.",
  },
  CS_ERR_QUERY_TYPE_MISMATCH: {
    status: 400,
    message: "Type mismatch",
    fix: "Athena does not compare strings with numbers: quote the value (partition keys year/month/day are strings: `month = '11'`).",
  },
  CS_ERR_QUERY_TIMEOUT: {
    status: 408,
    message: "Query exceeded the time limit",
    fix: "Filter on year/month/day to read fewer partitions, or raise `query.timeoutMs` in the config.",
  },
  CS_ERR_QUERY_TOO_MANY_ROWS: {
    status: 413,
    message: "Query result exceeds the row cap",
    fix: "Add a LIMIT or aggregate, or raise `query.maxResultRows` in the config.",
  },
  CS_ERR_QUERY_RESULT_TOO_LARGE: {
    status: 413,
    message: "Query result exceeds the byte cap",
    fix: "Select fewer or shorter columns (the cap counts the result as CSV/JSON text, so long lists count even when their members are NULL or empty), add a LIMIT or aggregate, or raise `query.maxResultBytes` in the config.",
  },
  CS_ERR_QUERY_OUT_OF_MEMORY: {
    status: 507,
    message: "Query ran out of memory",
    fix: "The query built more data than `query.workerMemoryLimitBytes` (or DuckDB's `query.duckdbMemoryLimitBytes`) allows: filter on year/month/day, aggregate, avoid huge values (lpad to millions of characters), or raise the limits in the config.",
  },
  CS_ERR_QUERY_FAILED: {
    status: 400,
    message: "Query failed",
    fix: "The message carries the engine's explanation (unknown column, bad cast, …); fix the SQL and run it again.",
  },
  CS_ERR_QUERY_CANCELLED: {
    status: 499,
    message: "Query cancelled",
    fix: "The query was cancelled by its client (the console's Cancel button, or a closed connection); run it again if you still need the result.",
  },
  CS_ERR_QUERY_NOT_FOUND: {
    status: 404,
    message: "Named query not found",
    fix: 'Check the name against the `-- Query N: Title` comments of the file (`--name 3` or `--name "Daily revenue"`).',
  },

  // --- console ---
  CS_ERR_CONSOLE_TOKEN_REQUIRED: {
    status: 500,
    message: "The console needs a token to listen on a non-loopback address",
    fix: "Set a token with the setting the message names (`console.token` in a config file; `clickstream console` also takes a flag or $CLICKSTREAM_CONSOLE_TOKEN), or listen on loopback (127.0.0.1, the default).",
  },
  CS_ERR_CONSOLE_UNAUTHORIZED: {
    status: 401,
    message: "Missing or wrong console token",
    fix: "Open the console once as `http://HOST:PORT/?token=<token>` (a cookie keeps it), or send `Authorization: Bearer <token>` from scripts.",
  },
  CS_ERR_CONSOLE_HOST_REFUSED: {
    status: 421,
    message: "Request for another host refused",
    fix: "Open the console by an address it listens on (127.0.0.1, localhost, or the --host name); add other names with `console.allowedHosts`. This guards against DNS rebinding.",
  },
  CS_ERR_CONSOLE_ORIGIN_REFUSED: {
    status: 403,
    message: "Cross-origin request refused",
    fix: "The console accepts POSTs only from its own pages; call the API from a script without an Origin header, or from the console itself.",
  },
  CS_ERR_CONSOLE_NOT_FOUND: {
    status: 404,
    message: "No such console page or resource",
    fix: "Check the address: the API is under /api/ (GET /api/overview, POST /api/query, …), the pages are / and /#/workbench.",
  },

  // --- aws ---
  CS_ERR_AWS_OUTPUTS_MISSING: {
    status: 500,
    message: "terraform-outputs.json not found",
    fix: "Run ./deploy.sh (it writes terraform-outputs.json), pass --terraform-outputs FILE, or give the resource names as flags.",
  },
  CS_ERR_OUTPUTS_NOT_LOCAL: {
    status: 409,
    message: "Refusing to overwrite an outputs file that does not name the local stack",
    fix: "`--outputs FILE` of `clickstream serve` / `clickstream pipeline` replaces only a file it wrote (every bucket in the local account 000000000000). This one names a real deployment, or is not an outputs file: pass another path (e.g. `--outputs local-outputs.json`), or move the file away first.",
  },
  CS_ERR_AWS_OUTPUTS_INVALID: {
    status: 500,
    message: "terraform-outputs.json is not a Clickstream deployment's outputs",
    fix: "Rewrite it with `terraform -chdir=infra output -json > terraform-outputs.json` after a successful ./deploy.sh.",
  },
  CS_ERR_AWS_REQUEST: {
    status: 502,
    message: "AWS request failed",
    fix: "Check credentials (aws sts get-caller-identity), the region, and that ./deploy.sh finished; the message names the call and AWS's error.",
  },
  CS_ERR_AWS_JOB_FAILED: {
    status: 500,
    message: "Glue job run did not succeed",
    fix: "Read the run's error message and its CloudWatch logs (/aws-glue/jobs/error); fix the cause and rerun: the job is bookmarked and idempotent.",
  },
  CS_ERR_AWS_CRAWLER_FAILED: {
    status: 500,
    message: "Glue crawler run did not succeed",
    fix: "Read the crawl's error message and the crawler's CloudWatch logs (/aws-glue/crawlers); then run the crawler again.",
  },
  CS_ERR_AWS_QUERY_FAILED: {
    status: 400,
    message: "Athena query did not succeed",
    fix: "Read Athena's reason in the message: fix the SQL, or raise the workgroup's bytes-scanned cutoff if the query was cancelled for scanning too much.",
  },
  CS_ERR_AWS_TIMEOUT: {
    status: 504,
    message: "Timed out waiting for AWS",
    fix: "The run goes on in AWS; check it in the console, or wait longer with --timeout-ms.",
  },
} as const satisfies Record<string, ErrorDefinition>;

export type ErrorCode = keyof typeof errorCodes;
