import type { IncomingHttpHeaders } from "node:http";
import type { Readable } from "node:stream";

/**
 * What the collector's server hands the other AWS services it serves on its port (src/endpoints/): a
 * leaf, so the collector knows this shape and nothing else of them.
 */
export interface EndpointRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** Request id, echoed as `x-amzn-requestid`. */
  readonly id: string;
  /** Checks the SigV4 signature for `service` when access keys are configured (as for Firehose); throws when it fails. */
  verify(service: string): Promise<void>;
}

export interface EndpointResponse {
  /** The service that answered (`athena`, `glue`, `sts`, …): the collector's metrics count requests by it. */
  readonly service: string;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** A stream for object bodies (S3 GetObject), else the whole answer. */
  readonly body: Buffer | Readable;
}

export interface ServiceEndpoints {
  /**
   * The answer of the service the request is for, or undefined when it is none of theirs (Firehose's, or a
   * path the collector answers 404 to). Asked about every `POST /` and every request no collector route takes.
   */
  handle(request: EndpointRequest): Promise<EndpointResponse | undefined>;
  /**
   * The largest body of a PUT (an S3 upload or part; S3's clients send parts of 8 MiB), when larger than
   * the collector's own `maxBodyBytes`. Held in memory while it is verified, as every request body is.
   */
  readonly maxPutBodyBytes?: number;
  /** Stops running work (queries) and frees the engine. */
  close(): Promise<void>;
}
