/**
 * Calls to the gateway's HTTP API (same origin, session cookie). Responses are checked against the
 * protocol schemas once here, so components can trust the types; every failure becomes an ApiError
 * with the gateway's stable error code (or `network` / `bad_response` for failures before that).
 */
import { ErrorBody, type ErrorCode } from '@lagebild/protocol';

export type ApiErrorCode = ErrorCode | 'network' | 'bad_response';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly code: ApiErrorCode;
  /** the gateway's list of bad fields on a 400, e.g. "retentionDays: … at most 14 days …" */
  readonly issues: readonly string[];
  constructor(status: number, code: ApiErrorCode, message: string, issues: readonly string[] = []) {
    super(message);
    this.status = status;
    this.code = code;
    this.issues = issues;
  }
}

/** Anything with zod's `parse`; keeps this module independent of the zod version. */
export interface Schema<T> {
  parse(data: unknown): T;
}

export interface ApiRequest {
  method?: 'GET' | 'POST' | 'PUT';
  body?: unknown;
  signal?: AbortSignal;
}

async function request(path: string, init: ApiRequest): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, {
      method: init.method ?? 'GET',
      headers,
      body: init.body === undefined ? null : JSON.stringify(init.body),
      credentials: 'same-origin',
      cache: 'no-store',
      signal: init.signal ?? null,
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'network', err instanceof Error ? err.message : String(err));
  }
  if (!response.ok) throw await errorFrom(response);
  return response;
}

async function errorFrom(response: Response): Promise<ApiError> {
  try {
    const body = ErrorBody.parse(await response.json());
    return new ApiError(response.status, body.error.code, body.error.message, body.error.issues ?? []);
  } catch {
    const code: ApiErrorCode =
      response.status === 401 ? 'unauthenticated' : response.status === 403 ? 'forbidden' : 'bad_response';
    return new ApiError(response.status, code, `HTTP ${response.status}`);
  }
}

export async function apiGet<T>(path: string, schema: Schema<T>, signal?: AbortSignal): Promise<T> {
  const response = await request(path, signal ? { signal } : {});
  return parseBody(response, schema);
}

export async function apiPost<T>(path: string, body: unknown, schema: Schema<T>): Promise<T> {
  const response = await request(path, { method: 'POST', body });
  return parseBody(response, schema);
}

export async function apiPut<T>(path: string, body: unknown, schema: Schema<T>): Promise<T> {
  const response = await request(path, { method: 'PUT', body });
  return parseBody(response, schema);
}

/** POST whose response body does not matter (204, or a body we do not use). */
export async function apiPostNoContent(path: string, body?: unknown): Promise<void> {
  await request(path, { method: 'POST', body });
}

async function parseBody<T>(response: Response, schema: Schema<T>): Promise<T> {
  try {
    return schema.parse(await response.json());
  } catch (err) {
    throw new ApiError(
      response.status,
      'bad_response',
      `unexpected response from ${response.url}: ${String(err)}`,
    );
  }
}
