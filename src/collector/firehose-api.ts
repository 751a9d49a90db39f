import { randomBytes } from "node:crypto";
import { limits } from "../contract/data-contract.js";
import { CollectorRequestError } from "./collector-request-error.js";
import type { CollectorCore } from "./collector-core.js";

/**
 * The Firehose JSON 1.1 API (`POST /`, `X-Amz-Target: Firehose_20150804.<Operation>`), with AWS's
 * request and response shapes and limits, so AWS SDKs and the AWS CLI work with an endpoint override.
 */
const FIREHOSE_TARGET_PREFIX = "Firehose_20150804.";
export const FIREHOSE_CONTENT_TYPE = "application/x-amz-json-1.1";

/** AWS's fixed limits (they cannot be raised on AWS either). */
export const firehoseLimits = {
  maxRecordsPerBatch: 500,
  maxBatchBytes: 4 * 1024 * 1024, // 4 MiB of decoded Data per PutRecordBatch
  maxRecordBytes: limits.maxRecordBytes, // 1,000 KiB of decoded Data per record (the data contract's)
} as const;

// Standard base64 with padding, as AWS decodes Data. Node's decoder also takes base64url (-, _) and
// skips characters outside the alphabet; AWS answers SerializationException to both.
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

const STREAM_NAME = /^[a-zA-Z0-9_.-]{1,64}$/;
const NEWLINE = 0x0a;

// Record ids: unique per process (random prefix) and cheap (a counter), opaque to clients as on AWS.
const recordIdPrefix = randomBytes(24).toString("hex");
let recordIdCounter = 0;
function nextRecordId(): string {
  return recordIdPrefix + (recordIdCounter++).toString(16).padStart(16, "0");
}

type RecordResult = { RecordId: string } | { ErrorCode: string; ErrorMessage: string };

/** Dispatches one Firehose call; returns the response body or throws CollectorRequestError. */
export async function handleFirehoseCall(
  core: CollectorCore,
  target: string | undefined,
  body: Buffer,
  region: string,
): Promise<unknown> {
  const operation = target?.startsWith(FIREHOSE_TARGET_PREFIX)
    ? target.slice(FIREHOSE_TARGET_PREFIX.length)
    : undefined;
  if (
    operation !== "PutRecord" &&
    operation !== "PutRecordBatch" &&
    operation !== "DescribeDeliveryStream" &&
    operation !== "ListDeliveryStreams"
  ) {
    throw new CollectorRequestError(
      "CS_ERR_COLLECTOR_BAD_REQUEST",
      target
        ? `Operation ${JSON.stringify(target)} is not supported (supported: PutRecord, PutRecordBatch, DescribeDeliveryStream, ListDeliveryStreams)`
        : "Missing X-Amz-Target header",
      "UnknownOperationException",
    );
  }
  const input = parseBody(body);
  switch (operation) {
    case "PutRecord":
      return putRecord(core, input);
    case "PutRecordBatch":
      return putRecordBatch(core, input);
    case "DescribeDeliveryStream":
      return describeDeliveryStream(core, input, region);
    case "ListDeliveryStreams":
      return listDeliveryStreams(core, input);
  }
}

function parseBody(body: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(body.length === 0 ? "{}" : body.toString("utf8"));
  } catch (error) {
    throw serialization(`Request body is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw serialization("Request body must be a JSON object");
  return value as Record<string, unknown>;
}

function serialization(message: string): CollectorRequestError {
  return new CollectorRequestError("CS_ERR_COLLECTOR_BAD_REQUEST", message, "SerializationException");
}

function invalid(message: string): CollectorRequestError {
  return new CollectorRequestError("CS_ERR_COLLECTOR_BAD_REQUEST", message, "InvalidArgumentException");
}

function streamOf(core: CollectorCore, input: Record<string, unknown>) {
  const name = input.DeliveryStreamName;
  if (name === undefined || name === null)
    throw invalid(
      "1 validation error detected: Value null at 'deliveryStreamName' failed to satisfy constraint: Member must not be null",
    );
  if (typeof name !== "string") throw serialization("DeliveryStreamName must be a string");
  if (!STREAM_NAME.test(name))
    throw invalid(
      `1 validation error detected: Value '${name.slice(0, 100)}' at 'deliveryStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ and have length between 1 and 64`,
    );
  const stream = core.streams.get(name);
  if (!stream)
    throw new CollectorRequestError(
      "CS_ERR_COLLECTOR_NOT_FOUND",
      `Firehose ${name} under account ${core.accountId} not found.`,
    );
  return stream;
}

