import type { GlueDatabase, GluePartition, GlueTable } from "../catalog/catalog-model.js";
import { CatalogStore } from "../catalog/catalog-store.js";
import type { Storage } from "../storage/storage.js";
import { epochSeconds, inputReader, namePattern, pageToken, tokenOffset } from "./api-input.js";
import { AwsError } from "./aws-error.js";
import type { JsonOperation, JsonService } from "./endpoint-router.js";
import { s3Locations, type LocalStack } from "./local-stack.js";
import { parsePartitionExpression } from "./partition-expression.js";

const input = inputReader("InvalidInputException");

/** Glue's operations by name: each takes the request's members and answers its output (throws AwsError). */
export type GlueOperations = Record<string, JsonOperation>;

/**
 * The Glue Data Catalog's read side over the local catalog (src/catalog/, the crawler's files):
 * GetDatabases, GetDatabase, GetTables, GetTable, GetPartitions (Expression, Segment, MaxResults,
 * NextToken), with Glue's shapes (timestamps as epoch seconds) and errors.
 */
export function glueCatalogOperations(storage: Storage, stack: LocalStack): GlueOperations {
  const store = new CatalogStore(storage);
  const s3 = s3Locations(storage, stack);

  const database = async (name: string): Promise<GlueDatabase> => {
    const db = await store.getDatabase(name);
    if (!db) throw new AwsError("EntityNotFoundException", `Database ${name} not found.`);
    return db;
  };
  const table = async (db: string, name: string): Promise<GlueTable> => {
    await database(db);
    const t = await store.getTable(db, name);
    if (!t) throw new AwsError("EntityNotFoundException", `Table ${name} not found.`);
    return t;
  };
  const catalogId = (call: Record<string, unknown>): void => {
    const id = input.string(call, "CatalogId");
    if (id !== undefined && id !== stack.accountId)
      throw new AwsError(
        "EntityNotFoundException",
        `Catalog ${id} not found (this endpoint's is ${stack.accountId}).`,
      );
  };

  const operations: GlueOperations = {
    GetDatabases: async (call) => {
      catalogId(call);
      const max = input.integer(call, "MaxResults", 1, 100) ?? 100;
      const all = (await store.listDatabases()).sort((a, b) => a.Name.localeCompare(b.Name));
      const page = paged(all, call, "GetDatabases", max);
      return { DatabaseList: page.items.map((d) => databaseShape(d, stack, s3)), ...page.next };
    },
    GetDatabase: async (call) => {
      catalogId(call);
      return { Database: databaseShape(await database(input.required(call, "Name")), stack, s3) };
    },
    GetTables: async (call) => {
      catalogId(call);
      const db = input.required(call, "DatabaseName");
      await database(db);
      const pattern = namePattern(input.string(call, "Expression"), input);
      const max = input.integer(call, "MaxResults", 1, 100) ?? 100;
      const all = (await store.listTables(db))
        .filter((t) => pattern.test(t.Name))
        .sort((a, b) => a.Name.localeCompare(b.Name));
      const page = paged(all, call, `GetTables ${db} ${String(call.Expression)}`, max);
      return { TableList: page.items.map((t) => tableShape(t, stack, s3)), ...page.next };
    },
    GetTable: async (call) => {
      catalogId(call);
      const db = input.required(call, "DatabaseName");
      return { Table: tableShape(await table(db, input.required(call, "Name")), stack, s3) };
    },
    // The catalog keeps the current version of a table only (VersionId counts its schema changes).
    GetTableVersions: async (call) => {
      catalogId(call);
      const t = await table(input.required(call, "DatabaseName"), input.required(call, "TableName"));
      return { TableVersions: [{ Table: tableShape(t, stack, s3), VersionId: t.VersionId }] };
    },
    GetTableVersion: async (call) => {
      catalogId(call);
      const t = await table(input.required(call, "DatabaseName"), input.required(call, "TableName"));
      const wanted = input.string(call, "VersionId");
      if (wanted !== undefined && wanted !== t.VersionId)
        throw new AwsError(
          "EntityNotFoundException",
          `Version ${wanted} of table ${t.Name} not found (the catalog keeps ${t.VersionId}).`,
        );
      return { TableVersion: { Table: tableShape(t, stack, s3), VersionId: t.VersionId } };
    },
    BatchGetPartition: async (call) => {
      catalogId(call);
      const db = input.required(call, "DatabaseName");
      const t = await table(db, input.required(call, "TableName"));
      const wanted = Array.isArray(call.PartitionsToGet) ? (call.PartitionsToGet as unknown[]) : [];
      if (wanted.length < 1 || wanted.length > 1000)
        throw input.invalid("PartitionsToGet", "Member must have length between 1 and 1000");
      const byValues = new Map(
        (await store.getPartitions(db, t.Name)).Partitions.map((p) => [JSON.stringify(p.Values), p]),
      );
      const found: GluePartition[] = [];
      for (const entry of wanted) {
        const values = (entry as { Values?: unknown } | null)?.Values;
        if (!Array.isArray(values) || !values.every((v) => typeof v === "string"))
          throw input.invalid("PartitionsToGet", "each member must have Values, a list of strings");
        const partition = byValues.get(JSON.stringify(values));
        if (partition) found.push(partition);
      }
      // A partition that does not exist is simply not returned, as Glue does; UnprocessedKeys is for retries.
      return { Partitions: found.map((p) => partitionShape(p, stack, s3)), UnprocessedKeys: [] };
    },
    GetPartitions: async (call) => {
      catalogId(call);
      const db = input.required(call, "DatabaseName");
      const t = await table(db, input.required(call, "TableName"));
      const expression = input.string(call, "Expression");
      const max = input.integer(call, "MaxResults", 1, 1000) ?? 1000;
      let partitions = (await store.getPartitions(db, t.Name)).Partitions;
      if (expression !== undefined && expression.trim() !== "") {
        const keys = Object.fromEntries(t.PartitionKeys.map((k) => [k.Name, k.Type]));
        const predicate = parsePartitionExpression(expression, keys);
        partitions = partitions.filter((p) =>
          predicate(Object.fromEntries(t.PartitionKeys.map((k, i) => [k.Name, p.Values[i] ?? ""]))),
        );
      }
      partitions = segmentOf(partitions, input.object(call, "Segment"));
      const scope = `GetPartitions ${db} ${t.Name} ${expression ?? ""} ${JSON.stringify(call.Segment ?? null)}`;
      const page = paged(partitions, call, scope, max);
      return { Partitions: page.items.map((p) => partitionShape(p, stack, s3)), ...page.next };
    },
  };

  return operations;
}

