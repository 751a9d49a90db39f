import { ClickstreamError, wrapError } from "../errors/clickstream-error.js";
import type { Storage } from "../storage/storage.js";
import type { GlueDatabase, GluePartitionList, GlueTable } from "./catalog-model.js";
import { stateKeys } from "../storage/warehouse-layout.js";

/** Where the catalog lives in the state bucket: one readable JSON file per database, table and partition list. */
const catalogPrefix = stateKeys.catalogPrefix;
const databaseKey = (db: string): string => `${catalogPrefix}databases/${db}.json`;
const tableKey = (db: string, table: string): string => `${catalogPrefix}tables/${db}/${table}.json`;
const partitionsKey = (db: string, table: string): string => `${catalogPrefix}partitions/${db}/${table}.json`;

/** A table with its partitions, as one unit of reading. */
export interface CatalogTable {
  table: GlueTable;
  partitions: GluePartitionList;
}

/** Reads and writes the catalog files through the Storage interface (local folder or S3 alike). */
export class CatalogStore {
  constructor(private readonly storage: Storage) {}

  async getDatabase(db: string): Promise<GlueDatabase | undefined> {
    return this.readJson<GlueDatabase>(databaseKey(db), (v) => typeof v.Name === "string");
  }

  async listDatabases(): Promise<GlueDatabase[]> {
    const out: GlueDatabase[] = [];
    for await (const info of this.storage.list("state", `${catalogPrefix}databases/`)) {
      if (!info.key.endsWith(".json")) continue;
      const db = await this.readJson<GlueDatabase>(info.key, (v) => typeof v.Name === "string");
      if (db) out.push(db);
    }
    return out;
  }

  async getTable(db: string, table: string): Promise<GlueTable | undefined> {
    return this.readJson<GlueTable>(
      tableKey(db, table),
      (v) => typeof v.Name === "string" && Array.isArray(v.StorageDescriptor?.Columns),
    );
  }

  async listTables(db: string): Promise<GlueTable[]> {
    const out: GlueTable[] = [];
    for await (const info of this.storage.list("state", `${catalogPrefix}tables/${db}/`)) {
      if (!info.key.endsWith(".json")) continue;
      const name = info.key.slice(`${catalogPrefix}tables/${db}/`.length, -".json".length);
      if (name.includes("/")) continue;
      const table = await this.getTable(db, name);
      if (table) out.push(table);
    }
    return out;
  }

  async getPartitions(db: string, table: string): Promise<GluePartitionList> {
    return (
      (await this.readJson<GluePartitionList>(partitionsKey(db, table), (v) =>
        Array.isArray(v.Partitions),
      )) ?? { DatabaseName: db, TableName: table, Partitions: [] }
    );
  }

  /** Every table of the database with its partitions. */
  async loadTables(db: string): Promise<CatalogTable[]> {
    const tables = await this.listTables(db);
    return Promise.all(
      tables.map(async (table) => ({ table, partitions: await this.getPartitions(db, table.Name) })),
    );
  }

  async putDatabase(db: GlueDatabase): Promise<void> {
    await this.writeJson(databaseKey(db.Name), db);
  }

  async putTable(table: GlueTable): Promise<void> {
    await this.writeJson(tableKey(table.DatabaseName, table.Name), table);
  }

  async putPartitions(list: GluePartitionList): Promise<void> {
    await this.writeJson(partitionsKey(list.DatabaseName, list.TableName), list);
  }

  /** Deletes a table and its partitions (a missing one is no error, as with Storage.delete). */
  async deleteTable(db: string, table: string): Promise<void> {
    await this.storage.delete("state", partitionsKey(db, table));
    await this.storage.delete("state", tableKey(db, table));
  }

  /** Deletes a database and every table in it. */
  async deleteDatabase(db: string): Promise<void> {
    for (const table of await this.listTables(db)) await this.deleteTable(db, table.Name);
    await this.storage.delete("state", databaseKey(db));
  }

  private async writeJson(key: string, value: unknown): Promise<void> {
    await this.storage.writeAtomic("state", key, `${JSON.stringify(value, null, 2)}\n`);
  }

  private async readJson<T>(key: string, valid: (value: T) => boolean): Promise<T | undefined> {
    if (!(await this.storage.stat("state", key))) return undefined;
    let value: T;
    try {
      value = JSON.parse((await this.storage.readBytes("state", key)).toString("utf8")) as T;
    } catch (error) {
      throw wrapError("CS_ERR_CATALOG_CORRUPT", error, key);
    }
    if (typeof value !== "object" || value === null || !valid(value)) {
      throw new ClickstreamError("CS_ERR_CATALOG_CORRUPT", `${key} does not have the expected shape`);
    }
    return value;
  }
}
