import { createHash } from "node:crypto";
import { CollectorRequestError } from "../collector/collector-request-error.js";
import { isClickstreamError } from "../errors/clickstream-error.js";
import type { ObjectInfo } from "../storage/storage.js";
import { AwsError } from "./aws-error.js";
import { xmlText } from "./endpoint-router.js";
import type { EndpointRequest, EndpointResponse } from "./service-endpoints.js";

/** S3's REST-XML wire: the shared pieces of the read and write sides (answers, errors, ETags). */
export const XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/";
const XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n';

export function notImplemented(what: string): AwsError {
  return new AwsError(
    "NotImplemented",
    `${what} is not served by this local endpoint (see docs/aws-endpoints.md)`,
    501,
  );
}

export function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new AwsError("InvalidURI", "Couldn't parse the specified URI.");
  }
}

export function header(request: EndpointRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** A stable ETag from the object's identity (key, size, modification time): the warehouse keeps no MD5s. */
export function etag(info: ObjectInfo): string {
  const digest = createHash("md5")
    .update(`${info.key}\0${info.size}\0${info.lastModified.getTime()}`)
    .digest("hex");
  return `"${digest}"`;
}

export function xml(
  request: EndpointRequest,
  body: string,
  headers: Readonly<Record<string, string>> = {},
): EndpointResponse {
  return {
    service: "s3",
    status: 200,
    headers: { "content-type": "application/xml", "x-amz-request-id": request.id, ...headers },
    body: Buffer.from(XML_HEAD + body),
  };
}

export function s3Error(request: EndpointRequest, error: unknown): EndpointResponse {
  const e =
    error instanceof AwsError
      ? error
      : error instanceof CollectorRequestError
        ? signatureError(error)
        : new AwsError(
            "InternalError",
            `internal error: ${isClickstreamError(error) ? error.message : String(error)}`,
            500,
          );
  const extra = Object.entries(e.fields)
    .map(([k, v]) => `<${k}>${xmlText(String(v))}</${k}>`)
    .join("");
  const body = `<Error><Code>${xmlText(e.type)}</Code><Message>${xmlText(e.message)}</Message>${extra}<RequestId>${request.id}</RequestId></Error>`;
  return {
    service: "s3",
    status: e.status,
    headers: { "content-type": "application/xml", "x-amz-request-id": request.id },
    // A HEAD answer has no body: the status and headers carry the error, as S3 answers them.
    body: request.method === "HEAD" ? Buffer.alloc(0) : Buffer.from(XML_HEAD + body),
  };
}

/** S3's names for the signature check's refusals (sigv4-auth.ts names them as the JSON services do). */
function signatureError(error: CollectorRequestError): AwsError {
  const code =
    error.firehoseType === "UnrecognizedClientException"
      ? "InvalidAccessKeyId"
      : error.firehoseType === "InvalidSignatureException"
        ? "SignatureDoesNotMatch"
        : "AccessDenied";
  return new AwsError(code, error.detail, 403);
}
