import { DuckDBTypeId, type DuckDBType } from "@duckdb/node-api";

/**
 * What a DuckDB type is called in the Glue Data Catalog (Hive names, as the Glue crawler records
 * Parquet columns) and in Athena's results (Trino names): one table for both, so the crawler and the
 * query engine cannot disagree about a type.
 */
type Names = { readonly glue: string; readonly athena: string };

const scalarNames: Partial<Record<DuckDBTypeId, Names>> = {
  [DuckDBTypeId.VARCHAR]: { glue: "string", athena: "varchar" },
  [DuckDBTypeId.UUID]: { glue: "string", athena: "varchar" },
  [DuckDBTypeId.ENUM]: { glue: "string", athena: "varchar" },
  [DuckDBTypeId.BOOLEAN]: { glue: "boolean", athena: "boolean" },
  [DuckDBTypeId.TINYINT]: { glue: "tinyint", athena: "tinyint" },
  [DuckDBTypeId.SMALLINT]: { glue: "smallint", athena: "smallint" },
  [DuckDBTypeId.UTINYINT]: { glue: "smallint", athena: "smallint" },
  [DuckDBTypeId.INTEGER]: { glue: "int", athena: "integer" },
  [DuckDBTypeId.USMALLINT]: { glue: "int", athena: "integer" },
  [DuckDBTypeId.BIGINT]: { glue: "bigint", athena: "bigint" },
  [DuckDBTypeId.UINTEGER]: { glue: "bigint", athena: "bigint" },
  // A stored column wider than 64 bits keeps every value as decimal(38,0); a result column (SUM and
  // COUNT of integers, which DuckDB widens to 128 bits) is bigint in Athena.
  [DuckDBTypeId.UBIGINT]: { glue: "decimal(38,0)", athena: "bigint" },
  [DuckDBTypeId.HUGEINT]: { glue: "decimal(38,0)", athena: "bigint" },
  [DuckDBTypeId.UHUGEINT]: { glue: "uhugeint", athena: "bigint" },
  [DuckDBTypeId.FLOAT]: { glue: "float", athena: "real" },
  [DuckDBTypeId.DOUBLE]: { glue: "double", athena: "double" },
  [DuckDBTypeId.DATE]: { glue: "date", athena: "date" },
  [DuckDBTypeId.TIMESTAMP]: { glue: "timestamp", athena: "timestamp" },
  [DuckDBTypeId.TIMESTAMP_S]: { glue: "timestamp", athena: "timestamp" },
  [DuckDBTypeId.TIMESTAMP_MS]: { glue: "timestamp", athena: "timestamp" },
  [DuckDBTypeId.TIMESTAMP_NS]: { glue: "timestamp", athena: "timestamp" },
  [DuckDBTypeId.TIMESTAMP_TZ]: { glue: "timestamp", athena: "timestamp with time zone" },
  [DuckDBTypeId.BLOB]: { glue: "binary", athena: "varbinary" },
  [DuckDBTypeId.SQLNULL]: { glue: "null", athena: "unknown" },
};

type Dialect = keyof Names;

/** How each dialect spells the nested types. */
const nested: Record<
  Dialect,
  {
    list: (item: string) => string;
    map: (key: string, value: string) => string;
    struct: (fields: [string, string][]) => string;
  }
> = {
  glue: {
    list: (item) => `array<${item}>`,
    map: (key, value) => `map<${key},${value}>`,
    struct: (fields) => `struct<${fields.map(([n, t]) => `${n}:${t}`).join(",")}>`,
  },
  athena: {
    list: (item) => `array(${item})`,
    map: (key, value) => `map(${key}, ${value})`,
    struct: (fields) => `row(${fields.map(([n, t]) => `${n} ${t}`).join(", ")})`,
  },
};

function typeName(type: DuckDBType, dialect: Dialect): string {
  const scalar = scalarNames[type.typeId];
  if (scalar) return scalar[dialect];
  const spell = nested[dialect];
  switch (type.typeId) {
    case DuckDBTypeId.DECIMAL:
      return `decimal(${type.width},${type.scale})`;
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY:
      return spell.list(typeName(type.valueType, dialect));
    case DuckDBTypeId.MAP:
      return spell.map(typeName(type.keyType, dialect), typeName(type.valueType, dialect));
    case DuckDBTypeId.STRUCT:
      return spell.struct(type.entryNames.map((n, i) => [n, typeName(type.entryTypes[i]!, dialect)]));
    default:
      return type.toString().toLowerCase();
  }
}

/** The Glue (Hive) type the crawler records for a Parquet column DuckDB reads as `type`. */
export const glueTypeOf = (type: DuckDBType): string => typeName(type, "glue");

/** Athena's name for a DuckDB result type (what a result's `columns[].type` reports). */
export const athenaTypeName = (type: DuckDBType): string => typeName(type, "athena");
