import { DuckDBInstance, quotedString, type DuckDBConnection } from "@duckdb/node-api";
import { wrapError } from "../errors/clickstream-error.js";
import { glueTypeOf } from "./duckdb-type-names.js";

/** What a Parquet footer tells the crawler about one file. */
export interface ParquetFooter {
  columns: { name: string; type: string }[];
  rowCount: number;
  /** Codecs of the file's column chunks (`ZSTD`, `SNAPPY`, …). */
  codecs: string[];
}

/**
 * Reads Parquet footers with DuckDB (schema, row counts and codecs come from the footer only; no data
 * pages are read). One in-memory DuckDB per crawl.
 */
export class ParquetFooterReader {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  static async open(): Promise<ParquetFooterReader> {
    const instance = await DuckDBInstance.create(":memory:", { threads: "1" });
    return new ParquetFooterReader(instance, await instance.connect());
  }

  async read(path: string, key: string): Promise<ParquetFooter> {
    const file = quotedString(path);
    try {
      // hive_partitioning=false: the footer's columns only, not the folder's key=value pairs.
      const schema = await this.connection.runAndReadAll(
        `SELECT * FROM read_parquet(${file}, hive_partitioning=false) LIMIT 0`,
      );
      const names = schema.columnNames();
      const types = schema.columnTypes();
      const meta = await this.connection.runAndReadAll(`SELECT num_rows FROM parquet_file_metadata(${file})`);
      const codecs = await this.connection.runAndReadAll(
        `SELECT DISTINCT compression FROM parquet_metadata(${file}) ORDER BY 1`,
      );
      return {
        columns: names.map((name, i) => ({ name, type: glueTypeOf(types[i]!) })),
        rowCount: Number(meta.getRowsJS()[0]?.[0] ?? 0),
        codecs: codecs.getRowsJS().map((row) => String(row[0])),
      };
    } catch (error) {
      throw wrapError("CS_ERR_CATALOG_CRAWL_FAILED", error, `cannot read the Parquet footer of ${key}`);
    }
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
