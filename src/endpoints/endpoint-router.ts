import { CollectorRequestError } from "../collector/collector-request-error.js";
import { AwsError, unknownOperation } from "./aws-error.js";
import type { EndpointRequest, EndpointResponse, ServiceEndpoints } from "./service-endpoints.js";

/** What an operation handler knows about its call. */
export interface CallContext {
  /** Region the request was signed for (or the endpoint's own when unsigned). */
  readonly region: string;
  readonly requestId: string;
}

/** A service on AWS's JSON 1.0/1.1 protocol: `POST /`, `X-Amz-Target: <prefix><Operation>`, a JSON body. */
export interface JsonService {
  /** SigV4 signing name (the credential scope's service): `athena`, `glue`. */
  readonly signingName: string;
  /** `AmazonAthena.`, `AWSGlue.`. */
  readonly targetPrefix: string;
  /** `application/x-amz-json-1.1`. */
  readonly contentType: string;
  /** The exception name of a fault on our side (Athena: InternalServerException, Glue: InternalServiceException). */
  readonly internalErrorType: string;
  /** Its operations by name (each throws AwsError); the router answers `UnknownOperationException` for the rest. */
  readonly operations: Readonly<Record<string, JsonOperation>>;
}

/** One operation of a JSON service: its input, parsed, to its output. */
export type JsonOperation = (input: Record<string, unknown>, context: CallContext) => Promise<unknown>;

/** A service on AWS's query protocol: a form body `Action=<Operation>&Version=…`, XML answers (STS). */
export interface QueryService {
  readonly signingName: string;
  /** XML namespace of the answers, e.g. `https://sts.amazonaws.com/doc/2011-06-15/`. */
  readonly xmlns: string;
  /** The inner XML of `<ActionResult>` (throws AwsError). */
  call(action: string, params: URLSearchParams, context: CallContext): Promise<string>;
}

/** A service on a REST protocol (S3): addressed by method and path; answers whole responses. */
export interface RestService {
  readonly signingName: string;
  /** The largest PUT body it takes (S3 uploads). */
  readonly maxPutBodyBytes?: number;
  /** True when an unsigned request is addressed to this service (a path under one of its buckets). */
  owns(request: EndpointRequest): boolean;
  /** The answer, errors included in the service's shape (never throws). */
  call(request: EndpointRequest, context: CallContext): Promise<EndpointResponse>;
}

const CREDENTIAL_SCOPE = /Credential=[^/\s]+\/\d{8}\/([^/\s]+)\/([^/\s]+)\/aws4_request/;
const FORM_TYPE = "application/x-www-form-urlencoded";
/** The collector's own API, left to it. */
const FIREHOSE = { signingName: "firehose", targetPrefix: "Firehose_20150804." };

/**
 * Routes `POST /` on the collector's port to the service it is for: by the SigV4 credential scope's service
 * when the request is signed, else by the `X-Amz-Target` prefix (JSON protocols) or a form body with an
 * `Action` (query protocol). Firehose's requests are left to the collector. Every failure answers in the
 * service's own error shape, never a crash or an HTML page.
 */
export class EndpointRouter implements ServiceEndpoints {
  private readonly json = new Map<string, JsonService>();
  private readonly query = new Map<string, QueryService>();
  private readonly rest: RestService | undefined;
  readonly maxPutBodyBytes: number | undefined;

  constructor(
    services: { json: readonly JsonService[]; query: readonly QueryService[]; rest?: RestService },
    /** The region the endpoint answers as when a request is unsigned. */
    private readonly region: string,
    private readonly onClose: () => Promise<void> = async () => undefined,
  ) {
    for (const s of services.json) this.json.set(s.signingName, s);
    for (const s of services.query) this.query.set(s.signingName, s);
    this.rest = services.rest;
    this.maxPutBodyBytes = services.rest?.maxPutBodyBytes;
  }

  async handle(request: EndpointRequest): Promise<EndpointResponse | undefined> {
    const scope = CREDENTIAL_SCOPE.exec(header(request, "authorization") ?? "");
    const region = scope?.[1] ?? this.region;
    const rest = this.rest;
    if (rest && (scope ? scope[2] === rest.signingName : rest.owns(request)))
      return rest.call(request, { region, requestId: request.id });
    if (request.method !== "POST" || request.url.split("?")[0] !== "/") return undefined;
    const target = header(request, "x-amz-target");
    const signingName = scope?.[2] ?? this.unsignedService(request, target);
    if (signingName === undefined || signingName === FIREHOSE.signingName) return undefined;
    const context: CallContext = { region, requestId: request.id };

    const jsonService = this.json.get(signingName);
    if (jsonService) return this.callJson(jsonService, request, target, context);
    const queryService = this.query.get(signingName);
    if (queryService) return this.callQuery(queryService, request, context);
    // A service this endpoint does not serve at all: the JSON protocols' error shape, which every SDK reads.
    return jsonError(
      request,
      signingName,
      "application/x-amz-json-1.1",
      new AwsError(
        "UnknownOperationException",
        `The ${signingName} service is not served by this local endpoint (served: firehose, ${this.served().join(", ")})`,
      ),
    );
  }

