import { AthenaClient } from "@aws-sdk/client-athena";
import { GlueClient } from "@aws-sdk/client-glue";
import { wrapError } from "../errors/clickstream-error.js";

/** Where the AWS engines send their calls: AWS itself, or an endpoint (tests, LocalStack…). */
export interface AwsClientOptions {
  readonly region?: string | undefined;
  readonly endpoint?: string | undefined;
}

function clientConfig(options: AwsClientOptions): { region: string; endpoint?: string } {
  const region = options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1";
  return options.endpoint ? { region, endpoint: options.endpoint } : { region };
}

/** A Glue client; credentials come from the SDK's default chain. */
export function createGlueClient(options: AwsClientOptions = {}): GlueClient {
  return new GlueClient(clientConfig(options));
}

/** An Athena client; credentials come from the SDK's default chain. */
export function createAthenaClient(options: AwsClientOptions = {}): AthenaClient {
  return new AthenaClient(clientConfig(options));
}

/** Wraps an SDK error as CS_ERR_AWS_REQUEST naming the call and AWS's error name. */
export function awsRequestError(call: string, error: unknown): Error {
  const name = (error as { name?: string } | undefined)?.name;
  return wrapError("CS_ERR_AWS_REQUEST", error, name && name !== "Error" ? `${call} (${name})` : call);
}
