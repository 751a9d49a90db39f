import { useMemo, useState } from "preact/hooks";
import type { QueryAnswer } from "../../../api-types.js";
import { Chart } from "../shared/chart.js";

const numeric = /^(tinyint|smallint|integer|int|bigint|real|double|decimal)/;
const temporal = /^(date|timestamp)/;

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
    const order = x.map((_, i) => i).sort((a, b) => x[a]! - x[b]!);
    return {
      time,
      x: order.map((i) => x[i]!),
      categories: time || isNumber ? undefined : order.map((i) => String(rows[i]![xColumn])),
      series: [
        {
          label: answer.columns[yColumn]!.name,
          values: order.map((i) => (rows[i]![yColumn] === null ? null : Number(rows[i]![yColumn]))),
        },
      ],
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