  close(): Promise<void> {
    return this.onClose();
  }

  private served(): string[] {
    return [...this.json.keys(), ...this.query.keys(), ...(this.rest ? [this.rest.signingName] : [])];
  }

  /** An unsigned request's service: from its target prefix, or `Action=` in a form body (query protocol). */
  private unsignedService(request: EndpointRequest, target: string | undefined): string | undefined {
    if (target !== undefined) {
      if (target.startsWith(FIREHOSE.targetPrefix)) return undefined;
      for (const s of this.json.values()) if (target.startsWith(s.targetPrefix)) return s.signingName;
      return undefined; // left to the collector, which names the unknown operation in Firehose's shape
    }
    if (
      contentType(request) === FORM_TYPE &&
      new URLSearchParams(request.body.toString("utf8")).has("Action")
    )
      return [...this.query.keys()][0];
    return undefined;
  }

  private async callJson(
    service: JsonService,
    request: EndpointRequest,
    target: string | undefined,
    context: CallContext,
  ): Promise<EndpointResponse> {
    try {
      await request.verify(service.signingName);
      if (target === undefined)
        throw new AwsError("UnknownOperationException", "Missing X-Amz-Target header");
      if (!target.startsWith(service.targetPrefix))
        throw new AwsError(
          "UnknownOperationException",
          `X-Amz-Target ${JSON.stringify(target)} is not an operation of ${service.signingName} (its operations are ${service.targetPrefix}<Operation>)`,
        );
      const operation = target.slice(service.targetPrefix.length);
      const input = parseJsonBody(request.body);
      const handler = Object.hasOwn(service.operations, operation)
        ? service.operations[operation]
        : undefined;
      if (!handler) throw unknownOperation(service.signingName, operation);
      const output = await handler(input, context);
      return {
        service: service.signingName,
        status: 200,
        headers: { "content-type": service.contentType, "x-amzn-requestid": request.id },
        body: Buffer.from(JSON.stringify(output ?? {})),
      };
    } catch (error) {
      return jsonError(
        request,
        service.signingName,
        service.contentType,
        toAwsError(error, service.internalErrorType),
      );
    }
  }

  private async callQuery(
    service: QueryService,
    request: EndpointRequest,
    context: CallContext,
  ): Promise<EndpointResponse> {
    try {
      await request.verify(service.signingName);
      const params = new URLSearchParams(request.body.toString("utf8"));
      const action = params.get("Action");
      if (!action) throw new AwsError("MissingAction", "Missing Action parameter");
      const inner = await service.call(action, params, context);
      const xml =
        `<${action}Response xmlns="${service.xmlns}"><${action}Result>${inner}</${action}Result>` +
        `<ResponseMetadata><RequestId>${request.id}</RequestId></ResponseMetadata></${action}Response>`;
      return {
        service: service.signingName,
        status: 200,
        headers: { "content-type": "text/xml", "x-amzn-requestid": request.id },
        body: Buffer.from(xml),
      };
    } catch (error) {
      const e = toAwsError(error, "InternalFailure");
      const kind = e.status >= 500 ? "Receiver" : "Sender";
      const xml =
        `<ErrorResponse xmlns="${service.xmlns}"><Error><Type>${kind}</Type><Code>${xmlText(e.type)}</Code>` +
        `<Message>${xmlText(e.message)}</Message></Error><RequestId>${request.id}</RequestId></ErrorResponse>`;
      return {
        service: service.signingName,
        status: e.status,
        headers: { "content-type": "text/xml", "x-amzn-requestid": request.id },
        body: Buffer.from(xml),
      };
    }
  }
}

/** A JSON body as an object; AWS answers SerializationException to anything else. */
function parseJsonBody(body: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(body.length === 0 ? "{}" : body.toString("utf8"));
  } catch (error) {
    throw new AwsError(
      "SerializationException",
      `Request body is not valid JSON: ${(error as Error).message}`,
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new AwsError("SerializationException", "Request body must be a JSON object");
  return value as Record<string, unknown>;
}

function toAwsError(error: unknown, internalType: string): AwsError {
  if (error instanceof AwsError) return error;
  // The signature check's refusals carry AWS's names already (sigv4-auth.ts).
  if (error instanceof CollectorRequestError)
    return new AwsError(error.firehoseType, error.detail, error.firehoseStatus);
  return new AwsError(internalType, `internal error: ${(error as Error).message ?? String(error)}`, 500);
}

function jsonError(
  request: EndpointRequest,
  service: string,
  type: string,
  error: AwsError,
): EndpointResponse {
  return {
    service,
    status: error.status,
    headers: { "content-type": type, "x-amzn-errortype": error.type, "x-amzn-requestid": request.id },
    body: Buffer.from(JSON.stringify({ __type: error.type, Message: error.message, ...error.fields })),
  };
}

function header(request: EndpointRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function contentType(request: EndpointRequest): string | undefined {
  return header(request, "content-type")?.split(";")[0]?.trim().toLowerCase();
}

/** Text escaped for XML content and attributes. */
export function xmlText(value: string): string {
  return value
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&apos;");
}
