import { CatalogStore } from "../catalog/catalog-store.js";
import type { QueryResult } from "../query/query-result.js";
import { bucketHomePrefix } from "../storage/storage.js";
import type { Storage } from "../storage/storage.js";
import { splitStatements, type Token } from "../query/sql-tokenizer.js";
import { glueTypeOfAthena, writeCtasTable, type CtasOutcome } from "./athena-ctas.js";
import { AwsError } from "./aws-error.js";
import type { LocalStack } from "./local-stack.js";

/** What a catalog write may use: the engine for a CTAS's query, and where its results go. */
interface CatalogWriteContext {
  run(sql: string): Promise<QueryResult>;
  readonly queryId: string;
  /** Key of `<id>.csv` in the results bucket (the manifest goes beside it). */
  readonly resultKey: string;
}

export type CatalogWrite = (context: CatalogWriteContext) => Promise<CtasOutcome | undefined>;

/**
 * Athena's catalog writes the local endpoint answers itself, in the catalog (never through the query
 * engine, which stays read-only): CREATE DATABASE/SCHEMA, CREATE TABLE … AS SELECT, CREATE [OR REPLACE]
 * VIEW, ALTER TABLE … SET TBLPROPERTIES, DROP DATABASE/SCHEMA, DROP TABLE and DROP VIEW, for databases
 * other than the pipeline's own. `clickstream_db` is read-only here (its crawler alone writes it): a write
 * to it is refused with a message that says so.
 * Returns undefined for every other statement (the engine's to run or refuse).
 */
