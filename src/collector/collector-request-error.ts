import { errorCodes, type ErrorCode } from "../errors/error-codes.js";

/**
 * A refused request: the catalogue code (what logs, metrics and the JSON API report) plus the name and
 * status a Firehose client expects on the wire (`__type`), which stay AWS's.
 */
export class CollectorRequestError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** AWS exception name for the Firehose API, e.g. `InvalidArgumentException`. */
    readonly firehoseType: string = defaultFirehoseType(code),
    /** Status on the Firehose API when it differs from the catalogue's (AWS answers 400 for most client errors). */
    readonly firehoseStatus: number = defaultFirehoseStatus(code),
  ) {
    super(message);
    this.name = "CollectorRequestError";
  }

  get status(): number {
    return errorCodes[this.code].status;
  }

  get fix(): string {
    return errorCodes[this.code].fix;
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
