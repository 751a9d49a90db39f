import { createHash, createHmac, timingSafeEqual, type Hash, type Hmac } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { SignatureV4 } from "@smithy/signature-v4";
import { CollectorRequestError } from "./collector-request-error.js";

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/\s]+)\/(\d{8})\/([^/\s]+)\/([^/\s]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;_.-]+),\s*Signature=([0-9a-f]{64})$/;
const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000; // AWS refuses signatures more than 15 minutes off

/** The SHA-256 / HMAC-SHA-256 the signer needs, on node:crypto. */
class NodeSha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash("sha256") : createHmac("sha256", toBytes(secret));
  }
  update(data: SourceData): void {
    this.hash.update(toBytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(this.hash.digest());
  }
}

/** The region a SigV4 request was signed for (used in ARNs), or undefined when unsigned. */
export function signedRegion(headers: IncomingHttpHeaders): string | undefined {
  const match = AUTHORIZATION.exec(headers.authorization ?? "");
  return match?.[3];
}

function denied(type: string, message: string): CollectorRequestError {
  return new CollectorRequestError("CS_ERR_COLLECTOR_FORBIDDEN", message, type, 403);
}

/**
 * Verifies a SigV4-signed request against the configured access keys by signing the same canonical
 * request again (same signed headers, date, region and service) and comparing signatures.
 */
export class SigV4Verifier {
  private readonly secrets: Map<string, string>;

  constructor(
    accessKeys: readonly { accessKeyId: string; secretAccessKey: string }[],
    /** The region this endpoint answers as: signatures scoped to another region are refused, as AWS does. */
    private readonly region: string,
  ) {
    this.secrets = new Map(accessKeys.map((k) => [k.accessKeyId, k.secretAccessKey]));
  }

  get enabled(): boolean {
    return this.secrets.size > 0;
  }

  async verify(
    request: {
      method: string;
      url: string;
      headers: IncomingHttpHeaders;
      body: Buffer;
    },
    /** The signing name the request is for: Firehose's own, or another service served on the port (src/endpoints/). */
    expectedService = "firehose",
  ): Promise<void> {
    const authorization = request.headers.authorization;
    if (!authorization) throw denied("MissingAuthenticationTokenException", "Missing Authentication Token");
    const match = AUTHORIZATION.exec(authorization);
    if (!match)
      throw denied(
        "IncompleteSignatureException",
        "Authorization header is not a valid AWS4-HMAC-SHA256 signature",
      );
    const [, accessKeyId, scopeDate, region, service, signedHeaderList, signature] = match;
    const secretAccessKey = this.secrets.get(accessKeyId!);
    if (secretAccessKey === undefined)
      throw denied("UnrecognizedClientException", "The security token included in the request is invalid.");
    const amzDate = header(request.headers, "x-amz-date");
    const signingDate = amzDate ? parseAmzDate(amzDate) : undefined;
    if (!signingDate) throw denied("IncompleteSignatureException", "Missing or invalid X-Amz-Date header");
    // The credential scope must name this service, this region and the request's own date (AWS's checks
    // and messages): a signature made for S3, or for another region, is no key to this endpoint.
    if (service !== expectedService)
      throw denied(
        "InvalidSignatureException",
        `Credential should be scoped to correct service: '${expectedService}'.`,
      );
    if (region !== this.region)
      throw denied(
        "InvalidSignatureException",
        `Credential should be scoped to a valid region, not '${region}'. This endpoint is '${this.region}' (collector.region).`,
      );
    if (scopeDate !== amzDate!.slice(0, 8))
      throw denied(
        "InvalidSignatureException",
        `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scopeDate}' != '${amzDate!.slice(0, 8)}', from '${amzDate}'.`,
      );
    if (Math.abs(Date.now() - signingDate.getTime()) > MAX_CLOCK_SKEW_MS)
      throw denied(
        "InvalidSignatureException",
        "Signature expired: the request time is more than 15 minutes off",
      );

    // The signer trusts a client-sent x-amz-content-sha256 as the payload hash: check it against the body.
    // S3 clients may sign without the payload (UNSIGNED-PAYLOAD), as S3 allows; other services may not.
    const claimedHash = header(request.headers, "x-amz-content-sha256");
    const unsignedPayload = service === "s3" && claimedHash === "UNSIGNED-PAYLOAD";
    if (
      claimedHash !== undefined &&
      !unsignedPayload &&
      claimedHash !== createHash("sha256").update(request.body).digest("hex")
    )
      throw denied("InvalidSignatureException", "x-amz-content-sha256 does not match the request body");

    const signedHeaders = signedHeaderList!.split(";");
    const headers: Record<string, string> = {};
    for (const name of signedHeaders) {
      const value = header(request.headers, name);
      if (value === undefined)
        throw denied("IncompleteSignatureException", `Signed header ${name} is missing`);
      headers[name] = value;
    }
    const [path, query] = splitUrl(request.url);
    const signer = new SignatureV4({
      credentials: { accessKeyId: accessKeyId!, secretAccessKey },
      region: region!,
      service: service!,
      sha256: NodeSha256,
      applyChecksum: false,
      // S3 signs the path as sent (its keys are encoded once); every other service encodes it again.
      uriEscapePath: service !== "s3",
    });
    const signed = await signer.sign(
      {
        method: request.method,
        protocol: "http:",
        hostname: headers.host ?? "localhost",
        path,
        query,
        headers,
        body: request.body,
      },
      { signingDate, signableHeaders: new Set(signedHeaders) },
    );
    const expected = /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization ?? ""))?.[1] ?? "";
    const ok =
      expected.length === signature!.length &&
      timingSafeEqual(Buffer.from(expected), Buffer.from(signature!));
    if (!ok)
      throw denied(
        "InvalidSignatureException",
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.",
      );
  }
}

type SourceData = string | ArrayBuffer | ArrayBufferView;

function toBytes(data: SourceData): string | Uint8Array {
  if (typeof data === "string") return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(",") : value;
}

function parseAmzDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
}

function splitUrl(url: string): [string, Record<string, string | string[]>] {
  const parsed = new URL(url, "http://localhost");
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of parsed.searchParams) {
    const existing = query[key];
    query[key] =
      existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  return [parsed.pathname, query];
}
