import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import type {
  CatalogAnswer,
  HistoryAnswer,
  HistoryEntry,
  NamedQueriesAnswer,
  QueryAnswer,
} from "../../../api-types.js";
import { ApiError, getJson, postJson } from "../shared/api.js";
import { ErrorBox } from "../shared/error-box.js";
import { CatalogTree } from "./catalog-tree.js";
import { errorPosition } from "./error-position.js";
import { HistoryPanel } from "./history-panel.js";
import { ResultChart } from "./result-chart.js";
import { ResultGrid } from "./result-grid.js";
import { SqlEditor, type EditorHandle } from "./sql-editor.js";

type NamedQuery = NamedQueriesAnswer["queries"][number];

const firstQuery =
  "SELECT event_type, COUNT(*) AS events\nFROM transformed\nGROUP BY event_type\nORDER BY events DESC";

/**
 * The SQL workbench: the catalog beside an editor, the named queries of queries/athena_queries.sql,
 * run (Ctrl/Cmd+Enter) and cancel, results as a grid or a chart, CSV download, and the history.
 */
export function WorkbenchPage() {
  const [catalog, setCatalog] = useState<CatalogAnswer | undefined>();
  const [named, setNamed] = useState<NamedQuery[]>([]);
  const [history, setHistory] = useState<readonly HistoryEntry[]>([]);
  const [answer, setAnswer] = useState<QueryAnswer | undefined>();
  const [error, setError] = useState<ApiError | undefined>();
  const [running, setRunning] = useState<AbortController | undefined>();
  const [view, setView] = useState<"grid" | "chart">("grid");
  // The named query the editor holds, until its text is edited (the menu then reads "Open a named query…").
  const [picked, setPicked] = useState("");
  const editor = useRef<EditorHandle | null>(null);

  const loadHistory = useCallback(() => {
    getJson<HistoryAnswer>("/api/history").then(
      (h) => setHistory(h.entries),
      (e: unknown) => setError(e as ApiError),
    );
  }, []);
  useEffect(() => {
    getJson<CatalogAnswer>("/api/catalog").then(setCatalog, (e: unknown) => setError(e as ApiError));
    getJson<NamedQueriesAnswer>("/api/named-queries").then(
      (n) => setNamed(n.queries),
      (e: unknown) => setError(e as ApiError),
    );
    loadHistory();
  }, [loadHistory]);

  const schema = useMemo(() => {
    const out: Record<string, string[]> = {};
    for (const db of catalog?.databases ?? []) {
      for (const t of db.tables) {
        const columns = [...t.columns, ...t.partitionKeys].map((c) => c.name);
        out[t.name] = columns;
        out[`${db.name}.${t.name}`] = columns;
      }
    }
    return out;
  }, [catalog]);

  const run = useCallback(async () => {
    // Sent as written (not trimmed), so the positions in an error's message are the editor's.
    const sql = editor.current?.get();
    if (!sql?.trim() || running) return;
    const controller = new AbortController();
    setRunning(controller);
    setError(undefined);
    editor.current?.markError(undefined);
    try {
      setAnswer(await postJson<QueryAnswer>("/api/query", { sql }, controller.signal));
      setView("grid");
    } catch (e) {
      setAnswer(undefined);
      if (e instanceof ApiError) editor.current?.markError(errorPosition(e.message, sql));
      setError(
        controller.signal.aborted
          ? new ApiError(
              "CS_ERR_QUERY_CANCELLED",
              "Query cancelled",
              "Run it again if you still need the result.",
              499,
            )
          : e instanceof ApiError
            ? e
            : new ApiError("CS_ERR_INTERNAL", String(e), "", 0),
      );
    } finally {
      setRunning(undefined);
      loadHistory();
      // Bytes scanned arrive a moment after the answer (measured after it went out).
      setTimeout(loadHistory, 1500);
    }
  }, [running, loadHistory]);

  const open = (sql: string) => {
    editor.current?.set(sql);
    editor.current?.focus();
  };

  return (
    <div class="workbench">
      {catalog ? (
        <CatalogTree catalog={catalog} onPick={open} />
      ) : (
        <p class="loading">Loading the catalog…</p>
      )}
      <div class="row-gap">
        <section class="panel" aria-label="Query editor">
          <div class="toolbar">
            <label>
              Named queries (queries/athena_queries.sql)
              <select
                data-testid="named-queries"
                value={picked}
                onChange={(e) => {
                  const query = named.find((q) => q.number === e.currentTarget.value);
                  if (query) {
                    open(query.sql);
                    // After the text is set (which resets the menu): the menu names the query opened.
                    setPicked(query.number ?? "");
                  }
                }}
              >
                <option value="">Open a named query…</option>
                {named.map((q) => (
                  <option value={q.number}>
                    {q.number}: {q.title ?? "untitled"}
                  </option>
                ))}
              </select>
            </label>
            <span class="spacer" />
            <button
              type="button"
              class="primary"
              onClick={() => void run()}
              disabled={!!running}
              data-testid="run"
            >
              {running ? "Running…" : "Run"} <span class="note">Ctrl+Enter</span>
            </button>
            <button type="button" onClick={() => running?.abort()} disabled={!running} data-testid="cancel">
              Cancel
            </button>
          </div>
          <SqlEditor
            initial={firstQuery}
            schema={schema}
            defaultTable="transformed"
            onRun={() => void run()}
            onChange={() => setPicked("")}
            handle={editor}
          />
          {catalog && (
            <p class="note">
              Read-only Athena SQL on the local engine; at most{" "}
              {catalog.limits.maxResultRows.toLocaleString("en-US")} rows and{" "}
              {Math.round(catalog.limits.timeoutMs / 1000)} s per query (`--max-rows`, `--timeout-ms`). Every
              result is also saved under athena-results/.
            </p>
          )}
        </section>
        <section class="panel" aria-label="Result" aria-live="polite" aria-busy={!!running}>
          {error && <ErrorBox error={error} />}
          {running && <p class="loading">Running…</p>}
          {answer && (
            <>
              <div class="chips" role="tablist" aria-label="Result view">
                <button
                  type="button"
                  role="tab"
                  aria-selected={view === "grid"}
                  onClick={() => setView("grid")}
                >
                  Grid
                </button>
                <button
                  type="button"
                  role="tab"
                  aria-selected={view === "chart"}
                  onClick={() => setView("chart")}
                >
                  Chart
                </button>
              </div>
              {view === "grid" ? <ResultGrid answer={answer} /> : <ResultChart answer={answer} />}
            </>
          )}
          {!answer && !error && !running && <p class="note">Results appear here.</p>}
        </section>
        <HistoryPanel entries={history} onOpen={open} />
      </div>
    </div>
  );
}
