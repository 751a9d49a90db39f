import type { GlueColumn, GlueDatabase, GluePartition, GlueTable } from "../catalog/catalog-model.js";
import { CatalogStore } from "../catalog/catalog-store.js";
import type { Storage } from "../storage/storage.js";
import { inputReader, pageToken, tokenOffset } from "./api-input.js";
import { AwsError } from "./aws-error.js";
import { tableShape, type GlueOperations } from "./glue-catalog-api.js";
import { s3Locations, type LocalStack } from "./local-stack.js";

const input = inputReader("InvalidInputException");
/** Glue's names: lower-cased on the way in; here also a safe file name of the catalog's folder. */
const namePattern = /^[a-z0-9_-]{1,255}$/;

/**
 * The Data Catalog's write side, for the databases tools keep themselves (dbt, awswrangler): CreateDatabase,
 * DeleteDatabase, CreateTable, UpdateTable, DeleteTable, BatchCreatePartition, BatchDeletePartition, and
 * SearchTables over every database. The pipeline's own database (`clickstream_db`) is written only by the
 * crawler: a write to it gets `AccessDeniedException`, with nothing changed.
 */
export function glueTableWrites(storage: Storage, stack: LocalStack): GlueOperations {
  const store = new CatalogStore(storage);
  const s3 = s3Locations(storage, stack);

  const name = (call: Record<string, unknown>, member: string): string => {
    const value = input.required(call, member).toLowerCase();
    if (!namePattern.test(value))
      throw input.invalid(member, "Member must match pattern [a-z0-9_-]{1,255} (lower case)");
    return value;
  };
  /** A database tools may write: not the pipeline's, and existing. */
  const writable = async (db: string): Promise<GlueDatabase> => {
    if (db === stack.database)
      throw new AwsError(
        "AccessDeniedException",
        `Database ${db} is the pipeline's own: only its crawler writes it (create tables in another database)`,
      );
    const found = await store.getDatabase(db);
    if (!found) throw new AwsError("EntityNotFoundException", `Database ${db} not found.`);
    return found;
  };
  const existingTable = async (db: string, table: string): Promise<GlueTable> => {
    const found = await store.getTable(db, table);
    if (!found) throw new AwsError("EntityNotFoundException", `Table ${table} not found.`);
    return found;
  };

  /** A stored table from a TableInput (Glue's own members kept; the catalog's required ones filled in). */
  const tableOf = (db: string, tableInput: Record<string, unknown>, previous?: GlueTable): GlueTable => {
    const tableName = name(tableInput, "Name");
    const sd = input.object(tableInput, "StorageDescriptor");
    const columns = (member: unknown, where: string): GlueColumn[] => {
      if (member === undefined) return [];
      if (!Array.isArray(member)) throw input.invalid(where, "Member must be a list of columns");
      return member.map((c: unknown, i) => {
        const col = (c ?? {}) as Record<string, unknown>;
        if (typeof col.Name !== "string" || col.Name === "")
          throw input.invalid(`${where}.${i}.Name`, "Member must not be null");
        return {
          Name: col.Name.toLowerCase(),
          Type: typeof col.Type === "string" ? col.Type : "string",
          ...(typeof col.Comment === "string" ? { Comment: col.Comment } : {}),
        };
      });
    };
    const now = new Date().toISOString();
    const tableType = input.string(tableInput, "TableType") ?? "EXTERNAL_TABLE";
    if (tableType !== "EXTERNAL_TABLE" && tableType !== "VIRTUAL_VIEW" && tableType !== "MANAGED_TABLE")
      throw input.invalid("TableInput.TableType", "EXTERNAL_TABLE, MANAGED_TABLE or VIRTUAL_VIEW");
    const {
      Name: _n,
      StorageDescriptor: _sd,
      PartitionKeys: _pk,
      Parameters: _p,
      TableType: _t,
      ...rest
    } = tableInput;
    return {
      ...rest,
      Name: tableName,
      DatabaseName: db,
      TableType: tableType === "VIRTUAL_VIEW" ? "VIRTUAL_VIEW" : "EXTERNAL_TABLE",
      CreateTime: previous?.CreateTime ?? now,
      UpdateTime: now,
      Parameters: stringMap(tableInput.Parameters, "TableInput.Parameters"),
      StorageDescriptor: {
        ...sd,
        Columns: columns(sd.Columns, "TableInput.StorageDescriptor.Columns"),
        Location: typeof sd.Location === "string" ? sd.Location : "",
        InputFormat: typeof sd.InputFormat === "string" ? sd.InputFormat : "",
        OutputFormat: typeof sd.OutputFormat === "string" ? sd.OutputFormat : "",
        Compressed: sd.Compressed === true,
        NumberOfBuckets: typeof sd.NumberOfBuckets === "number" ? sd.NumberOfBuckets : 0,
        SerdeInfo: {
          SerializationLibrary: String(
            (sd.SerdeInfo as Record<string, unknown> | undefined)?.SerializationLibrary ?? "",
          ),
          Parameters: stringMap(
            (sd.SerdeInfo as Record<string, unknown> | undefined)?.Parameters,
            "SerdeInfo.Parameters",
          ),
        },
        StoredAsSubDirectories: sd.StoredAsSubDirectories === true,
      },
      PartitionKeys: columns(tableInput.PartitionKeys, "TableInput.PartitionKeys"),
      VersionId: String(previous ? Number(previous.VersionId) + 1 : 1),
    } as GlueTable;
  };

  const operations: GlueOperations = {
    CreateDatabase: async (call) => {
      const db = input.object(call, "DatabaseInput");
      const dbName = name(db, "Name");
      if (dbName === stack.database || (await store.getDatabase(dbName)))
        throw new AwsError("AlreadyExistsException", `Database already exists.`);
      await store.putDatabase({
        Name: dbName,
        ...(input.string(db, "Description") !== undefined
          ? { Description: input.string(db, "Description") }
          : {}),
        ...(input.string(db, "LocationUri") !== undefined
          ? { LocationUri: input.string(db, "LocationUri") }
          : {}),
        CreateTime: new Date().toISOString(),
        Parameters: stringMap(db.Parameters, "DatabaseInput.Parameters"),
      });
      return {};
    },
    DeleteDatabase: async (call) => {
      const db = name(call, "Name");
      await writable(db);
      await store.deleteDatabase(db);
      return {};
    },
    CreateTable: async (call) => {
      const db = name(call, "DatabaseName");
      await writable(db);
      const table = tableOf(db, input.object(call, "TableInput"));
      if (await store.getTable(db, table.Name))
        throw new AwsError("AlreadyExistsException", `Table already exists.`);
      await store.putTable(table);
      return {};
    },
    UpdateTable: async (call) => {
      const db = name(call, "DatabaseName");
      await writable(db);
      const tableInput = input.object(call, "TableInput");
      const previous = await existingTable(db, name(tableInput, "Name"));
      await store.putTable(tableOf(db, tableInput, previous));
      return {};
    },
    DeleteTable: async (call) => {
      const db = name(call, "DatabaseName");
      await writable(db);
      await existingTable(db, name(call, "Name"));
      await store.deleteTable(db, name(call, "Name"));
      return {};
    },
    BatchCreatePartition: async (call) => {
      const db = name(call, "DatabaseName");
      await writable(db);
      const table = await existingTable(db, name(call, "TableName"));
      const inputs = Array.isArray(call.PartitionInputList) ? (call.PartitionInputList as unknown[]) : [];
      if (inputs.length < 1 || inputs.length > 100)
        throw input.invalid("PartitionInputList", "Member must have length between 1 and 100");
      const list = await store.getPartitions(db, table.Name);
      const errors: Record<string, unknown>[] = [];
      const now = new Date().toISOString();
      for (const entry of inputs) {
        const p = (entry ?? {}) as Record<string, unknown>;
        const values = p.Values;
        if (
          !Array.isArray(values) ||
          values.length !== table.PartitionKeys.length ||
          !values.every((v) => typeof v === "string")
        )
          throw input.invalid(
            "PartitionInputList",
            `each member must have ${table.PartitionKeys.length} string Values`,
          );
        if (list.Partitions.some((q) => JSON.stringify(q.Values) === JSON.stringify(values))) {
          errors.push({
            PartitionValues: values,
            ErrorDetail: { ErrorCode: "AlreadyExistsException", ErrorMessage: "Partition already exists." },
          });
          continue;
        }
        const sd = (p.StorageDescriptor ?? {}) as Record<string, unknown>;
        list.Partitions.push({
          Values: values as string[],
          DatabaseName: db,
          TableName: table.Name,
          CreationTime: now,
          LastAnalyzedTime: now,
          StorageDescriptor: {
            Location: typeof sd.Location === "string" ? sd.Location : "",
            InputFormat:
              typeof sd.InputFormat === "string" ? sd.InputFormat : table.StorageDescriptor.InputFormat,
            OutputFormat:
              typeof sd.OutputFormat === "string" ? sd.OutputFormat : table.StorageDescriptor.OutputFormat,
            SerdeInfo: table.StorageDescriptor.SerdeInfo,
          },
          Parameters: stringMap(p.Parameters, "PartitionInput.Parameters"),
        } satisfies GluePartition);
      }
      await store.putPartitions(list);
      return { Errors: errors };
    },
    BatchDeletePartition: async (call) => {
      const db = name(call, "DatabaseName");
      await writable(db);
      const table = await existingTable(db, name(call, "TableName"));
      const wanted = Array.isArray(call.PartitionsToDelete) ? (call.PartitionsToDelete as unknown[]) : [];
      if (wanted.length < 1 || wanted.length > 25)
        throw input.invalid("PartitionsToDelete", "Member must have length between 1 and 25");
      const list = await store.getPartitions(db, table.Name);
      const errors: Record<string, unknown>[] = [];
      for (const entry of wanted) {
        const values = (entry as { Values?: unknown } | null)?.Values;
        const at = list.Partitions.findIndex((q) => JSON.stringify(q.Values) === JSON.stringify(values));
        if (at < 0)
          errors.push({
            PartitionValues: values,
            ErrorDetail: { ErrorCode: "EntityNotFoundException", ErrorMessage: "Partition not found." },
          });
        else list.Partitions.splice(at, 1);
      }
      await store.putPartitions(list);
      return { Errors: errors };
    },
    SearchTables: async (call) => {
      const text = (input.string(call, "SearchText") ?? "").toLowerCase();
      const filters = Array.isArray(call.Filters) ? (call.Filters as Record<string, unknown>[]) : [];
      const max = input.integer(call, "MaxResults", 1, 1000) ?? 100;
      const all: GlueTable[] = [];
      for (const db of (await store.listDatabases()).sort((a, b) => a.Name.localeCompare(b.Name)))
        all.push(...(await store.listTables(db.Name)).sort((a, b) => a.Name.localeCompare(b.Name)));
      const matches = all.filter((t) => {
        const fields: Record<string, string> = {
          Name: t.Name,
          DatabaseName: t.DatabaseName,
          TableType: t.TableType,
          Description: String((t as { Description?: unknown }).Description ?? ""),
        };
        if (text !== "" && !Object.values(fields).some((v) => v.toLowerCase().includes(text))) return false;
        return filters.every((f) => {
          const comparator = f.Comparator ?? "EQUALS";
          if (comparator !== "EQUALS")
            throw input.invalid("Filters.Comparator", "only EQUALS is served by this local endpoint");
          return typeof f.Key === "string" && fields[f.Key] !== undefined && fields[f.Key] === f.Value;
        });
      });
      const scope = `SearchTables ${text} ${JSON.stringify(filters)}`;
      const offset = tokenOffset(input.string(call, "NextToken"), scope, "InvalidInputException");
      const page = matches.slice(offset, offset + max);
      const end = offset + page.length;
      return {
        TableList: page.map((t) => tableShape(t, stack, s3)),
        ...(end < matches.length ? { NextToken: pageToken(scope, end) } : {}),
      };
    },
  };
  return operations;
}

function stringMap(value: unknown, member: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (
    typeof value !== "object" ||
    Array.isArray(value) ||
    !Object.values(value).every((v) => typeof v === "string")
  )
    throw input.invalid(member, "Member must be a map of strings");
  return value as Record<string, string>;
}
