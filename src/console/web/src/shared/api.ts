/** An error the console's API answered with: `{code, message, fix}` (codes from docs/errors.md). */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly fix: string,
    readonly status: number,
  ) {
    super(message);
  }
}

async function answer<T>(response: Response): Promise<T> {
  const body = (await response.json().catch(() => undefined)) as
    { code?: string; message?: string; fix?: string } | undefined;
  if (!response.ok) {
    throw new ApiError(
      body?.code ?? "CS_ERR_INTERNAL",
      body?.message ?? `${response.status} ${response.statusText}`,
      body?.fix ?? "",
      response.status,
    );
  }
  return body as T;
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  return answer<T>(await fetch(path, { signal, headers: { accept: "application/json" } }));
}

export async function postJson<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
  return answer<T>(
    await fetch(path, {
      method: "POST",
      signal,
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(body),
    }),
  );
}

/** `?a=1&b=2` of the non-empty values. */
export function queryString(values: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v) params.set(k, v);
  const s = params.toString();
  return s ? `?${s}` : "";
}
