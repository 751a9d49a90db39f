import { useEffect, useState } from "preact/hooks";
import type { QualityAnswer, QualityDay, RejectSample, RejectsAnswer } from "../../../api-types.js";
import type { ApiError } from "../shared/api.js";
import { getJson, queryString } from "../shared/api.js";
import { formatValue } from "../shared/format.js";
import { ErrorBox } from "../shared/error-box.js";

/** Records rejected per day by reason, from the transform's run reports; samples from errors/. */
export function QualityPanel() {
  const [days, setDays] = useState<QualityDay[] | undefined>();
  const [error, setError] = useState<ApiError | undefined>();
  const [sample, setSample] = useState<
    { day: string; reason: string; rejects?: RejectSample[] } | undefined
  >();
  useEffect(() => {
    getJson<QualityAnswer>("/api/quality").then(
      (answer) => setDays(answer.days),
      (e: unknown) => setError(e as ApiError),
    );
  }, []);
  const show = (day: string, reason: string) => {
    setSample({ day, reason });
    getJson<RejectsAnswer>(`/api/quality/rejects${queryString({ day, reason, limit: "20" })}`).then(
      (answer) => setSample({ day, reason, rejects: answer.rejects }),
      (e: unknown) => setError(e as ApiError),
    );
  };
  return (
    <section class="panel quality" aria-labelledby="quality-title" data-testid="panel-quality">
      <h2 id="quality-title">Data quality</h2>
      <p class="note">
        From the transform's run reports (by the UTC day the transform ran) and errors/, not from SQL.
      </p>
      {error && <ErrorBox error={error} />}
      {days?.length === 0 && <p class="note">No transform runs yet.</p>}
      {days && days.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col" class="run-day">
                Run day
              </th>
              <th scope="col" class="num">
                Read
              </th>
              <th scope="col" class="num">
                Rejected
              </th>
            </tr>
          </thead>
          <tbody>
            {days.map((d) => {
              const reasons = Object.entries(d.byReason);
              // The reasons on a row of their own, the width of the table: names stay whole at 390 px too.
              return (
                <>
                  <tr class={reasons.length ? "has-reasons" : ""}>
                    <td class="run-day">{d.day}</td>
                    <td class="num">{formatValue(d.read, "count")}</td>
                    <td class="num">{formatValue(d.rejected, "count")}</td>
                  </tr>
                  {reasons.length > 0 && (
                    <tr class="reasons-row">
                      <td colSpan={3} class="reasons" data-testid="quality-reasons">
                        {reasons.map(([reason, n]) => (
                          <>
                            <button
                              type="button"
                              class="link"
                              onClick={() => show(d.day, reason)}
                              title="Show sample rejected lines"
                            >
                              {reason} {formatValue(n, "count")}
                            </button>{" "}
                          </>
                        ))}
                      </td>
                    </tr>
                  )}
                </>
              );
            })}
          </tbody>
        </table>
      )}
      {sample && (
        <div data-testid="reject-samples">
          <h3>
            {sample.reason} on {sample.day}{" "}
            <button type="button" onClick={() => setSample(undefined)}>
              Close
            </button>
          </h3>
          {!sample.rejects && <p class="loading">Loading…</p>}
          {sample.rejects?.map((r) => (
            <div>
              <div class="note">
                {r.source}:{r.line ?? "?"} · {r.field ?? ""} {r.message}
              </div>
              <code class="mono clip">{r.raw}</code>
            </div>
          ))}
        </div>
      )}
    </section>
  );
}
