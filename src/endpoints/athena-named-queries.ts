import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { namedQueriesFile } from "../console/package-paths.js";
import { parseQueryFile } from "../query/query-file.js";
import { inputReader, pageToken, tokenOffset } from "./api-input.js";
import { AwsError } from "./aws-error.js";
import type { LocalStack } from "./local-stack.js";

const input = inputReader("InvalidRequestException");

/**
 * The named queries of the local stack with their keys (`query_NN`, infra/athena.tf's `for_each` keys,
 * which `terraform output named_queries` maps to the ids).
 */
export async function localNamedQueries(
  stack: LocalStack,
  file = namedQueriesFile,
): Promise<{ key: string; query: NamedQuery }[]> {
  const workgroup = stack.workgroups[0]!;
  return parseQueryFile(await readFile(file, "utf8"))
    .filter((q) => q.number !== undefined && /^\d+$/.test(q.number))
    .map((q) => {
      const key = `query_${q.number!.padStart(2, "0")}`;
      const hex = createHash("sha256").update(`${workgroup}/${key}`).digest("hex");
      return {
        key,
        query: {
          NamedQueryId: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`,
          Name: `${Number(q.number)}. ${q.title ?? ""}`.slice(0, 128),
          Description: `From queries/athena_queries.sql, query ${Number(q.number)}.`,
          Database: stack.database,
          QueryString: q.sql.replace(/^--[ \t]*Query[^\n]*\n?/, "").trim(),
          WorkGroup: workgroup,
        },
      };
    });
}

interface NamedQuery {
  NamedQueryId: string;
  Name: string;
  Description: string;
  Database: string;
  QueryString: string;
  WorkGroup: string;
}

/**
 * Athena's named queries as infra/athena.tf creates them from `queries/athena_queries.sql`: one per
 * `-- Query N: Title` section, named `N. Title`, in the pipeline's workgroup, the SQL without its title line.
 * Ids are derived from the query's key (`query_NN`), so they are stable across restarts.
 */
export function namedQueryOperations(
  stack: LocalStack,
  file = namedQueriesFile,
): Record<string, (call: Record<string, unknown>) => Promise<unknown>> {
  const workgroup = stack.workgroups[0]!;
  let loaded: Promise<NamedQuery[]> | undefined;
  const all = (): Promise<NamedQuery[]> =>
    (loaded ??= localNamedQueries(stack, file).then((qs) => qs.map((q) => q.query)));
  const find = async (id: string): Promise<NamedQuery | undefined> =>
    (await all()).find((q) => q.NamedQueryId === id);
  return {
    ListNamedQueries: async (call) => {
      const wanted = input.string(call, "WorkGroup") ?? "primary";
      if (!stack.workgroups.includes(wanted))
        throw new AwsError("InvalidRequestException", `WorkGroup ${wanted} is not found.`);
      const max = input.integer(call, "MaxResults", 0, 50) ?? 50;
      const ids = wanted === workgroup ? (await all()).map((q) => q.NamedQueryId) : [];
      const scope = `ListNamedQueries ${wanted}`;
      const offset = tokenOffset(input.string(call, "NextToken"), scope, "InvalidRequestException");
      const page = ids.slice(offset, offset + max);
      return {
        NamedQueryIds: page,
        ...(offset + page.length < ids.length ? { NextToken: pageToken(scope, offset + page.length) } : {}),
      };
    },
    GetNamedQuery: async (call) => {
      const id = input.required(call, "NamedQueryId");
      const query = await find(id);
      if (!query) throw new AwsError("InvalidRequestException", `NamedQuery ${id} was not found`);
      return { NamedQuery: query };
    },
    BatchGetNamedQuery: async (call) => {
      const ids = Array.isArray(call.NamedQueryIds) ? call.NamedQueryIds.map(String) : [];
      if (ids.length < 1 || ids.length > 50)
        throw input.invalid("namedQueryIds", "Member must have length between 1 and 50");
      const found: NamedQuery[] = [];
      const missing: { NamedQueryId: string; ErrorCode: string; ErrorMessage: string }[] = [];
      for (const id of ids) {
        const query = await find(id);
        if (query) found.push(query);
        else
          missing.push({
            NamedQueryId: id,
            ErrorCode: "INVALID_INPUT",
            ErrorMessage: "NamedQuery not found",
          });
      }
      return { NamedQueries: found, UnprocessedNamedQueryIds: missing };
    },
  };
}
