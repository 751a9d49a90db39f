import { useEffect, useState } from "preact/hooks";
import type { LiveAnswer } from "../../../api-types.js";
import type { ApiError } from "../shared/api.js";
import { getJson } from "../shared/api.js";
import { ErrorBox } from "../shared/error-box.js";

const refreshMs = 3000;

interface EventColumns {
  type: string;
  /** The path of page_url (the whole value when it is no URL). */
  page: string;
  /** HH:MM:SS of the event's own timestamp, UTC. */
  time: string;
  timestamp: string;
}

/** The columns a row shows, from the record's JSON; undefined for a record that is no JSON object. */
function parseEvent(text: string): EventColumns | undefined {
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!record || typeof record !== "object" || Array.isArray(record)) return undefined;
  const field = (name: string) => {
    const value = (record as Record<string, unknown>)[name];
    return typeof value === "string" ? value : value == null ? "" : JSON.stringify(value);
  };
  const url = field("page_url");
  let page = url;
  try {
    page = url ? new URL(url).pathname : "";
  } catch {
    // not a URL: shown as sent
  }
  const timestamp = field("timestamp");
  const time = /T(\d{2}:\d{2}:\d{2})/.exec(timestamp)?.[1] ?? timestamp;
  return { type: field("event_type") || "–", page: page || "–", time: time || "–", timestamp };
}

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
        <table class="fixed live">
          <thead>
            <tr>
              <th scope="col" class="live-received">
                Received (UTC)
              </th>
              <th scope="col" class="live-state">
                State
              </th>
              <th scope="col" class="live-type">
                Type
              </th>
              <th scope="col">Page</th>
              <th scope="col" class="live-time">
                Event time
              </th>
            </tr>
          </thead>
          <tbody>
            {answer.events.map((e) => {
              const event = parseEvent(e.text);
              // The tracker sends a batch again on pagehide when it cannot tell whether it arrived: the
              // transform keeps the first copy and rejects the others as `duplicate`. Not an error.
              const resend = e.state === "rejected" && e.reason === "duplicate";
              return (
                <tr data-testid="live-row" data-state={resend ? "resend" : e.state}>
                  <td class="mono nowrap live-received" title={e.receivedAt}>
                    {e.receivedAt.slice(11, 19)}
                  </td>
                  <td>
                    <span class={`badge ${resend ? "resend" : e.state}`} title={e.message}>
                      {resend ? "resend" : e.state}
                    </span>
                    {resend ? (
                      <div class="note">caught by dedup</div>
                    ) : (
                      e.reason && (
                        <div class="note" title={e.message}>
                          {e.reason}
                        </div>
                      )
                    )}
                  </td>
                  {event ? (
                    <>
                      <td class="clip" data-column="type" title={e.text}>
                        {event.type}
                      </td>
                      <td class="clip" data-column="page" title={event.page}>
                        {event.page}
                      </td>
                      <td class="mono nowrap" data-column="time" title={event.timestamp}>
                        {event.time}
                      </td>
                    </>
                  ) : (
                    <td colSpan={3}>
                      <code class="mono clip" title={e.text}>
                        {e.text}
                      </code>
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
