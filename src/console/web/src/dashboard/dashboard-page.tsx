import { useEffect, useMemo, useState } from "preact/hooks";
import type { FilterName, OverviewAnswer, PanelAnswer, RangeAnswer } from "../../../api-types.js";
import { ErrorBox } from "../shared/error-box.js";
import type { Loaded } from "../shared/loaded.js";
import { ApiError, getJson, queryString } from "../shared/api.js";
import { BreakdownTable } from "./breakdown-table.js";
import { FunnelPanel } from "./funnel-panel.js";
import { LivePanel } from "./live-panel.js";
import { QualityPanel } from "./quality-panel.js";
import { Tiles } from "./tiles.js";
import { TimeseriesPanel } from "./timeseries-panel.js";

const filterLabels: Record<FilterName, string> = {
  event_type: "Event type",
  device: "Device",
  referrer: "Source",
  page: "Page",
};
const panelNames = [
  "timeseries",
  "pages",
  "sources",
  "devices",
  "event-types",
  "categories",
  "funnel",
] as const;
type PanelName = (typeof panelNames)[number];

const dayMs = 86_400_000;
const shift = (day: string, days: number) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + days * dayMs).toISOString().slice(0, 10);

const isDay = (day: string) =>
  /^\d{4}-\d{2}-\d{2}$/.test(day) && !Number.isNaN(Date.parse(`${day}T00:00:00Z`));

/** Why a range cannot be shown, in the picker's words, or undefined when it can. */
function rangeProblem(from: string | undefined, to: string | undefined): string | undefined {
  if (from === undefined || to === undefined) return undefined;
  if (!isDay(from)) return `From "${from}" is not a date (YYYY-MM-DD).`;
  if (!isDay(to)) return `To "${to}" is not a date (YYYY-MM-DD).`;
  if (to < from) return `To (${to}) is before From (${from}): pick a To on or after From.`;
  return undefined;
}

function toError(error: unknown): ApiError {
  return error instanceof ApiError ? error : new ApiError("CS_ERR_INTERNAL", String(error), "", 0);
}

/** Sets the dashboard's state in the URL hash; the page re-renders from it. */
function navigate(params: URLSearchParams, patch: Record<string, string | undefined>) {
  // Not ready any more from this moment (the effect that fetches runs only after the next paint).
  document.documentElement.dataset.dashboard = "loading";
  const next = new URLSearchParams(params);
  for (const [k, v] of Object.entries(patch)) {
    if (v) next.set(k, v);
    else next.delete(k);
  }
  location.hash = `#/?${next.toString()}`;
}

/**
 * The dashboard: a range of UTC event dates (default the last 7 days with data, or fewer when the data starts later) compared with the
 * period before, optional filters, the tiles and panels (each its own request, all in parallel), the
 * data-quality and live panels. `data-dashboard="ready"` on <html> marks the moment every tile and chart
 * is drawn (tests and `npm run bench` wait for it).
 */
