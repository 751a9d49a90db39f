import { bucketHomePrefix } from "./storage.js";

/**
 * Key layouts shared by every stage, identical to the AWS deployment's S3 keys
 * (infra/kinesis.tf writes raw/, the Glue job writes transformed/ and errors/).
 */

/** Default Firehose delivery stream name, locally and on AWS. */
export const defaultStreamName = "clickstream-pipeline-stream";

/** Prefix of raw objects, as Firehose's `raw/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/`. */
export const rawKeyPrefix = bucketHomePrefix.raw;

const pad2 = (n: number): string => String(n).padStart(2, "0");

/** `year=YYYY/month=MM/day=DD/` for a UTC instant. */
export function datePartitionPath(date: Date): string {
  return `year=${date.getUTCFullYear()}/month=${pad2(date.getUTCMonth() + 1)}/day=${pad2(date.getUTCDate())}/`;
}

/**
 * Key of a raw object as Firehose names it: `raw/year=…/month=…/day=…/<stream>-<version>-YYYY-MM-DD-HH-MM-SS-<uuid>[.gz]`,
 * dated by the arrival time (UTC) of the oldest record in it.
 */
export function rawObjectKey(options: {
  stream: string;
  version?: number;
  arrival: Date;
  uuid: string;
  gzip?: boolean;
}): string {
  const a = options.arrival;
  const stamp = [
    a.getUTCFullYear(),
    pad2(a.getUTCMonth() + 1),
    pad2(a.getUTCDate()),
    pad2(a.getUTCHours()),
    pad2(a.getUTCMinutes()),
    pad2(a.getUTCSeconds()),
  ].join("-");
  const name = `${options.stream}-${options.version ?? 1}-${stamp}-${options.uuid}${options.gzip ? ".gz" : ""}`;
  return `${rawKeyPrefix}${datePartitionPath(a)}${name}`;
}

/** Partition values of a transformed partition (zero-padded strings, as the Glue crawler types them). */
export interface DatePartition {
  readonly year: string;
  readonly month: string;
  readonly day: string;
}

/** `year=(YYYY)/month=(MM)/day=(DD)` as a regex source with three groups: every partition pattern is built from it. */
const partitionSource = String.raw`year=(\d{4})/month=(\d{2})/day=(\d{2})`;

const partitionInKey = new RegExp(`(?:^|/)${partitionSource}(?:/|$)`);

/** Parses `…year=YYYY/month=MM/day=DD/…` out of a key, or undefined. */
export function parsePartition(key: string): DatePartition | undefined {
  const match = partitionInKey.exec(key);
  return match ? { year: match[1]!, month: match[2]!, day: match[3]! } : undefined;
}

/** A bare partition path, `year=YYYY/month=MM/day=DD`. */
export const partitionPathPattern = new RegExp(`^${partitionSource}$`);

/** A raw year folder, `raw/year=YYYY/`, and a month folder, `raw/year=YYYY/month=MM/`. */
export const rawYearFolderPattern = new RegExp(`^${rawKeyPrefix}${partitionSource.split("/")[0]}/$`);
export const rawMonthFolderPattern = new RegExp(
  `^${rawKeyPrefix}${partitionSource.split("/").slice(0, 2).join("/")}/$`,
);

/** A raw day folder, `raw/year=YYYY/month=MM/day=DD/`. */
export const rawDayFolderPattern = new RegExp(`^${rawKeyPrefix}${partitionSource}/$`);

/** An object directly inside a raw day folder; group 4 is its name. */
export const rawDayObjectPattern = new RegExp(`^${rawKeyPrefix}${partitionSource}/([^/]+)$`);

/** A data file of the events table, `transformed/<partition>/<name>`; group 1 is the partition, group 2 the name. */
export const tableDataFilePattern = new RegExp(
  `^${bucketHomePrefix.transformed}(${partitionSource.replace(/[()]/g, "")})/([^/]+)$`,
);

/** `YYYY-MM-DD` of a partition. */
export const partitionDay = (p: DatePartition): string => `${p.year}-${p.month}-${p.day}`;

/**
 * Keys under `_state/` (the state bucket on AWS): the one home of every state file's name, so the
 * transform, the console's change watch, the demo and the Spark runner never spell one out.
 */
export const stateKeys = {
  root: bucketHomePrefix.state,
  transform: {
    prefix: "_state/transform/",
    snapshot: "_state/transform/table.json",
    manifest: "_state/transform/commit.json",
    bookmark: "_state/transform/bookmark.json",
    /** The bookmark format before bounded day folders; read once on upgrade. */
    legacyBookmark: "_state/transform/bookmarks.json",
    sealedDay: (day: string): string => `_state/transform/bookmark/sealed/${day}.json`,
    lastRun: "_state/transform/last-run.json",
    /** The run lock (a local file next to the scratch folder, for local and S3 storage alike). */
    lock: "_state/transform/lock",
    /** Local folders of a run (DuckDB's spill files, fetched S3 objects), next to the lock. */
    scratch: "_state/transform/scratch",
    cache: "_state/transform/cache",
    runsPrefix: "_state/transform/runs/",
    runReport: (runId: string): string => `_state/transform/runs/${runId}.json`,
    stagingPrefix: "_state/transform/_staging/",
    replaced: (runId: string): string => `_state/transform/replaced/${runId}/`,
    index: (name: string, fileName: string): string => `_state/transform/index/${name}/${fileName}`,
  },
  catalogPrefix: "_state/catalog/",
  consoleQueryHistory: "_state/console/query-history.json",
  demoRecord: "_state/demo.json",
  collectorPrefix: "_state/collector/",
  collectorWal: "_state/collector/wal",
  rawArrivalsPrefix: "_state/raw-arrivals/",
  /** The local S3 endpoint's multipart uploads in progress: `<uploadId>/upload.json` and its parts. */
  s3UploadsPrefix: "_state/s3-uploads/",
  glue: {
    processedPrefix: "_state/glue/processed/",
    runReport: (runId: string): string => `_state/glue/runs/${runId}.json`,
    logsPrefix: "_state/glue/logs/",
  },
} as const;