export function athenaCatalogWrite(
  sql: string,
  context: { database: string },
  storage: Storage,
  stack: LocalStack,
): CatalogWrite | undefined {
  const statements = splitStatements(sql);
  if (statements.length !== 1) return undefined;
  const words = backquoted(statements[0]!.tokens.filter((t) => t.kind !== "space" && t.kind !== "comment"));
  const upper = (i: number): string => (words[i]?.kind === "word" ? words[i]!.text.toUpperCase() : "");
  if (upper(0) !== "CREATE" && upper(0) !== "DROP" && upper(0) !== "ALTER") return undefined;
  const store = new CatalogStore(storage);
  let at = 1;
  const take = (...expected: string[]): boolean => {
    if (!expected.every((w, i) => upper(at + i) === w)) return false;
    at += expected.length;
    return true;
  };
  const readOnly = (db: string, what: string): AwsError =>
    new AwsError(
      "InvalidRequestException",
      `${what} in ${db}: ${stack.database} is read-only here (its crawler alone writes it); use another database (CREATE DATABASE analytics)`,
    );
  /** `[db.]name`, lower-cased as the Glue catalog keeps names. */
  const qualifiedName = (): { db: string; name: string } => {
    // `awsdatacatalog.db.name` (dbt-athena names relations so): the catalog must be the local one.
    if (words[at + 1]?.text === "." && words[at + 3]?.text === ".") {
      const catalog = identifier(words[at]);
      if (catalog !== stack.dataCatalog.toLowerCase())
        throw new AwsError(
          "InvalidRequestException",
          `Catalog ${catalog} is not found (this endpoint has ${stack.dataCatalog})`,
        );
      at += 2;
    }
    const first = identifier(words[at]);
    if (words[at + 1]?.text === ".") {
      const second = identifier(words[at + 2]);
      at += 3;
      return { db: first, name: second };
    }
    at += 1;
    return { db: context.database.toLowerCase(), name: first };
  };

  if (upper(0) === "CREATE") {
    const orReplace = take("OR", "REPLACE");
    if (take("DATABASE") || take("SCHEMA")) {
      const ifNotExists = take("IF", "NOT", "EXISTS");
      const name = identifier(words[at++]);
      let description: string | undefined;
      let location: string | undefined;
      while (at < words.length) {
        if (take("COMMENT")) description = literal(words[at++]);
        else if (take("LOCATION")) location = literal(words[at++]);
        else if (take("WITH", "DBPROPERTIES"))
          break; // properties are not kept
        else throw syntax(`unexpected ${words[at]!.text} in CREATE DATABASE`);
      }
      return async () => {
        if ((await store.getDatabase(name)) || name === stack.database) {
          if (ifNotExists) return undefined;
          throw new AwsError("InvalidRequestException", `Database ${name} already exists`);
        }
        await store.putDatabase({
          Name: name,
          ...(description !== undefined ? { Description: description } : {}),
          ...(location !== undefined ? { LocationUri: location } : {}),
          CreateTime: new Date().toISOString(),
          Parameters: {},
        });
        return undefined;
      };
    }
    const view = take("VIEW");
    const table = !view && (take("TABLE") || take("EXTERNAL", "TABLE"));
    if (!view && !table) return undefined;
    const ifNotExists = !view && take("IF", "NOT", "EXISTS");
    const target = qualifiedName();
    const what = view ? `CREATE ${orReplace ? "OR REPLACE " : ""}VIEW` : "CREATE TABLE";
    // CREATE TABLE … [WITH (…)] AS <query> [WITH [NO] DATA]: the query runs on the engine, its guard included.
    const properties: Record<string, string> = {};
    const lists: Record<string, string[]> = {};
    if (!view && take("WITH")) {
      if (words[at]?.text !== "(") throw syntax("WITH must be followed by ( properties )");
      at++;
      while (at < words.length && words[at]!.text !== ")") {
        const key = words[at]!.text.toLowerCase();
        if (words[at + 1]?.text !== "=") throw syntax(`property ${key} needs = value`);
        at += 2;
        // `ARRAY['a', 'b']` (partitioned_by, bucketed_by): a list of string literals.
        if (upper(at) === "ARRAY" && words[at + 1]?.text === "[") {
          const items: string[] = [];
          at += 2;
          while (words[at]?.text !== "]") {
            items.push(literal(words[at]));
            at++;
            if (words[at]?.text === ",") at++;
            else if (words[at]?.text !== "]") throw syntax(`ARRAY of ${key} must end with ]`);
          }
          lists[key] = items;
        } else {
          const value = words[at];
          properties[key] = value?.kind === "string" ? literal(value) : (value?.text ?? "");
        }
        at++;
        if (words[at]?.text === ",") at++;
        else if (words[at]?.text !== ")")
          throw syntax(`unexpected ${words[at]?.text ?? "end"} after property ${key}`);
      }
      at++;
    }
    const asToken = words[at];
    const isCtas = !view && upper(at) === "AS";
    if (!view && !isCtas)
      return async () => {
        if (target.db === stack.database) throw readOnly(target.db, what);
        throw new AwsError(
          "InvalidRequestException",
          `NOT_SUPPORTED: CREATE TABLE without AS SELECT is not served by this local endpoint yet (docs/aws-endpoints.md); create tables with Glue CreateTable`,
        );
      };
    const tokens = statements[0]!.tokens;
    if (view && upper(at) !== "AS") throw syntax("CREATE VIEW needs AS <query>");
    const queryTokens = isCtas || view ? tokens.slice(tokens.indexOf(asToken!) + 1) : [];
    let query = queryTokens
      .map((t) => t.text)
      .join("")
      .trim()
      .replace(/;\s*$/, "");
    let withData = true;
    const tail = /\s+WITH\s+(NO\s+)?DATA\s*$/i.exec(query);
    if (tail) {
      withData = tail[1] === undefined;
      query = query.slice(0, tail.index);
    }
    return async (write) => {
      if (target.db === stack.database) throw readOnly(target.db, what);
      if (view) {
        await createView(store, target, query, orReplace, write);
        return undefined;
      }
      if (lists.bucketed_by !== undefined || properties.bucket_count !== undefined)
        throw new AwsError(
          "InvalidRequestException",
          "NOT_SUPPORTED: bucketed CTAS (bucketed_by, bucket_count) is not served by this local endpoint; partitioned_by is",
        );
      for (const key of Object.keys(lists))
        if (key !== "partitioned_by")
          throw new AwsError(
            "InvalidRequestException",
            `NOT_SUPPORTED: CTAS property ${key} is not served by this local endpoint`,
          );
      for (const key of Object.keys(properties))
        if (
          ![
            "format",
            "external_location",
            "write_compression",
            "parquet_compression",
            "table_type",
            "is_external",
          ].includes(key)
        )
          throw new AwsError(
            "InvalidRequestException",
            `NOT_SUPPORTED: CTAS property ${key} is not served by this local endpoint`,
          );
      if (properties.format !== undefined && properties.format.toUpperCase() !== "PARQUET")
        throw new AwsError(
          "InvalidRequestException",
          `NOT_SUPPORTED: CTAS format ${properties.format} (this endpoint writes PARQUET)`,
        );
      if (properties.table_type !== undefined && properties.table_type.toUpperCase() !== "HIVE")
        throw new AwsError("InvalidRequestException", `NOT_SUPPORTED: table_type ${properties.table_type}`);
      // dbt-athena writes `is_external=true` for every Hive table; false is for Iceberg's managed tables.
      if (properties.is_external !== undefined && properties.is_external.toLowerCase() !== "true")
        throw new AwsError(
          "InvalidRequestException",
          `NOT_SUPPORTED: is_external=${properties.is_external} (a table that is not external is an Iceberg table, which this endpoint does not write)`,
        );
      if (!(await store.getDatabase(target.db)))
        throw new AwsError("InvalidRequestException", `SCHEMA_NOT_FOUND: Schema ${target.db} does not exist`);
      if (await store.getTable(target.db, target.name)) {
        if (ifNotExists) return undefined;
        throw new AwsError("InvalidRequestException", `Table ${target.db}.${target.name} already exists`);
      }
      const bucket = stack.buckets["athena-results"]!;
      const home = bucketHomePrefix["athena-results"];
      let prefix = `${home}tables/${write.queryId}/`;
      if (properties.external_location !== undefined) {
        const m = /^s3:\/\/([^/]+)\/(.*)$/.exec(properties.external_location);
        let key = m?.[2] ?? "";
        if (key !== "" && !key.endsWith("/")) key += "/";
        if (!m || m[1] !== bucket || !key.startsWith(home))
          throw new AwsError(
            "InvalidRequestException",
            `external_location ${properties.external_location} must be under s3://${bucket}/${home} (the local endpoint writes tables only in the results bucket, never inside transformed/)`,
          );
        prefix = key;
      }
      const result = await write.run(query);
      return writeCtasTable({
        storage,
        bucket,
        target,
        prefix,
        queryId: write.queryId,
        resultKey: write.resultKey,
        result,
        withData,
        partitionedBy: (lists.partitioned_by ?? []).map((name) => name.toLowerCase()),
      });
    };
  }

  if (upper(0) === "ALTER") {
    if (!take("TABLE")) return undefined;
    const target = qualifiedName();
    if (!take("SET", "TBLPROPERTIES"))
      return async () => {
        if (target.db === stack.database) throw readOnly(target.db, "ALTER TABLE");
        throw new AwsError(
          "InvalidRequestException",
          upper(at) === "RENAME"
            ? "NOT_SUPPORTED: ALTER TABLE RENAME TO: Athena renames Iceberg tables only, and this endpoint writes Hive tables"
            : `NOT_SUPPORTED: ALTER TABLE ${upper(at)} is not served by this local endpoint (SET TBLPROPERTIES is; docs/aws-endpoints.md)`,
        );
      };
    const properties = propertyList(words, at);
    return async () => {
      if (target.db === stack.database) throw readOnly(target.db, "ALTER TABLE");
      const found = await store.getTable(target.db, target.name);
      if (!found)
        throw new AwsError(
          "InvalidRequestException",
          `TABLE_NOT_FOUND: Table ${target.db}.${target.name} does not exist`,
        );
      if (found.TableType === "VIRTUAL_VIEW")
        throw new AwsError("InvalidRequestException", `${target.db}.${target.name} is a view, not a table`);
      await store.putTable({
        ...found,
        Parameters: { ...found.Parameters, ...properties },
        UpdateTime: new Date().toISOString(),
        VersionId: String(Number(found.VersionId) + 1),
      });
      return undefined;
    };
  }

  // DROP
  const kind =
    take("DATABASE") || take("SCHEMA") ? "database" : take("TABLE") ? "table" : take("VIEW") ? "view" : "";
  if (kind === "") return undefined;
  const ifExists = take("IF", "EXISTS");
  if (kind === "database") {
    const name = identifier(words[at++]);
    const cascade = take("CASCADE");
    if (!cascade) take("RESTRICT");
    if (at < words.length) throw syntax(`unexpected ${words[at]!.text} in DROP DATABASE`);
    return async () => {
      if (name === stack.database) throw readOnly(name, "DROP DATABASE");
      if (!(await store.getDatabase(name))) {
        if (ifExists) return undefined;
        throw new AwsError("InvalidRequestException", `Database ${name} does not exist`);
      }
      if (!cascade && (await store.listTables(name)).length > 0)
        throw new AwsError(
          "InvalidRequestException",
          `Database ${name} is not empty. One or more tables exist (DROP DATABASE ${name} CASCADE drops them too)`,
        );
      await store.deleteDatabase(name);
      return undefined;
    };
  }
  const target = qualifiedName();
  if (at < words.length) throw syntax(`unexpected ${words[at]!.text} in DROP ${kind.toUpperCase()}`);
  return async () => {
    if (target.db === stack.database) throw readOnly(target.db, `DROP ${kind.toUpperCase()}`);
    const found = await store.getTable(target.db, target.name);
    const isView = found?.TableType === "VIRTUAL_VIEW";
    if (!found || isView !== (kind === "view")) {
      if (ifExists && !found) return undefined;
      throw new AwsError(
        "InvalidRequestException",
        found
          ? `${target.db}.${target.name} is a ${isView ? "view" : "table"}: use DROP ${isView ? "VIEW" : "TABLE"}`
          : `Table ${target.db}.${target.name} does not exist`,
      );
    }
    await store.deleteTable(target.db, target.name);
    return undefined;
  };
}

