import { formatValue } from "../shared/format.js";
import type { FilterName, PanelAnswer } from "../../../api-types.js";
import { ErrorBox } from "../shared/error-box.js";
import type { Loaded } from "../shared/loaded.js";

interface Props {
  title: string;
  loaded: Loaded<PanelAnswer>;
  /** Column holding each row's name. */
  label: string;
  /** Number columns, the first one drawn as a bar. */
  values: string[];
  /** When set, a row's name filters the dashboard on it. */
  filter?: FilterName;
  onFilter?: (name: FilterName, value: string) => void;
  note?: string;
}

const heading = (column: string) => column.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());

/** A ranked list (pages, sources, devices, …) with a bar for the first figure. */
export function BreakdownTable(props: Props) {
  const { loaded } = props;
  const slug = props.title.toLowerCase().replace(/\W+/g, "-");
  return (
    <section class="panel" aria-labelledby={`${slug}-title`} data-testid={`panel-${slug}`}>
      <h2 id={`${slug}-title`}>{props.title}</h2>
      {props.note && <p class="note">{props.note}</p>}
      {loaded.state === "loading" && <p class="loading">Loading…</p>}
      {loaded.state === "error" && <ErrorBox error={loaded.error} />}
      {loaded.state === "ok" && loaded.data.rows.length === 0 && <p class="note">No events in this range.</p>}
      {loaded.state === "ok" && loaded.data.rows.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">{heading(props.label)}</th>
              {props.values.map((v) => (
                <th scope="col" class="num">
                  {heading(v)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {(() => {
              const max = Math.max(...loaded.data.rows.map((r) => Number(r[props.values[0]!] ?? 0)), 1);
              return loaded.data.rows.map((row) => {
                const name = String(row[props.label] ?? "");
                const share = (Number(row[props.values[0]!] ?? 0) / max) * 100;
                return (
                  <tr>
                    <td class="bar-cell">
                      <span class="bar" style={{ width: `${share}%` }} />
                      {props.filter && props.onFilter && !name.startsWith("(") ? (
                        <button
                          type="button"
                          class="link"
                          onClick={() => props.onFilter!(props.filter!, name)}
                          title={`Filter: ${name}`}
                        >
                          {name}
                        </button>
                      ) : (
                        <span>{name}</span>
                      )}
                    </td>
                    {props.values.map((v) => (
                      <td class="num" data-column={v}>
                        {formatValue(
                          Number(row[v] ?? 0),
                          v === "revenue" ? "money" : v === "share" ? "rate" : "count",
                        )}
                      </td>
                    ))}
                  </tr>
                );
              });
            })()}
          </tbody>
        </table>
      )}
    </section>
  );
}
