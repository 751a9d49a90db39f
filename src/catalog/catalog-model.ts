/**
 * The catalog's shapes, modelled on the AWS Glue Data Catalog API (GetDatabase / GetTable / GetPartitions),
 * so a reader who knows Glue reads the JSON files under `_state/catalog/` without a guide.
 */

/** A Glue column: name and Hive/Glue type (`string`, `bigint`, `int`, `double`, `boolean`, `date`, `timestamp`, …). */
export interface GlueColumn {
  Name: string;
  Type: string;
  Comment?: string;
}

interface GlueSerDeInfo {
  SerializationLibrary: string;
  Parameters: Record<string, string>;
}

interface GlueStorageDescriptor {
  Columns: GlueColumn[];
  /** Folder URI of the table or partition: `s3://…/transformed/` on AWS, `file:///…/transformed/` locally. */
  Location: string;
  InputFormat: string;
  OutputFormat: string;
  Compressed: boolean;
  NumberOfBuckets: number;
  SerdeInfo: GlueSerDeInfo;
  StoredAsSubDirectories: boolean;
}

export interface GlueDatabase {
  Name: string;
  Description?: string;
  LocationUri?: string;
  CreateTime: string;
  Parameters?: Record<string, string>;
}

export interface GlueTable {
  Name: string;
  DatabaseName: string;
  /** The crawler writes EXTERNAL_TABLE; tools keeping their own tables (Glue CreateTable) may write VIRTUAL_VIEW. */
  TableType: "EXTERNAL_TABLE" | "VIRTUAL_VIEW";
  CreateTime: string;
  UpdateTime: string;
  /** Crawler bookkeeping, as Glue keeps it: classification, crawler name, object counts… */
  Parameters: Record<string, string>;
  StorageDescriptor: GlueStorageDescriptor;
  PartitionKeys: GlueColumn[];
  /** Bumped on every schema change, as Glue's table versions. */
  VersionId: string;
  /** A VIRTUAL_VIEW's SQL, as Athena records a view (`/* Presto View: <base64 JSON> *\/`). */
  ViewOriginalText?: string;
  ViewExpandedText?: string;
}

export interface GluePartition {
  /** Values in PartitionKeys order (`["2026", "11", "05"]`), strings. */
  Values: string[];
  DatabaseName: string;
  TableName: string;
  CreationTime: string;
  LastAnalyzedTime: string;
  StorageDescriptor: Pick<GlueStorageDescriptor, "Location" | "InputFormat" | "OutputFormat" | "SerdeInfo">;
  /** Per-partition statistics (strings, as Glue parameters are): fileCount, rowCount, sizeBytes. */
  Parameters: Record<string, string>;
}

/** The partitions file of one table (`_state/catalog/partitions/<db>/<table>.json`). */
export interface GluePartitionList {
  DatabaseName: string;
  TableName: string;
  Partitions: GluePartition[];
}

/** Parquet formats, exactly as the Glue crawler records them. */
export const parquetFormat = {
  InputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
  OutputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
  SerdeInfo: {
    SerializationLibrary: "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
    Parameters: { "serialization.format": "1" },
  },
} as const;

/** Hive's partition value of NULL (and of '', which a folder name cannot hold): it reads back as NULL. */
export const hiveDefaultPartition = "__HIVE_DEFAULT_PARTITION__";

/** Partition values as `year=2026/month=11/day=05`. */
export function partitionName(keys: readonly GlueColumn[], values: readonly string[]): string {
  return keys.map((key, i) => `${key.Name}=${values[i] ?? ""}`).join("/");
}
