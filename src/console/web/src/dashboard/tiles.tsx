import { formatChange, formatValue, type Unit } from "../shared/format.js";
import { ErrorBox } from "../shared/error-box.js";
import type { Loaded } from "../shared/loaded.js";

import type { OverviewAnswer, OverviewFigures } from "../../../api-types.js";

const tiles = [
  { key: "visitors", label: "Visitors", unit: "count", better: "up" },
  { key: "sessions", label: "Sessions", unit: "count", better: "up" },
  { key: "pageviews", label: "Page views", unit: "count", better: "up" },
  { key: "bounce_rate", label: "Bounce rate", unit: "rate", better: "down" },
  { key: "avg_session_duration_s", label: "Visit duration", unit: "seconds", better: "up" },
  { key: "conversion_rate", label: "Conversion rate", unit: "rate", better: "up" },
  { key: "revenue", label: "Revenue", unit: "money", better: "up" },
] as const satisfies readonly {
  key: keyof OverviewFigures;
  label: string;
  unit: Unit;
  better: "up" | "down";
}[];

/** The headline figures with their change against the previous period (`data-value` carries the raw number). */
export function Tiles({ overview }: { overview: Loaded<OverviewAnswer> }) {
  if (overview.state === "error") return <ErrorBox error={overview.error} />;
  // A previous period without a session has nothing to compare with: say so, not "new vs 0".
  const noPrevious = overview.state === "ok" && !overview.data.previous.sessions;
  return (
    <div class="tiles" aria-live="polite" aria-busy={overview.state === "loading"}>
      {tiles.map((tile) => {
        const now = overview.state === "ok" ? overview.data[tile.key] : undefined;
        const before = overview.state === "ok" ? overview.data.previous[tile.key] : undefined;
        const direction =
          now == null || before == null || now === before
            ? ""
            : now > before === (tile.better === "up")
              ? "up"
              : "down";
        return (
          <div
            class="tile"
            data-testid={`tile-${tile.key}`}
            data-value={now ?? ""}
            data-previous={before ?? ""}
          >
            <h3>{tile.label}</h3>
            <div class="value">{overview.state === "ok" ? formatValue(now, tile.unit as Unit) : "…"}</div>
            <div class={`change ${direction}`}>
              {overview.state !== "ok" ? (
                " "
              ) : noPrevious ? (
                <span class="note" data-testid="no-previous">
                  no data in the period before
                </span>
              ) : before == null ? (
                <span class="note">no figure in the period before</span>
              ) : (
                <>
                  {formatChange(now ?? null, before, tile.unit as Unit)}{" "}
                  <span class="note vs">vs {formatValue(before, tile.unit as Unit)}</span>
                </>
              )}
            </div>
          </div>
        );
      })}
    </div>
  );
}