/** Decoded size of a padded standard base64 string, or -1 when it is not one (base64url included). */
function decodedLength(data: string): number {
  if (data.length % 4 !== 0 || !BASE64.test(data)) return -1;
  const padding = data.endsWith("==") ? 2 : data.endsWith("=") ? 1 : 0;
  return (data.length / 4) * 3 - padding;
}

function recordData(record: unknown, path: string): string {
  if (typeof record !== "object" || record === null || Array.isArray(record))
    throw serialization(`${path} must be an object with a Data field`);
  const data = (record as { Data?: unknown }).Data;
  if (data === undefined || data === null)
    throw invalid(
      `1 validation error detected: Value null at '${path}.data' failed to satisfy constraint: Member must not be null`,
    );
  if (typeof data !== "string") throw serialization(`${path}.Data must be a base64 string`);
  return data;
}

function tooLarge(path: string, size: number): string {
  return `1 validation error detected: Value of ${size} bytes at '${path}.data' failed to satisfy constraint: Member must have length less than or equal to ${firehoseLimits.maxRecordBytes}`;
}

/**
 * Copies the decoded records into one payload, each as one line: Data as sent, plus `\n` unless it
 * already ends with one (producers that add their own delimiter are not doubled).
 */
function encodeLines(datas: string[], sizes: number[], total: number, indexes?: number[]): Buffer {
  const out = Buffer.allocUnsafe(total + datas.length);
  let offset = 0;
  for (let i = 0; i < datas.length; i++) {
    const written = out.write(datas[i]!, offset, sizes[i]!, "base64");
    if (written !== sizes[i])
      throw serialization(`${indexes ? `Records[${indexes[i]}]` : "Record"}.Data is not valid base64`);
    offset += written;
    if (written === 0 || out[offset - 1] !== NEWLINE) out[offset++] = NEWLINE;
  }
  return out.subarray(0, offset);
}

async function putRecord(core: CollectorCore, input: Record<string, unknown>): Promise<unknown> {
  const stream = streamOf(core, input);
  if (input.Record === undefined || input.Record === null)
    throw invalid(
      "1 validation error detected: Value null at 'record' failed to satisfy constraint: Member must not be null",
    );
  const data = recordData(input.Record, "record");
  const size = decodedLength(data);
  if (size < 0) throw serialization("Record.Data is not valid base64");
  if (size > firehoseLimits.maxRecordBytes) {
    core.metrics.recordsRejected.inc({ api: "firehose", reason: "record_too_large" });
    throw invalid(tooLarge("record", size));
  }
  const payload = encodeLines([data], [size], size);
  await core.ingest(stream, payload, 1, "firehose");
  return { RecordId: nextRecordId(), Encrypted: false };
}

async function putRecordBatch(core: CollectorCore, input: Record<string, unknown>): Promise<unknown> {
  const stream = streamOf(core, input);
  const records = input.Records;
  if (records === undefined || records === null)
    throw invalid(
      "1 validation error detected: Value null at 'records' failed to satisfy constraint: Member must not be null",
    );
  if (!Array.isArray(records)) throw serialization("Records must be a list");
  if (records.length < 1 || records.length > firehoseLimits.maxRecordsPerBatch)
    throw invalid(
      `1 validation error detected: Value with ${records.length} records at 'records' failed to satisfy constraint: Member must have length between 1 and ${firehoseLimits.maxRecordsPerBatch}`,
    );

  // Validate every record first: a malformed one fails the whole call, as on AWS.
  const datas: string[] = new Array<string>(records.length);
  const sizes: number[] = new Array<number>(records.length);
  let batchBytes = 0;
  for (let i = 0; i < records.length; i++) {
    const data = recordData(records[i], `records.${i + 1}.member`);
    const size = decodedLength(data);
    if (size < 0) throw serialization(`Records[${i}].Data is not valid base64`);
    datas[i] = data;
    sizes[i] = size;
    batchBytes += size;
  }
  if (batchBytes > firehoseLimits.maxBatchBytes)
    throw invalid(
      `Records size ${batchBytes} bytes exceeds the limit of ${firehoseLimits.maxBatchBytes} bytes (4 MiB) per PutRecordBatch`,
    );

  // Per-record outcomes, in request order. Local per-record failures: a record over 1,024,000 bytes
  // (InvalidArgumentException; AWS would fail the whole call) and records beyond the free buffer
  // (ServiceUnavailableException, as AWS answers under throttling) so clients resend only those.
  const results: RecordResult[] = new Array<RecordResult>(records.length);
  const acceptedData: string[] = [];
  const acceptedSizes: number[] = [];
  const acceptedIndexes: number[] = [];
  let acceptedBytes = 0;
  let available = core.availableBytes();
  let failed = 0;
  for (let i = 0; i < records.length; i++) {
    const size = sizes[i]!;
    if (size > firehoseLimits.maxRecordBytes) {
      results[i] = {
        ErrorCode: "InvalidArgumentException",
        ErrorMessage: tooLarge(`records.${i + 1}.member`, size),
      };
      core.metrics.recordsRejected.inc({ api: "firehose", reason: "record_too_large" });
      failed++;
    } else if (size + 1 > available) {
      results[i] = {
        ErrorCode: "ServiceUnavailableException",
        ErrorMessage: "Slow down. The collector's buffer is full; retry this record.",
      };
      core.metrics.recordsRejected.inc({ api: "firehose", reason: "buffer_full" });
      available = 0; // keep order: nothing after a refused record is accepted either
      failed++;
    } else {
      results[i] = { RecordId: "" };
      acceptedData.push(datas[i]!);
      acceptedSizes.push(size);
      acceptedIndexes.push(i);
      acceptedBytes += size;
      available -= size + 1;
    }
  }
  if (acceptedData.length > 0) {
    const payload = encodeLines(acceptedData, acceptedSizes, acceptedBytes, acceptedIndexes);
    await core.ingest(stream, payload, acceptedData.length, "firehose");
    for (const result of results) if ("RecordId" in result) result.RecordId = nextRecordId();
  } else if (
    failed === records.length &&
    results.every((r) => "ErrorCode" in r && r.ErrorCode === "ServiceUnavailableException")
  ) {
    throw core.unavailable("buffer full");
  }
  return { FailedPutCount: failed, Encrypted: false, RequestResponses: results };
}

