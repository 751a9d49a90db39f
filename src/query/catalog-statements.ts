import { partitionName } from "../catalog/catalog-model.js";
import type { CatalogTable } from "../catalog/catalog-store.js";
import { ClickstreamError } from "../errors/clickstream-error.js";
import type { QueryResult } from "./query-result.js";
import { isTrivia, stringValue, wordOf, type Token } from "./sql-tokenizer.js";

/** What the catalog statements need from the engine. */
export interface CatalogAccess {
  database: string;
  databases(): Promise<string[]>;
  tables(): CatalogTable[];
  /** MSCK REPAIR TABLE: registers partitions found on disk; returns their names. */
  repair(table: string): Promise<string[]>;
}

const varchar = (names: string[], rows: string[][]): QueryResult => ({
  columns: names.map((name) => ({ name, type: "varchar" })),
  rows,
});

/**
 * SHOW DATABASES|SCHEMAS, SHOW TABLES, SHOW COLUMNS, SHOW PARTITIONS, DESCRIBE and MSCK REPAIR TABLE,
 * answered from the catalog with Athena's column names (database_name, tab_name, field, partition, …).
 */
export async function runCatalogStatement(tokens: Token[], access: CatalogAccess): Promise<QueryResult> {
  const words = tokens.filter((t) => !isTrivia(t));
  const cursor = new Cursor(words, access.database, new Set(await access.databases()));
  const first = cursor.word();
  if (first === "show") {
    const what = cursor.word();
    if (what === "databases" || what === "schemas") {
      const pattern = cursor.likePattern();
      return varchar(
        ["database_name"],
        (await access.databases()).filter((d) => matches(d, pattern)).map((d) => [d]),
      );
    }
    if (what === "tables") {
      let db = access.database;
      if (cursor.peekWord() === "in" || cursor.peekWord() === "from") {
        cursor.word();
        db = cursor.database(cursor.name());
      }
      const pattern = cursor.likePattern();
      cursor.end();
      return varchar(
        ["tab_name"],
        access
          .tables()
          .filter((t) => t.table.DatabaseName === db)
          .map((t) => t.table.Name)
          .filter((n) => matches(n, pattern))
          .sort()
          .map((n) => [n]),
      );
    }
    if (what === "columns") {
      cursor.expect(["from", "in"]);
      const parts = cursor.qualifiedName();
      if (cursor.peekWord() === "from" || cursor.peekWord() === "in") {
        cursor.word();
        if (parts.length > 1)
          throw new ClickstreamError("CS_ERR_QUERY_SYNTAX", "the database is named twice");
        parts.unshift(cursor.name());
      }
      const table = cursor.resolve(access, parts);
      cursor.end();
      const cols = [...table.table.StorageDescriptor.Columns, ...table.table.PartitionKeys];
      return varchar(
        ["field"],
        cols.map((c) => [c.Name]),
      );
    }
    if (what === "partitions") {
      const table = cursor.table(access);
      cursor.end();
      const keys = table.table.PartitionKeys;
      return varchar(
        ["partition"],
        table.partitions.Partitions.map((p) => [partitionName(keys, p.Values)]),
      );
    }
    throw new ClickstreamError("CS_ERR_QUERY_UNSUPPORTED", `SHOW ${what.toUpperCase()}`);
  }
  if (first === "describe" || first === "desc") {
    if (["formatted", "extended"].includes(cursor.peekWord())) cursor.word();
    const table = cursor.table(access);
    cursor.end();
    const rows = [
      ...table.table.StorageDescriptor.Columns.map((c) => [c.Name, c.Type, ""]),
      ...table.table.PartitionKeys.map((c) => [c.Name, c.Type, "Partition Key"]),
    ];
    return varchar(["col_name", "data_type", "comment"], rows);
  }
  if (first === "msck") {
    cursor.expect(["repair"]);
    cursor.expect(["table"]);
    const table = cursor.table(access);
    cursor.end();
    const added = await access.repair(table.table.Name);
    return varchar(
      ["partition", "action"],
      added.map((p) => [p, "added"]),
    );
  }
  throw new ClickstreamError("CS_ERR_QUERY_UNSUPPORTED", `statement ${first.toUpperCase()}`);
}