/**
 * CREATE [OR REPLACE] VIEW: the query is checked by running it on the engine (its guard; no rows read,
 * LIMIT 0), and the view recorded as Athena records one: a VIRTUAL_VIEW whose ViewOriginalText is
 * `/* Presto View: <base64 JSON with originalSql and columns> *\/`. The engine creates it from there.
 */
async function createView(
  store: CatalogStore,
  target: { db: string; name: string },
  query: string,
  orReplace: boolean,
  write: CatalogWriteContext,
): Promise<void> {
  if (!(await store.getDatabase(target.db)))
    throw new AwsError("InvalidRequestException", `SCHEMA_NOT_FOUND: Schema ${target.db} does not exist`);
  const existing = await store.getTable(target.db, target.name);
  if (existing && existing.TableType !== "VIRTUAL_VIEW")
    throw new AwsError("InvalidRequestException", `${target.db}.${target.name} is a table, not a view`);
  if (existing && !orReplace)
    throw new AwsError("InvalidRequestException", `View ${target.db}.${target.name} already exists`);
  const probe = await write.run(`SELECT * FROM (${query}) AS view_columns LIMIT 0`);
  const presto = Buffer.from(
    JSON.stringify({
      originalSql: query,
      catalog: "awsdatacatalog",
      schema: target.db,
      columns: probe.columns.map((c) => ({ name: c.name, type: c.type })),
    }),
  ).toString("base64");
  const now = new Date().toISOString();
  await store.putTable({
    Name: target.name,
    DatabaseName: target.db,
    TableType: "VIRTUAL_VIEW",
    CreateTime: existing?.CreateTime ?? now,
    UpdateTime: now,
    Parameters: { presto_view: "true", comment: "Presto View" },
    StorageDescriptor: {
      Columns: probe.columns.map((c) => ({ Name: c.name.toLowerCase(), Type: glueTypeOfAthena(c.type) })),
      Location: "",
      InputFormat: "",
      OutputFormat: "",
      Compressed: false,
      NumberOfBuckets: 0,
      SerdeInfo: { SerializationLibrary: "", Parameters: {} },
      StoredAsSubDirectories: false,
    },
    PartitionKeys: [],
    VersionId: String(existing ? Number(existing.VersionId) + 1 : 1),
    ViewOriginalText: `/* Presto View: ${presto} */`,
    ViewExpandedText: "/* Presto View */",
  });
}

