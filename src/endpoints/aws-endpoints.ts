import type { ClickstreamConfig } from "../config/config-schema.js";
import type { Storage } from "../storage/storage.js";
import { athenaApi } from "./athena-api.js";
import { EndpointRouter } from "./endpoint-router.js";
import { glueCatalogOperations, glueService } from "./glue-catalog-api.js";
import { glueWork } from "./glue-job-work.js";
import { glueJobs } from "./glue-jobs-api.js";
import { glueTableWrites } from "./glue-table-writes.js";
import { localStack } from "./local-stack.js";
import { s3Api } from "./s3-api.js";
import type { ServiceEndpoints } from "./service-endpoints.js";
import { stsApi } from "./sts-api.js";

/**
 * The AWS services served next to Firehose on the collector's port: Athena, Glue (the Data Catalog's read
 * side, the job and the crawler), S3 and STS, named as the local stack (local-stack.ts). docs/aws-endpoints.md lists what is served.
 */
export function awsEndpoints(options: {
  storage: Storage;
  config: Pick<ClickstreamConfig, "catalog" | "query" | "warehouse" | "collector" | "transform">;
}): ServiceEndpoints {
  const { storage, config } = options;
  const region = config.collector.region;
  const stack = localStack(config, region);
  const athena = athenaApi({ storage, config, stack });
  const jobs = glueJobs(stack, glueWork(storage, config));
  return new EndpointRouter(
    {
      json: [
        athena,
        glueService({
          ...glueCatalogOperations(storage, stack),
          ...glueTableWrites(storage, stack),
          ...jobs.operations,
        }),
      ],
      query: [stsApi(stack)],
      rest: s3Api(storage, stack),
    },
    region,
    async () => {
      await jobs.close();
      await athena.close();
    },
  );
}