function describeDeliveryStream(
  core: CollectorCore,
  input: Record<string, unknown>,
  region: string,
): unknown {
  const stream = streamOf(core, input);
  const config = core.streamConfigs.get(stream.name)!;
  const created = core.startedAt.getTime() / 1000;
  const hints = {
    SizeInMBs: config.bufferingHints.sizeInMBs,
    IntervalInSeconds: config.bufferingHints.intervalInSeconds,
  };
  const bucketArn = `arn:aws:s3:::${core.bucketName}`;
  const roleArn = `arn:aws:iam::${core.accountId}:role/clickstream-collector`;
  const prefix = "raw/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/";
  const errorPrefix =
    "errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/";
  const encryption = { NoEncryptionConfig: "NoEncryption" };
  return {
    DeliveryStreamDescription: {
      DeliveryStreamName: stream.name,
      DeliveryStreamARN: `arn:aws:firehose:${region}:${core.accountId}:deliverystream/${stream.name}`,
      DeliveryStreamStatus: "ACTIVE",
      DeliveryStreamType: "DirectPut",
      DeliveryStreamEncryptionConfiguration: { Status: "DISABLED" },
      VersionId: String(config.version),
      CreateTimestamp: created,
      LastUpdateTimestamp: created,
      Destinations: [
        {
          DestinationId: "destinationId-000000000001",
          S3DestinationDescription: {
            RoleARN: roleArn,
            BucketARN: bucketArn,
            Prefix: prefix,
            ErrorOutputPrefix: errorPrefix,
            BufferingHints: hints,
            CompressionFormat: config.compressionFormat,
            EncryptionConfiguration: encryption,
          },
          ExtendedS3DestinationDescription: {
            RoleARN: roleArn,
            BucketARN: bucketArn,
            Prefix: prefix,
            ErrorOutputPrefix: errorPrefix,
            BufferingHints: hints,
            CompressionFormat: config.compressionFormat,
            EncryptionConfiguration: encryption,
            ProcessingConfiguration: {
              Enabled: true,
              Processors: [{ Type: "AppendDelimiterToRecord", Parameters: [] }],
            },
            S3BackupMode: "Disabled",
          },
        },
      ],
      HasMoreDestinations: false,
    },
  };
}

function listDeliveryStreams(core: CollectorCore, input: Record<string, unknown>): unknown {
  const limit = input.Limit ?? 10;
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1 || limit > 10000)
    throw invalid(
      `1 validation error detected: Value '${String(limit)}' at 'limit' failed to satisfy constraint: Member must have value between 1 and 10000`,
    );
  const type = input.DeliveryStreamType;
  if (type !== undefined && typeof type !== "string")
    throw serialization("DeliveryStreamType must be a string");
  const start = input.ExclusiveStartDeliveryStreamName;
  if (start !== undefined && typeof start !== "string")
    throw serialization("ExclusiveStartDeliveryStreamName must be a string");
  const names = [...core.streams.keys()]
    .sort()
    .filter((name) => (type === undefined || type === "DirectPut") && (start === undefined || name > start));
  return { DeliveryStreamNames: names.slice(0, limit), HasMoreDeliveryStreams: names.length > limit };
}
