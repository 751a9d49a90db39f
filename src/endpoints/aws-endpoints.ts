import type { ClickstreamConfig } from "../config/config-schema.js";
import type { Storage } from "../storage/storage.js";
import { athenaApi } from "./athena-api.js";
import { EndpointRouter } from "./endpoint-router.js";
import { glueCatalogApi } from "./glue-catalog-api.js";
import { localStack } from "./local-stack.js";
import { s3Api } from "./s3-api.js";
import type { ServiceEndpoints } from "./service-endpoints.js";
import { stsApi } from "./sts-api.js";

/**
 * The AWS services served next to Firehose on the collector's port: Athena, the Glue Data Catalog's read
 * side, S3's read side and STS, named as the local stack (local-stack.ts). docs/aws-endpoints.md lists what is served.
 */
export function awsEndpoints(options: {
  storage: Storage;
  config: Pick<ClickstreamConfig, "catalog" | "query" | "warehouse" | "collector">;
}): ServiceEndpoints {
  const { storage, config } = options;
  const region = config.collector.region;
  const stack = localStack(config, region);
  const athena = athenaApi({ storage, config, stack });
  return new EndpointRouter(
    {
      json: [athena, glueCatalogApi(storage, stack)],
      query: [stsApi(stack)],
      rest: s3Api(storage, stack),
    },
    region,
    () => athena.close(),
  );
}
