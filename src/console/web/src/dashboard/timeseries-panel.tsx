import { useMemo } from "preact/hooks";
import { Chart } from "../shared/chart.js";
import type { PanelAnswer } from "../../../api-types.js";
import { ErrorBox } from "../shared/error-box.js";
import type { Loaded } from "../shared/loaded.js";

const hourMs = 3_600_000;

/** Every bucket of the range (hours or days, UTC) in unix seconds, so empty ones show as zero. */
function buckets(from: string, to: string, granularity: "hour" | "day"): number[] {
  const step = granularity === "hour" ? hourMs : 24 * hourMs;
  const out: number[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T23:59:59Z`); t += step)
    out.push(t / 1000);
  return out;
}

const seconds = (bucket: string) =>
  Date.parse(
    `${bucket.length <= 10 ? bucket : bucket.replace(" ", "T")}${bucket.length <= 10 ? "T00:00:00" : ""}Z`,
  ) / 1000;

export function TimeseriesPanel({
  loaded,
  from,
  to,
}: {
  loaded: Loaded<PanelAnswer>;
  from: string;
  to: string;
}) {
  const chart = useMemo(() => {
    if (loaded.state !== "ok") return undefined;
    const granularity = loaded.data.granularity ?? "day";
    const x = buckets(from, to, granularity);
    const index = new Map(x.map((t, i) => [t, i]));
    const events = x.map(() => 0);
    const visitors = x.map(() => 0);
    for (const row of loaded.data.rows) {
      const i = index.get(seconds(String(row.bucket)));
      if (i === undefined) continue;
      events[i] = Number(row.events ?? 0);
      visitors[i] = Number(row.visitors ?? 0);
    }
    return {
      granularity,
      x,
      series: [
        { label: "Events", values: events },
        { label: "Visitors", values: visitors },
      ],
    };
  }, [loaded, from, to]);
  return (
    <section class="panel wide" aria-labelledby="timeseries-title" data-testid="panel-timeseries">
      <h2 id="timeseries-title">Events and visitors per {chart?.granularity ?? "period"} (UTC)</h2>
      {loaded.state === "loading" && <p class="loading">Loading…</p>}
      {loaded.state === "error" && <ErrorBox error={loaded.error} />}
      {chart && (
        <Chart
          x={chart.x}
          series={chart.series}
          kind="line"
          time
          daily={chart.granularity === "day"}
          label={`Events and visitors per ${chart.granularity} from ${from} to ${to}`}
        />
      )}
    </section>
  );
}
