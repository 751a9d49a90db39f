import type { ApiError } from "./api.js";

/** An API error as the console shows it: the code, the message and the documented fix. */
export function ErrorBox({ error }: { error: ApiError }) {
  return (
    <div class="error" role="alert" data-testid="error">
      <div>
        <code data-testid="error-code">{error.code}</code> {error.message}
      </div>
      {error.fix && (
        <div>
          <strong>Fix:</strong> <span data-testid="error-fix">{error.fix}</span>
        </div>
      )}
    </div>
  );
}
