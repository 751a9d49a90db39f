import { resolve } from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import type { ClickstreamConfig } from "../config/config-schema.js";
import { ClickstreamError } from "../errors/clickstream-error.js";
import { LocalStorage } from "./local-storage.js";
import { S3Storage, s3ClientConfig } from "./s3-storage.js";
import type { Storage } from "./storage.js";

/** Builds the storage the config names. Stages only ever see the `Storage` interface. */
export function createStorage(config: Pick<ClickstreamConfig, "warehouse">): Storage {
  const warehouse = config.warehouse;
  switch (warehouse.storage) {
    case "local":
      return new LocalStorage(resolve(warehouse.dir));
    case "s3": {
      const buckets = warehouse.buckets;
      if (!buckets) {
        throw new ClickstreamError(
          "CS_ERR_INVALID_CONFIG",
          "warehouse.buckets is required for S3 storage (or run ./deploy.sh to write terraform-outputs.json)",
        );
      }
      // Credentials come from the SDK's default chain (env, profile, SSO, instance role).
      const client = new S3Client(s3ClientConfig(warehouse));
      return new S3Storage({
        client,
        buckets: {
          raw: buckets.raw,
          transformed: buckets.transformed,
          errors: buckets.errors,
          "athena-results": buckets.athenaResults,
          state: buckets.state,
        },
        multipartThresholdBytes: warehouse.multipartThresholdBytes,
      });
    }
    default:
      throw new ClickstreamError(
        "CS_ERR_INVALID_CONFIG",
        `storage "${String(warehouse.storage)}" is not available`,
      );
  }
}
