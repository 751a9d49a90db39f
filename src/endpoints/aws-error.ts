/**
 * An error as an AWS service answers it on the wire: the exception's name (`__type` for the JSON
 * protocols, `<Code>` for the query protocol), its message and HTTP status. The endpoints throw these;
 * the router renders them in the service's protocol, so a client's SDK raises the exception it knows.
 */
export class AwsError extends Error {
  constructor(
    /** AWS's exception name, e.g. `InvalidRequestException`. */
    readonly type: string,
    message: string,
    readonly status = 400,
    /** Extra members of the error body (Athena's `AthenaErrorCode`, …). */
    readonly fields: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = "AwsError";
  }
}

/** `UnknownOperationException`, naming the operation, as AWS's JSON services answer an operation they lack. */
export function unknownOperation(service: string, operation: string): AwsError {
  return new AwsError(
    "UnknownOperationException",
    `Operation ${operation} of ${service} is not served by this local endpoint (see docs/aws-endpoints.md)`,
  );
}
