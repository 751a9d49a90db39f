import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

interface ChartSeries {
  label: string;
  values: (number | null)[];
}

export interface ChartProps {
  /** x values: unix seconds when `time`, otherwise 0…n-1 with `categories` as labels. */
  x: number[];
  series: ChartSeries[];
  kind: "line" | "bar";
  time?: boolean;
  /** With `time`: the series has one point per day, so ticks and the legend name days, not hours. */
  daily?: boolean;
  categories?: string[];
  label: string;
  height?: number;
}

const daySeconds = 86_400;
/** Tick spacings of a daily axis: whole days, weeks, months. */
const dayIncrements = [1, 2, 7, 14, 28, 56, 91, 182, 364].map((d) => d * daySeconds);
const dayLabel = new Intl.DateTimeFormat("en-US", { month: "short", day: "numeric", timeZone: "UTC" });
const formatDay = (t: number | null): string => (t == null ? "" : dayLabel.format(new Date(t * 1000)));

const palette = ["#2563eb", "#d97706", "#059669", "#db2777", "#7c3aed", "#0891b2"];

/**
 * A uPlot chart that follows its container's width. Times are shown in UTC (the dashboard's ranges are
 * UTC days). The element carries an aria-label; the numbers are in the tables beside it.
 */
export function Chart(props: ChartProps) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const bars = uPlot.paths.bars?.({ size: [0.6, 64] });
    const options: uPlot.Options = {
      width: Math.max(element.clientWidth, 200),
      height: props.height ?? 220,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
      scales: {
        x: {
          time: props.time ?? false,
          // Bars are centred on their x: leave half a step on both sides so the first and last show whole.
          ...(props.kind === "bar"
            ? { range: (_u: uPlot, min: number, max: number) => padded(min, max, props.x.length) }
            : {}),
        },
        // Counts read against zero.
        y: { range: (_u: uPlot, min: number, max: number) => [Math.min(0, min), max > 0 ? max * 1.05 : 1] },
      },
      legend: { show: true },
      axes: [
        {
          stroke: "currentColor",
          grid: { stroke: "rgba(127,127,127,0.15)" },
          ...(props.categories ? categoryAxis(props.categories, element) : {}),
          ...(props.time && props.daily
            ? {
                incrs: dayIncrements,
                values: (_u: uPlot, ticks: number[]) => {
                  const labels = ticks.map(formatDay);
                  // The ticks are drawn on a canvas: their labels are kept on the element too, for tests.
                  element.dataset.xTicks = labels.join("|");
                  return labels;
                },
              }
            : {}),
        },
        { stroke: "currentColor", grid: { stroke: "rgba(127,127,127,0.15)" }, size: 60 },
      ],
      series: [
        {
          label: props.time ? "UTC" : "x",
          ...(props.time && props.daily ? { value: (_u: uPlot, t: number | null) => formatDay(t) } : {}),
        },
        ...props.series.map((s, i) => ({
          label: s.label,
          stroke: palette[i % palette.length],
          fill: props.kind === "bar" ? `${palette[i % palette.length]}99` : undefined,
          width: props.kind === "bar" ? 0 : 2,
          ...(props.kind === "bar" && bars ? { paths: bars, points: { show: false } } : {}),
        })),
      ],
    };
    const data = [props.x, ...props.series.map((s) => s.values)] as uPlot.AlignedData;
    const chart = new uPlot(options, data, element);
    const resize = new ResizeObserver(() =>
      chart.setSize({ width: Math.max(element.clientWidth, 200), height: options.height }),
    );
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }, [props.x, props.series, props.kind, props.time, props.daily, props.categories, props.height]);
  return <div class="chart" ref={host} role="img" aria-label={props.label} />;
}

/** Longest category label drawn, in characters (longer ones end in …; the table has them whole). */
const labelChars = 14;

/**
 * A categorical x axis whose labels never overlap: ticks only at whole categories, spaced by the longest
 * label (uPlot then skips categories when they do not fit, keeping every label it draws readable).
 */
function categoryAxis(categories: string[], element: HTMLElement): Partial<uPlot.Axis> {
  const short = categories.map((c) => (c.length > labelChars ? `${c.slice(0, labelChars - 1)}…` : c));
  const longest = Math.max(1, ...short.map((c) => c.length));
  return {
    // About 7 px a character at the axis font, plus a gap.
    space: longest * 7 + 12,
    incrs: [1, 2, 3, 4, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000],
    values: (_u: uPlot, ticks: number[]) => {
      const labels = ticks.map((t) => (Number.isInteger(t) ? (short[t] ?? "") : ""));
      element.dataset.xTicks = labels.join("|");
      element.dataset.tickSpace = String(longest * 7 + 12);
      return labels;
    },
  };
}

function padded(min: number, max: number, points: number): [number, number] {
  const step = points > 1 ? (max - min) / (points - 1) : 1;
  return [min - step / 2, max + step / 2];
}
