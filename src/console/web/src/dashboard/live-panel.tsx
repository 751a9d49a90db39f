import { useEffect, useState } from "preact/hooks";
import type { LiveAnswer } from "../../../api-types.js";
import type { ApiError } from "../shared/api.js";
import { getJson } from "../shared/api.js";
import { ErrorBox } from "../shared/error-box.js";

const refreshMs = 3000;

/** The last events the collector accepted or refused, refreshed every few seconds (pausable). */
export function LivePanel() {
  const [answer, setAnswer] = useState<LiveAnswer | undefined>();
  const [error, setError] = useState<ApiError | undefined>();
  const [paused, setPaused] = useState(false);
  useEffect(() => {
    if (paused) return;
    let stopped = false;
    const load = () =>
      getJson<LiveAnswer>("/api/live?limit=12").then(
        (a) => {
          if (!stopped) {
            setAnswer(a);
            setError(undefined);
          }
        },
        (e: unknown) => !stopped && setError(e as ApiError),
      );
    void load();
    const timer = setInterval(load, refreshMs);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [paused]);
  return (
    <section class="panel" aria-labelledby="live-title" data-testid="panel-live">
      <h2 id="live-title">
        Live events{" "}
        <button type="button" onClick={() => setPaused(!paused)} aria-pressed={paused}>
          {paused ? "Resume" : "Pause"}
        </button>
      </h2>
      <p class="note">
        From {answer?.source ?? "…"}; every {refreshMs / 1000} s.
      </p>
      {error && <ErrorBox error={error} />}
      {answer?.events.length === 0 && <p class="note">No events yet.</p>}
      {answer && answer.events.length > 0 && (
        <table class="fixed">
          <thead>
            <tr>
              <th scope="col" style={{ width: "10em" }}>
                Received (UTC)
              </th>
              <th scope="col" style={{ width: "8em" }}>
                State
              </th>
              <th scope="col">Event</th>
            </tr>
          </thead>
          <tbody>
            {answer.events.map((e) => (
              <tr>
                <td class="mono">{e.receivedAt.slice(5, 19).replace("T", " ")}</td>
                <td>
                  <span class={`badge ${e.state}`}>{e.state}</span>
                  {e.reason && (
                    <div class="note" title={e.message}>
                      {e.reason}
                    </div>
                  )}
                </td>
                <td>
                  <code class="mono clip" title={e.text}>
                    {e.text}
                  </code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
