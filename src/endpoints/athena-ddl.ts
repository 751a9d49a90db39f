import { CatalogStore } from "../catalog/catalog-store.js";
import type { Storage } from "../storage/storage.js";
import { splitStatements, type Token } from "../query/sql-tokenizer.js";
import { AwsError } from "./aws-error.js";
import type { LocalStack } from "./local-stack.js";

/**
 * Athena's catalog writes the local endpoint answers itself, in the catalog (never through the query
 * engine, which stays read-only): CREATE DATABASE/SCHEMA, DROP DATABASE/SCHEMA, DROP TABLE and DROP VIEW,
 * for databases other than the pipeline's own. `clickstream_db` is read-only here (its crawler alone
 * writes it); CREATE TABLE … AS SELECT and CREATE VIEW are refused with a message that says so.
 * Returns undefined for every other statement (the engine's to run or refuse).
 */
export function athenaCatalogWrite(
  sql: string,
  context: { database: string },
  storage: Storage,
  stack: LocalStack,
): (() => Promise<void>) | undefined {
  const statements = splitStatements(sql);
  if (statements.length !== 1) return undefined;
  const words = backquoted(statements[0]!.tokens.filter((t) => t.kind !== "space" && t.kind !== "comment"));
  const upper = (i: number): string => (words[i]?.kind === "word" ? words[i]!.text.toUpperCase() : "");
  if (upper(0) !== "CREATE" && upper(0) !== "DROP") return undefined;
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
          if (ifNotExists) return;
          throw new AwsError("InvalidRequestException", `Database ${name} already exists`);
        }
        await store.putDatabase({
          Name: name,
          ...(description !== undefined ? { Description: description } : {}),
          ...(location !== undefined ? { LocationUri: location } : {}),
          CreateTime: new Date().toISOString(),
          Parameters: {},
        });
      };
    }
    const view = take("VIEW");
    const table = !view && (take("TABLE") || take("EXTERNAL", "TABLE"));
    if (!view && !table) return undefined;
    if (!view) take("IF", "NOT", "EXISTS");
    const target = qualifiedName();
    const what = view ? `CREATE ${orReplace ? "OR REPLACE " : ""}VIEW` : "CREATE TABLE";
    return async () => {
      if (target.db === stack.database) throw readOnly(target.db, what);
      throw new AwsError(
        "InvalidRequestException",
        `NOT_SUPPORTED: ${what} is not served by this local endpoint yet (docs/aws-endpoints.md); create tables with Glue CreateTable`,
      );
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
        if (ifExists) return;
        throw new AwsError("InvalidRequestException", `Database ${name} does not exist`);
      }
      if (!cascade && (await store.listTables(name)).length > 0)
        throw new AwsError(
          "InvalidRequestException",
          `Database ${name} is not empty. One or more tables exist (DROP DATABASE ${name} CASCADE drops them too)`,
        );
      await store.deleteDatabase(name);
    };
  }
  const target = qualifiedName();
  if (at < words.length) throw syntax(`unexpected ${words[at]!.text} in DROP ${kind.toUpperCase()}`);
  return async () => {
    if (target.db === stack.database) throw readOnly(target.db, `DROP ${kind.toUpperCase()}`);
    const found = await store.getTable(target.db, target.name);
    const isView = found?.TableType === "VIRTUAL_VIEW";
    if (!found || isView !== (kind === "view")) {
      if (ifExists && !found) return;
      throw new AwsError(
        "InvalidRequestException",
        found
          ? `${target.db}.${target.name} is a ${isView ? "view" : "table"}: use DROP ${isView ? "VIEW" : "TABLE"}`
          : `Table ${target.db}.${target.name} does not exist`,
      );
    }
    await store.deleteTable(target.db, target.name);
  };
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