/** Glue's JSON 1.1 service over the operations given (the catalog's and the jobs'). */
export function glueService(operations: GlueOperations): JsonService {
  return {
    signingName: "glue",
    targetPrefix: "AWSGlue.",
    contentType: "application/x-amz-json-1.1",
    internalErrorType: "InternalServiceException",
    operations,
  };
}

function paged<T>(
  all: readonly T[],
  call: Record<string, unknown>,
  scope: string,
  max: number,
): { items: T[]; next: { NextToken?: string } } {
  const offset = tokenOffset(input.string(call, "NextToken"), scope, "InvalidInputException");
  const items = all.slice(offset, offset + max);
  const end = offset + items.length;
  return { items, next: end < all.length ? { NextToken: pageToken(scope, end) } : {} };
}

/** Glue's `Segment`: the partitions split into TotalSegments contiguous parts (1–10), this call's part. */
function segmentOf<T>(all: T[], segment: Record<string, unknown>): T[] {
  if (Object.keys(segment).length === 0) return all;
  const total = input.integer(segment, "TotalSegments", 1, 10);
  const number = input.integer(segment, "SegmentNumber", 0, 9);
  if (total === undefined || number === undefined || number >= total)
    throw input.invalid("Segment", "SegmentNumber must be below TotalSegments (1 to 10)");
  const size = Math.ceil(all.length / total);
  return all.slice(number * size, (number + 1) * size);
}

type Locations = (uri: string | undefined) => string | undefined;

function databaseShape(db: GlueDatabase, stack: LocalStack, s3: Locations): Record<string, unknown> {
  const location = s3(db.LocationUri);
  return {
    ...db,
    ...(location !== undefined ? { LocationUri: location } : {}),
    CreateTime: epochSeconds(db.CreateTime),
    CatalogId: stack.accountId,
  };
}

export function tableShape(t: GlueTable, stack: LocalStack, s3: Locations): Record<string, unknown> {
  return {
    ...t,
    StorageDescriptor: { ...t.StorageDescriptor, Location: s3(t.StorageDescriptor.Location) },
    CreateTime: epochSeconds(t.CreateTime),
    UpdateTime: epochSeconds(t.UpdateTime),
    CatalogId: stack.accountId,
    IsRegisteredWithLakeFormation: false,
  };
}

function partitionShape(p: GluePartition, stack: LocalStack, s3: Locations): Record<string, unknown> {
  return {
    ...p,
    StorageDescriptor: { ...p.StorageDescriptor, Location: s3(p.StorageDescriptor.Location) },
    CreationTime: epochSeconds(p.CreationTime),
    LastAnalyzedTime: epochSeconds(p.LastAnalyzedTime),
    CatalogId: stack.accountId,
  };
}
