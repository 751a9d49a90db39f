import type { ApiError } from "./api.js";

/**
 * An API error as the console shows it: the code, the message and the documented fix. A message of several
 * lines (DuckDB's, with an excerpt of the SQL and a caret under the place) keeps its lines, in a fixed-width
 * font so the caret stands under what it points at.
 */
export function ErrorBox({ error }: { error: ApiError }) {
  const [first, ...rest] = error.message.split("\n");
  return (
    <div class="error" role="alert" data-testid="error">
      <div>
        <code data-testid="error-code">{error.code}</code>{" "}
        <span data-testid="error-message">
          {first}
          {rest.length > 0 && <pre class="error-detail">{rest.join("\n")}</pre>}
        </span>
      </div>
      {error.fix && (
        <div>
          <strong>Fix:</strong> <span data-testid="error-fix">{error.fix}</span>
        </div>
      )}
    </div>
  );
}