/** Hive's `('key' = 'value', …)` (ALTER TABLE … SET TBLPROPERTIES), from `at` to the end of the statement. */
function propertyList(words: readonly Token[], at: number): Record<string, string> {
  if (words[at]?.text !== "(") throw syntax("SET TBLPROPERTIES must be followed by ( 'key' = 'value', … )");
  const properties: Record<string, string> = {};
  let i = at + 1;
  for (;;) {
    const key = literal(words[i]);
    if (words[i + 1]?.text !== "=") throw syntax(`property '${key}' needs = 'value'`);
    properties[key] = literal(words[i + 2]);
    i += 3;
    if (words[i]?.text === ",") i++;
    else if (words[i]?.text === ")") break;
    else throw syntax("a property list must end with )");
  }
  if (i + 1 < words.length) throw syntax(`unexpected ${words[i + 1]!.text} after SET TBLPROPERTIES ( … )`);
  return properties;
}

/** Hive's `` `name` `` (Athena's DDL takes it; the tokenizer sees three tokens) as one quoted identifier. */
function backquoted(tokens: Token[]): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.text === "`" && tokens[i + 2]?.text === "`" && tokens[i + 1]?.kind === "word") {
      out.push({ kind: "quoted", text: `"${tokens[i + 1]!.text}"`, start: t.start });
      i += 2;
    } else out.push(t);
  }
  return out;
}

function syntax(message: string): AwsError {
  return new AwsError("InvalidRequestException", `line 1: ${message}`, 400, {
    AthenaErrorCode: "MALFORMED_QUERY",
  });
}

/** A database, table or view name: a word, a `"quoted"` or `` `backquoted` `` identifier. */
function identifier(token: Token | undefined): string {
  if (token === undefined) throw syntax("a name is missing");
  let name: string;
  if (token.kind === "word") name = token.text;
  else if (token.kind === "quoted") name = token.text.slice(1, -1).replaceAll('""', '"');
  else throw syntax(`${token.text} is not a name`);
  name = name.toLowerCase();
  if (!/^[a-z0-9_-]{1,255}$/.test(name))
    throw syntax(`${JSON.stringify(name)} is not a valid name ([a-z0-9_-])`);
  return name;
}

function literal(token: Token | undefined): string {
  if (token?.kind !== "string") throw syntax("a quoted string is missing");
  return token.text.slice(1, -1).replaceAll("''", "'");
}
