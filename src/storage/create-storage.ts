import { resolve } from "node:path";
import type { ClickstreamConfig } from "../config/config-schema.js";
import { ClickstreamError } from "../errors/clickstream-error.js";
import { LocalStorage } from "./local-storage.js";
import type { Storage } from "./storage.js";

/** Builds the storage the config names. Stages only ever see the `Storage` interface. */
export function createStorage(config: Pick<ClickstreamConfig, "warehouse">): Storage {
  switch (config.warehouse.storage) {
    case "local":
      return new LocalStorage(resolve(config.warehouse.dir));
    default:
      throw new ClickstreamError(
        "CS_ERR_INVALID_CONFIG",
        `storage "${config.warehouse.storage}" is not available`,
      );
  }
}