/** Hive-style SHOW pattern: `*` any characters, `|` alternatives, case-insensitive. */
function matches(name: string, pattern: string | undefined): boolean {
  if (pattern === undefined) return true;
  const alternatives = pattern.split("|").map((p) =>
    p
      .trim()
      .split("*")
      .map((part) => part.replace(/[.+?^${}()[\]\\]/g, "\\$&"))
      .join(".*"),
  );
  return new RegExp(`^(?:${alternatives.join("|")})$`, "i").test(name);
}

class Cursor {
  private i = 0;
  constructor(
    private readonly words: Token[],
    private readonly db: string,
    /** Every database of the catalog: dbt's and awswrangler's own beside the pipeline's. */
    private readonly databases: ReadonlySet<string>,
  ) {}

  peekWord(): string {
    return wordOf(this.words[this.i]);
  }

  word(): string {
    const w = wordOf(this.words[this.i]);
    this.i++;
    return w;
  }

  expect(options: string[]): void {
    const w = this.word();
    if (!options.includes(w)) {
      throw new ClickstreamError(
        "CS_ERR_QUERY_SYNTAX",
        `expected ${options.join(" or ").toUpperCase()}, got ${w || "end"}`,
      );
    }
  }

  /** One identifier part (word or "quoted"). */
  name(): string {
    const t = this.words[this.i++];
    if (t?.kind === "word") return t.text.toLowerCase();
    if (t?.kind === "quoted")
      return t.text
        .slice(1, -1)
        .replaceAll(t.text[0]! + t.text[0]!, t.text[0]!)
        .toLowerCase();
    throw new ClickstreamError("CS_ERR_QUERY_SYNTAX", "expected a table name");
  }

  /** A database of the catalog, by name. */
  database(name: string): string {
    if (name !== this.db && !this.databases.has(name))
      throw new ClickstreamError("CS_ERR_CATALOG_NOT_FOUND", `database ${name}`);
    return name;
  }

  /** `name[.name[.name]]`, the parts as written. */
  qualifiedName(): string[] {
    const parts = [this.name()];
    while (this.words[this.i]?.text === ".") {
      this.i++;
      parts.push(this.name());
    }
    return parts;
  }

  /** `[[awsdatacatalog.]db.]table`, resolved against the catalog (the pipeline's database by default). */
  resolve(access: CatalogAccess, parts: readonly string[]): CatalogTable {
    if (parts.length > 3)
      throw new ClickstreamError("CS_ERR_QUERY_SYNTAX", `too many parts in ${parts.join(".")}`);
    if (parts.length === 3 && parts[0] !== "awsdatacatalog") {
      throw new ClickstreamError("CS_ERR_CATALOG_NOT_FOUND", `catalog ${parts[0]}`);
    }
    const table = parts.at(-1)!;
    const db = parts.length >= 2 ? this.database(parts.at(-2)!) : this.db;
    const found = access.tables().find((t) => t.table.Name === table && t.table.DatabaseName === db);
    if (!found) throw new ClickstreamError("CS_ERR_CATALOG_NOT_FOUND", `table ${db}.${table}`);
    return found;
  }

  table(access: CatalogAccess): CatalogTable {
    return this.resolve(access, this.qualifiedName());
  }

  likePattern(): string | undefined {
    if (this.peekWord() === "like") this.word();
    const t = this.words[this.i];
    if (t?.kind === "string") {
      this.i++;
      return stringValue(t);
    }
    return undefined;
  }

  end(): void {
    const t = this.words[this.i];
    if (t) throw new ClickstreamError("CS_ERR_QUERY_SYNTAX", `unexpected ${t.text}`);
  }
}
