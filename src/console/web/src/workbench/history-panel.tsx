import type { HistoryEntry } from "../../../api-types.js";
import { formatBytes } from "../shared/format.js";

/** The persisted query history: status, time, duration, bytes scanned, rows; click to reopen a query. */
export function HistoryPanel({
  entries,
  onOpen,
}: {
  entries: readonly HistoryEntry[];
  onOpen: (sql: string) => void;
}) {
  return (
    <section class="panel" aria-labelledby="history-title" data-testid="history">
      <h2 id="history-title">Query history</h2>
      {entries.length === 0 && <p class="note">No queries yet.</p>}
      {entries.length > 0 && (
        <div class="results">
          <table>
            <thead>
              <tr>
                <th scope="col">Status</th>
                <th scope="col">Started (UTC)</th>
                <th scope="col">Query</th>
                <th scope="col" class="num">
                  Duration
                </th>
                <th scope="col" class="num">
                  Scanned
                </th>
                <th scope="col" class="num">
                  Rows
                </th>
                <th scope="col">Result</th>
              </tr>
            </thead>
            <tbody>
              {entries.slice(0, 100).map((e) => (
                <tr data-testid="history-entry">
                  <td>
                    <span class={`badge ${e.status}`}>{e.status}</span>
                    {e.errorCode && <div class="note">{e.errorCode}</div>}
                  </td>
                  <td class="mono">{e.startedAt.slice(0, 19).replace("T", " ")}</td>
                  <td>
                    <button
                      type="button"
                      class="link mono"
                      onClick={() => onOpen(e.sql)}
                      title="Open in the editor"
                    >
                      {e.sql.length > 80 ? `${e.sql.slice(0, 80)}…` : e.sql}
                    </button>
                  </td>
                  <td class="num">{e.durationMs === null ? "–" : `${e.durationMs} ms`}</td>
                  <td class="num">{e.status === "succeeded" ? formatBytes(e.bytesScanned) : "–"}</td>
                  <td class="num">{e.rows ?? "–"}</td>
                  <td>
                    {e.resultKey ? (
                      <a href={`/api/results/${e.id}.csv`} download>
                        CSV
                      </a>
                    ) : (
                      ""
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
