/**
 * Key layouts shared by every stage, identical to the AWS deployment's S3 keys
 * (infra/kinesis.tf writes raw/, the Glue job writes transformed/ and errors/).
 */

/** Default Firehose delivery stream name, locally and on AWS. */
export const defaultStreamName = "clickstream-pipeline-stream";

/** Prefix of raw objects, as Firehose's `raw/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/`. */
export const rawKeyPrefix = "raw/";

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

/** `year=YYYY/month=MM/day=DD` (no trailing slash) for a partition. */
export function partitionPath(p: DatePartition): string {
  return `year=${p.year}/month=${p.month}/day=${p.day}`;
}

/** Parses `…year=YYYY/month=MM/day=DD/…` out of a key, or undefined. */
export function parsePartition(key: string): DatePartition | undefined {
  const match = /(?:^|\/)year=(\d{4})\/month=(\d{2})\/day=(\d{2})(?:\/|$)/.exec(key);
  return match ? { year: match[1]!, month: match[2]!, day: match[3]! } : undefined;
}
