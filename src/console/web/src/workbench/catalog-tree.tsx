import type { CatalogAnswer } from "../../../api-types.js";
import { formatBytes, formatValue } from "../shared/format.js";

/** Databases, tables, columns with types and partitions, from the crawler's catalog. */
export function CatalogTree({ catalog, onPick }: { catalog: CatalogAnswer; onPick: (sql: string) => void }) {
  return (
    <nav class="panel catalog" aria-label="Catalog" data-testid="catalog">
      <h2>Catalog</h2>
      {catalog.databases.length === 0 && <p class="note">Empty: run clickstream crawl.</p>}
      {catalog.databases.map((db) => (
        <details open={db.name === catalog.defaultDatabase}>
          <summary>
            <strong>{db.name}</strong>
          </summary>
          <ul>
            {db.tables.map((t) => (
              <li>
                <details open>
                  <summary>
                    {t.name}{" "}
                    <button
                      type="button"
                      class="link"
                      onClick={() => onPick(`SELECT *\nFROM ${db.name}.${t.name}\nLIMIT 10`)}
                    >
                      preview
                    </button>
                  </summary>
                  <ul>
                    {[...t.columns, ...t.partitionKeys].map((c, i) => (
                      <li>
                        {c.name}{" "}
                        <span class="type">
                          {c.type}
                          {i >= t.columns.length ? " (partition)" : ""}
                        </span>
                      </li>
                    ))}
                  </ul>
                  <details>
                    <summary>{t.partitions.length} partitions</summary>
                    <ul>
                      {t.partitions.map((p) => (
                        <li>
                          <span class="mono">{p.name}</span>{" "}
                          <span class="type">
                            {formatValue(p.rowCount, "count")} rows, {p.fileCount} files,{" "}
                            {formatBytes(p.sizeBytes)}
                          </span>
                        </li>
                      ))}
                    </ul>
                  </details>
                </details>
              </li>
            ))}
          </ul>
        </details>
      ))}
    </nav>
  );
}
