import { useMemo, useState } from "preact/hooks";
import type { QueryAnswer } from "../../../api-types.js";
import { formatCell } from "../shared/format.js";

/** Rows drawn at once; the CSV download has all of them. */
const shownRows = 1000;
const numeric = /^(tinyint|smallint|integer|int|bigint|real|double|decimal)/;

/** The result as a table: click a header to sort, "Copy" puts the rows on the clipboard as TSV. */
export function ResultGrid({ answer }: { answer: QueryAnswer }) {
  const [sort, setSort] = useState<{ column: number; descending: boolean } | undefined>();
  const [copied, setCopied] = useState("");
  const rows = useMemo(() => {
    if (!sort) return answer.rows;
    const factor = sort.descending ? -1 : 1;
    return [...answer.rows].sort((a, b) => {
      const x = a[sort.column];
      const y = b[sort.column];
      if (x === y) return 0;
      if (x === null || x === undefined) return 1;
      if (y === null || y === undefined) return -1;
      return (x < y ? -1 : 1) * factor;
    });
  }, [answer, sort]);
  const copy = async () => {
    const text = [
      answer.columns.map((c) => c.name),
      ...rows.map((r) => r.map((v) => (v === null ? "" : formatCell(v)))),
    ]
      .map((cells) => cells.join("\t"))
      .join("\n");
    try {
      await navigator.clipboard.writeText(text);
      setCopied(`copied ${rows.length} rows`);
    } catch {
      setCopied("the browser refused the clipboard; select the cells instead");
    }
  };
  return (
    <div>
      <div class="toolbar">
        <span data-testid="result-count">
          {answer.rows.length} row{answer.rows.length === 1 ? "" : "s"}
          {answer.rows.length > shownRows ? ` (first ${shownRows} shown)` : ""}
        </span>
        <span class="note">{answer.stats.durationMs} ms</span>
        <button type="button" onClick={() => void copy()}>
          Copy as TSV
        </button>
        <a href={`/api/results/${answer.stats.queryId}.csv`} download data-testid="download-csv">
          Download CSV
        </a>
        <span class="note" role="status">
          {copied}
        </span>
      </div>
      <div class="results">
        <table data-testid="result-grid">
          <thead>
            <tr>
              {answer.columns.map((c, i) => (
                <th
                  scope="col"
                  class={numeric.test(c.type) ? "num" : ""}
                  aria-sort={sort?.column === i ? (sort.descending ? "descending" : "ascending") : "none"}
                >
                  <button
                    type="button"
                    onClick={() =>
                      setSort({ column: i, descending: sort?.column === i ? !sort.descending : false })
                    }
                    title={c.type}
                  >
                    {c.name} {sort?.column === i ? (sort.descending ? "▼" : "▲") : ""}
                  </button>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.slice(0, shownRows).map((row) => (
              <tr>
                {row.map((v, i) => (
                  <td class={numeric.test(answer.columns[i]?.type ?? "") ? "num" : ""} title={formatCell(v)}>
                    {formatCell(v)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
