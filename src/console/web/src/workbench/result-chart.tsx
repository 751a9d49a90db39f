import { useMemo, useState } from "preact/hooks";
import type { QueryAnswer } from "../../../api-types.js";
import { Chart } from "../shared/chart.js";

const numeric = /^(tinyint|smallint|integer|int|bigint|real|double|decimal)/;
const temporal = /^(date|timestamp)/;
/** Bars of a categorical chart at most (the largest, then one for the rest). */
const maxCategories = 20;

/** A line or bar chart of a result: pick the x column and one number column. */
export function ResultChart({ answer }: { answer: QueryAnswer }) {
  const numbers = answer.columns.map((c, i) => ({ ...c, i })).filter((c) => numeric.test(c.type));
  const [kind, setKind] = useState<"line" | "bar">("bar");
  const [xColumn, setX] = useState(0);
  const [yColumn, setY] = useState(numbers.find((c) => c.i !== 0)?.i ?? numbers[0]?.i ?? -1);
  const chart = useMemo(() => {
    if (yColumn < 0) return undefined;
    const type = answer.columns[xColumn]?.type ?? "";
    const time = temporal.test(type);
    const isNumber = numeric.test(type);
    const rows = answer.rows.slice(0, 2000);
    const x = rows.map((r, i) => {
      const v = r[xColumn];
      if (time)
        return (
          Date.parse(`${String(v).replace(" ", "T")}${String(v).length <= 10 ? "T00:00:00" : ""}Z`) / 1000
        );
      return isNumber ? Number(v) : i;
    });
    const y = (i: number) => (rows[i]![yColumn] === null ? null : Number(rows[i]![yColumn]));
    const label = answer.columns[yColumn]!.name;
    if (!time && !isNumber && rows.length > maxCategories) {
      // Many categories: the largest ones by y, the rest summed as one bar, so every label can be read.
      const byY = rows.map((_, i) => i).sort((a, b) => (y(b) ?? 0) - (y(a) ?? 0));
      const top = byY.slice(0, maxCategories - 1);
      const rest = byY.slice(maxCategories - 1);
      return {
        time,
        x: [...top, -1].map((_, i) => i),
        categories: [...top.map((i) => String(rows[i]![xColumn])), `other (${rest.length})`],
        series: [{ label, values: [...top.map(y), rest.reduce((sum, i) => sum + (y(i) ?? 0), 0)] }],
        note: `The ${top.length} largest of ${rows.length} by ${label}; the other ${rest.length} summed as one bar.`,
      };
    }
    const order = x.map((_, i) => i).sort((a, b) => x[a]! - x[b]!);
    return {
      time,
      x: order.map((i) => x[i]!),
      categories: time || isNumber ? undefined : order.map((i) => String(rows[i]![xColumn])),
      series: [{ label, values: order.map(y) }],
      note: undefined,
    };
  }, [answer, xColumn, yColumn]);
  if (numbers.length === 0) return <p class="note">No number column to chart.</p>;
  return (
    <div>
      <div class="toolbar">
        <label>
          Chart
          <select value={kind} onChange={(e) => setKind(e.currentTarget.value as "line" | "bar")}>
            <option value="bar">Bar</option>
            <option value="line">Line</option>
          </select>
        </label>
        <label>
          X
          <select value={xColumn} onChange={(e) => setX(Number(e.currentTarget.value))}>
            {answer.columns.map((c, i) => (
              <option value={i}>{c.name}</option>
            ))}
          </select>
        </label>
        <label>
          Y
          <select value={yColumn} onChange={(e) => setY(Number(e.currentTarget.value))}>
            {numbers.map((c) => (
              <option value={c.i}>{c.name}</option>
            ))}
          </select>
        </label>
      </div>
      {chart?.note && (
        <p class="note" data-testid="chart-note">
          {chart.note}
        </p>
      )}
      {chart && (
        <Chart
          x={chart.x}
          series={chart.series}
          kind={kind}
          time={chart.time}
          categories={chart.categories}
          label={`${chart.series[0]!.label} by ${answer.columns[xColumn]?.name}`}
        />
      )}
    </div>
  );
}