export function DashboardPage({ params }: { params: URLSearchParams }) {
  const [info, setInfo] = useState<Loaded<RangeAnswer>>({ state: "loading" });
  useEffect(() => {
    getJson<RangeAnswer>("/api/range").then(
      (data) => setInfo({ state: "ok", data }),
      (error: unknown) => setInfo({ state: "error", error: toError(error) }),
    );
  }, []);
  const range = info.state === "ok" ? info.data : undefined;
  const from = params.get("from") ?? range?.default?.from;
  const to = params.get("to") ?? range?.default?.to;
  const filters = useMemo(
    () =>
      Object.fromEntries(Object.keys(filterLabels).map((k) => [k, params.get(k) ?? ""])) as Record<
        FilterName,
        string
      >,
    [params],
  );
  const [typed, setTyped] = useState<string | undefined>();
  // A range the server would refuse (a hand-edited or shared address, a date typed past the picker's
  // min/max) is said once, beside the picker, and nothing is asked of the server.
  useEffect(() => setTyped(undefined), [from, to]);
  const problem = typed ?? rangeProblem(from, to);
  const key = from && to && !problem ? queryString({ from, to, ...filters }) : undefined;

  const [overview, setOverview] = useState<Loaded<OverviewAnswer>>({ state: "loading" });
  const [panels, setPanels] = useState<Partial<Record<PanelName, Loaded<PanelAnswer>>>>({});
  useEffect(() => {
    if (!key) return;
    document.documentElement.dataset.dashboard = "loading";
    const controller = new AbortController();
    setOverview({ state: "loading" });
    setPanels({});
    const tiles = getJson<OverviewAnswer>(`/api/overview${key}`, controller.signal).then(
      (data) => setOverview({ state: "ok", data }),
      (error: unknown) => setOverview({ state: "error", error: toError(error) }),
    );
    const rest = panelNames.map((name) =>
      getJson<PanelAnswer>(`/api/panel/${name}${key}`, controller.signal).then(
        (data) => setPanels((p) => ({ ...p, [name]: { state: "ok", data } })),
        (error: unknown) => setPanels((p) => ({ ...p, [name]: { state: "error", error: toError(error) } })),
      ),
    );
    void Promise.all([tiles, ...rest]).then(() => {
      if (controller.signal.aborted) return;
      // After the browser has painted the last answers.
      // After the next paint and the effects it runs (the charts draw in effects), as Preact schedules them.
      requestAnimationFrame(() =>
        setTimeout(() => {
          document.documentElement.dataset.dashboard = "ready";
          performance.mark("dashboard-ready");
        }),
      );
    });
    return () => controller.abort();
  }, [key]);

  if (info.state === "error") return <ErrorBox error={info.error} />;
  if (info.state === "loading")
    return (
      <p class="loading" role="status">
        Loading…
      </p>
    );

  const setRange = (f: string, t: string) => {
    const refused = f && t ? rangeProblem(f, t) : "Pick both dates.";
    setTyped(refused);
    if (!refused) navigate(params, { from: f, to: t });
  };
  const setFilter = (name: FilterName, value: string) => navigate(params, { [name]: value });
  const panel = (name: PanelName) => panels[name] ?? { state: "loading" as const };
  const last = range?.last;

  return (
    <div class="row-gap">
      <div class="toolbar" role="group" aria-label="Date range and filters">
        <label>
          From (UTC)
          <input
            type="date"
            value={from}
            min={range?.first ?? undefined}
            max={to}
            onChange={(e) => setRange(e.currentTarget.value, to!)}
          />
        </label>
        <label>
          To (UTC)
          <input
            type="date"
            value={to}
            min={from}
            max={last ?? undefined}
            onChange={(e) => setRange(from!, e.currentTarget.value)}
          />
        </label>
        {last && (
          <div class="chips" role="group" aria-label="Preset ranges">
            <button type="button" onClick={() => setRange(last, last)}>
              Last day
            </button>
            <button type="button" onClick={() => setRange(shift(last, -6), last)}>
              Last 7 days
            </button>
            <button type="button" onClick={() => setRange(shift(last, -29), last)}>
              Last 30 days
            </button>
          </div>
        )}
        {problem && (
          <p class="inline-error" role="alert" data-testid="range-error">
            {problem}
          </p>
        )}
        <span class="note">
          Event dates in UTC, inclusive; compared with the{" "}
          {overview.state === "ok"
            ? `period before (${overview.data.previous_range.from} – ${overview.data.previous_range.to}${overview.data.previous.sessions ? "" : ", which has no data"})`
            : "period before"}
          .
        </span>
      </div>
      {Object.values(filters).some(Boolean) && (
        <div class="chips" role="group" aria-label="Active filters">
          {(Object.keys(filterLabels) as FilterName[])
            .filter((k) => filters[k])
            .map((k) => (
              <button
                type="button"
                class="chip"
                data-filter={k}
                onClick={() => setFilter(k, "")}
                aria-label={`Remove filter ${filterLabels[k]} ${filters[k]}`}
              >
                {filterLabels[k]}: {filters[k]} ✕
              </button>
            ))}
          <span class="note">
            Sessions starting in the range whose device or source is the one chosen, or with a matching event;
            figures over those sessions.
          </span>
        </div>
      )}
      {!range?.last && (
        <p class="note">
          No catalogued data yet: run <code>clickstream transform</code> and <code>clickstream crawl</code>.
        </p>
      )}
      {range?.last && !problem && (
        <>
          <Tiles overview={overview} />
          <div class="grid">
            <TimeseriesPanel loaded={panel("timeseries")} from={from!} to={to!} />
            <BreakdownTable
              title="Top pages"
              loaded={panel("pages")}
              label="page"
              values={["events", "pageviews"]}
              filter="page"
              onFilter={setFilter}
            />
            <BreakdownTable
              title="Sources"
              loaded={panel("sources")}
              label="source"
              values={["sessions"]}
              filter="referrer"
              onFilter={setFilter}
              note="Referrer of each session's first event; same-site referrers left out."
            />
            <BreakdownTable
              title="Devices"
              loaded={panel("devices")}
              label="device"
              values={["sessions"]}
              filter="device"
              onFilter={setFilter}
            />
            <BreakdownTable
              title="Event types"
              loaded={panel("event-types")}
              label="event_type"
              values={["events", "share"]}
              filter="event_type"
              onFilter={setFilter}
            />
            <BreakdownTable
              title="Product categories"
              loaded={panel("categories")}
              label="category"
              values={["views", "purchases", "revenue"]}
              note="Events that carry a product_category. A purchase without product fields (one order event) counts in the Revenue tile, not here."
            />
            <FunnelPanel loaded={panel("funnel")} />
          </div>
        </>
      )}
      <div class="grid">
        <QualityPanel />
        <LivePanel />
      </div>
    </div>
  );
}
