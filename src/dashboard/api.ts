// The dashboard's side of the JSON API: same-origin requests carrying the session cookie, and
// the session's CSRF value on writes. Errors keep the API's code, message and hint.
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

let csrf = '';

export function setCsrf(value: string): void {
  csrf = value;
}

async function failure(res: Response): Promise<ApiError> {
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string; hint?: string } };
    const e = body.error ?? {};
    return new ApiError(res.status, e.code ?? 'error', e.message ?? res.statusText, e.hint ?? '');
  } catch {
    return new ApiError(res.status, 'error', `${res.status} ${res.statusText}`, '');
  }
}

/** Called when the session has ended (a 401): the page shows the login form. */
export const onUnauthorized: { handler?: () => void } = {};

export async function api<T>(
  path: string,
  options: { method?: string; body?: unknown; signal?: AbortSignal } = {},
): Promise<T> {
  const method = options.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET') headers['x-berth-csrf'] = csrf;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
    ...(options.signal && { signal: options.signal }),
  });
  if (!res.ok) {
    const error = await failure(res);
    if (res.status === 401 && !path.startsWith('/v1/dashboard/')) onUnauthorized.handler?.();
    throw error;
  }
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/**
 * Follows an NDJSON stream (logs, events), one parsed record at a time, until it ends or the
 * signal aborts it.
 */
export async function follow<T>(
  path: string,
  onRecord: (record: T) => void,
  signal: AbortSignal,
): Promise<void> {
  const res = await fetch(path, {
    credentials: 'same-origin',
    signal,
    headers: { accept: 'application/x-ndjson' },
  });
  if (!res.ok || !res.body) throw await failure(res);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let pending = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    pending += value;
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      if (line !== '') onRecord(JSON.parse(line) as T);
    }
  }
}
