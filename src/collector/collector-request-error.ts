import { ClickstreamError } from "../errors/clickstream-error.js";
import { errorCodes, type ErrorCode } from "../errors/error-codes.js";

/**
 * A refused request: a ClickstreamError (catalogue code, status and fix, as logs, metrics and the JSON
 * API report them) that also carries the name and status a Firehose client expects on the wire
 * (`__type`), which stay AWS's, and the bare `detail` AWS-style messages are made of.
 */
export class CollectorRequestError extends ClickstreamError {
  /** The message without the catalogue's prefix: what the wire carries. */
  readonly detail: string;

  constructor(
    code: ErrorCode,
    detail: string,
    /** AWS exception name for the Firehose API, e.g. `InvalidArgumentException`. */
    readonly firehoseType: string = defaultFirehoseType(code),
    /** Status on the Firehose API when it differs from the catalogue's (AWS answers 400 for most client errors). */
    readonly firehoseStatus: number = defaultFirehoseStatus(code),
  ) {
    super(code, detail);
    this.name = "CollectorRequestError";
    this.detail = detail;
  }

  /** The catalogue's HTTP status (the JSON API's). */
  get status(): number {
    return this.statusCode;
  }
}

function defaultFirehoseType(code: ErrorCode): string {
  switch (code) {
    case "CS_ERR_COLLECTOR_UNAVAILABLE":
      return "ServiceUnavailableException";
    case "CS_ERR_COLLECTOR_NOT_FOUND":
      return "ResourceNotFoundException";
    case "CS_ERR_COLLECTOR_FORBIDDEN":
    case "CS_ERR_COLLECTOR_UNAUTHORIZED":
      return "AccessDeniedException";
    case "CS_ERR_COLLECTOR_BAD_REQUEST":
    case "CS_ERR_COLLECTOR_BODY_TOO_LARGE":
      return "InvalidArgumentException";
    case "CS_ERR_COLLECTOR_UNSUPPORTED_MEDIA_TYPE":
      return "UnsupportedMediaTypeException";
    case "CS_ERR_COLLECTOR_TIMEOUT":
      return "RequestTimeoutException";
    default:
      return "InternalFailure";
  }
}

function defaultFirehoseStatus(code: ErrorCode): number {
  switch (code) {
    case "CS_ERR_COLLECTOR_NOT_FOUND":
      return 400; // ResourceNotFoundException is a 400 on AWS JSON 1.1 services
    default:
      return errorCodes[code].status;
  }
}
