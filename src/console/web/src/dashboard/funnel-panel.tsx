import { formatValue } from "../shared/format.js";
import type { PanelAnswer } from "../../../api-types.js";
import { ErrorBox } from "../shared/error-box.js";
import type { Loaded } from "../shared/loaded.js";

/** product_view → add_to_cart → checkout_start → purchase, in sessions, with the drop-off at each step. */
export function FunnelPanel({ loaded }: { loaded: Loaded<PanelAnswer> }) {
  return (
    <section class="panel" aria-labelledby="funnel-title" data-testid="panel-funnel">
      <h2 id="funnel-title">Product funnel</h2>
      {loaded.state === "loading" && <p class="loading">Loading…</p>}
      {loaded.state === "error" && <ErrorBox error={loaded.error} />}
      {loaded.state === "ok" && (
        <table>
          <thead>
            <tr>
              <th scope="col">Step</th>
              <th scope="col" class="num">
                Sessions
              </th>
              <th scope="col" class="num">
                Of viewers
              </th>
              <th scope="col" class="num">
                Drop-off
              </th>
            </tr>
          </thead>
          <tbody>
            {loaded.data.rows.map((row) => {
              const first = Number(loaded.data.rows[0]?.sessions ?? 0);
              const sessions = Number(row.sessions ?? 0);
              return (
                <tr>
                  <td class="bar-cell">
                    <span class="bar" style={{ width: `${first ? (sessions / first) * 100 : 0}%` }} />
                    <span>{String(row.stage)}</span>
                  </td>
                  <td class="num">{formatValue(sessions, "count")}</td>
                  <td class="num">{first ? formatValue(sessions / first, "rate") : "–"}</td>
                  <td class="num">{formatValue(row.drop_off as number | null, "rate")}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
