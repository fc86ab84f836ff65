import { AnalyticsApiError } from './analytics-api-error';
import type { ErrorEnvelope } from './types';

export interface RetryInfo {
  method: string;
  path: string;
  /** The HTTP status that is being retried (429 or 503), or null when no answer came at all. */
  status: number | null;
  /** 1 for the first retry. */
  retry: number;
  /** How long the client waits before it: the answer's Retry-After, else its own backoff. */
  delayMs: number;
  requestId: string | null;
}

export interface TransportOptions {
  /** Where the API listens, e.g. `http://127.0.0.1:3000` (no `/v1`). */
  baseUrl: string;
  apiKey: string;
  /** Another fetch (a test double, a proxy-aware one); the global fetch by default. */
  fetch?: typeof fetch;
  /**
   * Retries of a 429 or 503 answer, or of a request that got no answer (a dropped
   * connection, a restarting API), for requests that are safe to repeat (default 3).
   */
  maxRetries?: number;
  /** A Retry-After longer than this is not waited for: the 429/503 is thrown (default 30 s). */
  maxRetryDelayMs?: number;
  /** Headers sent with every request (never overriding X-API-Key). */
  headers?: Record<string, string>;
  /** Told before each retry: log it, count it. */
  onRetry?: (info: RetryInfo) => void;
}

/** What fetch takes as a body (BodyInit, named so without DOM types). */
export type RequestBody = NonNullable<RequestInit['body']>;

export type QueryString = Record<string, string | number | undefined>;

export interface RequestSpec {
  method: 'GET' | 'POST' | 'DELETE';
  /** From the API's root: `/v1/jobs/job_…`. */
  path: string;
  query?: QueryString;
  /** A JSON body (serialised here), or... */
  json?: unknown;
  /** ...a raw body, with its content type. Streamed bodies are never retried. */
  body?: { data: RequestBody; contentType: string; streamed: boolean };
  headers?: Record<string, string>;
  accept?: string;
  signal?: AbortSignal;
}

/** Backoff when a 429/503 carries no Retry-After: 0.5 s, 1 s, 2 s, … */
const FALLBACK_RETRY_BASE_MS = 500;

/**
 * `Retry-After` as milliseconds from `now`: delta-seconds or an HTTP date (RFC 9110 §10.2.3);
 * null when absent or unreadable.
 */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // An HTTP date names its day and month ("Sun, 06 Nov 1994 08:49:37 GMT").
  const date = /[A-Za-z]/.test(trimmed) ? Date.parse(trimmed) : Number.NaN;
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - now);
}

/**
 * Which requests may be sent again after a 429, a 503 or no answer: reads and deletes (repeating them
 * changes nothing more), and POSTs that carry an Idempotency-Key (the API returns the same
 * job for the same key and body). Never a streamed body: it cannot be read twice.
 */
export function isRetryable(spec: RequestSpec): boolean {
  if (spec.body?.streamed) return false;
  if (spec.method === 'GET' || spec.method === 'DELETE') return true;
  return Object.keys(spec.headers ?? {}).some((name) => name.toLowerCase() === 'idempotency-key');
}

/** Waits `ms`, or rejects as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortedError(signal));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortedError(signal as AbortSignal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function abortedError(signal: AbortSignal): AnalyticsApiError {
  return new AnalyticsApiError({
    code: 'aborted',
    message: 'The request was aborted.',
    cause: signal.reason,
  });
}

function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } } | null)?.cause;
  if (cause?.code) return cause.code;
  if (cause?.message) return cause.message;
  return error instanceof Error ? error.message : String(error);
}

/** Reads an error answer into AnalyticsApiError: the envelope when there is one. */
export async function errorFromResponse(response: Response): Promise<AnalyticsApiError> {
  return errorFromText(response, await response.text().catch(() => ''));
}

/** The same, for an answer whose body has been read already. */
export function errorFromText(response: Response, text: string): AnalyticsApiError {
  const requestId = response.headers.get('x-request-id');
  try {
    const parsed = JSON.parse(text) as Partial<ErrorEnvelope>;
    const error = parsed.error;
    if (error && typeof error.code === 'string' && typeof error.message === 'string') {
      return new AnalyticsApiError({
        code: error.code,
        message: error.message,
        details: Array.isArray(error.details) ? error.details.map(String) : [],
        status: response.status,
        requestId,
      });
    }
  } catch {
    // not JSON: described below
  }
  return new AnalyticsApiError({
    code: 'invalid_response',
    message: `HTTP ${response.status} without the API's error envelope${text ? `: ${text.slice(0, 200)}` : ''}`,
    status: response.status,
    requestId,
  });
}

/** fetch with the API key, the error envelope, and bounded retries of 429/503 and lost requests. */
export class HttpTransport {
  readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;
  private readonly maxRetries: number;
  private readonly maxRetryDelayMs: number;

  constructor(private readonly options: TransportOptions) {
    if (!options.baseUrl) throw new TypeError('baseUrl is required, e.g. http://127.0.0.1:3000');
    if (!options.apiKey) throw new TypeError('apiKey is required');
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
    this.maxRetries = options.maxRetries ?? 3;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 30_000;
  }

  url(path: string, query?: QueryString): string {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value !== undefined) params.set(name, String(value));
    }
    const search = params.toString();
    return `${this.baseUrl}${path}${search ? `?${search}` : ''}`;
  }

  /**
   * The answer, whatever its status, after retrying 429/503 and lost requests where that is
   * safe. Throws only when no answer came in the end (`unreachable`) or the caller aborted
   * (`aborted`).
   */
  async send(spec: RequestSpec): Promise<Response> {
    const retryable = isRetryable(spec);
    for (let retry = 0; ; retry += 1) {
      let response: Response;
      try {
        response = await this.sendOnce(spec);
      } catch (error) {
        // No answer: the request may or may not have arrived, so only a request that is
        // safe to repeat (with its Idempotency-Key, for a run) is sent again.
        const unreachable = error instanceof AnalyticsApiError && error.code === 'unreachable';
        if (!unreachable || !retryable || retry >= this.maxRetries) throw error;
        const delayMs = FALLBACK_RETRY_BASE_MS * 2 ** retry;
        this.options.onRetry?.({
          method: spec.method,
          path: spec.path,
          status: null,
          retry: retry + 1,
          delayMs,
          requestId: null,
        });
        await sleep(delayMs, spec.signal);
        continue;
      }
      if (!retryable || retry >= this.maxRetries || (response.status !== 429 && response.status !== 503)) {
        return response;
      }
      const delayMs =
        parseRetryAfter(response.headers.get('retry-after')) ?? FALLBACK_RETRY_BASE_MS * 2 ** retry;
      if (delayMs > this.maxRetryDelayMs) return response;
      const requestId = response.headers.get('x-request-id');
      await response.body?.cancel().catch(() => undefined);
      this.options.onRetry?.({
        method: spec.method,
        path: spec.path,
        status: response.status,
        retry: retry + 1,
        delayMs,
        requestId,
      });
      await sleep(delayMs, spec.signal);
    }
  }

  /** The answer's JSON when it is a success; AnalyticsApiError otherwise. */
  async json<T>(spec: RequestSpec): Promise<T> {
    const response = await this.send(spec);
    if (!response.ok) throw await errorFromResponse(response);
    return (await readJson(response)) as T;
  }

  /** For answers without a body (204). */
  async empty(spec: RequestSpec): Promise<void> {
    const response = await this.send(spec);
    if (!response.ok) throw await errorFromResponse(response);
    await response.body?.cancel().catch(() => undefined);
  }

  private async sendOnce(spec: RequestSpec): Promise<Response> {
    const headers: Record<string, string> = {
      ...this.options.headers,
      ...spec.headers,
      Accept: spec.accept ?? 'application/json',
      'X-API-Key': this.options.apiKey,
    };
    let body: RequestBody | undefined;
    if (spec.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(spec.json);
    } else if (spec.body) {
      headers['Content-Type'] = spec.body.contentType;
      body = spec.body.data;
    }
    const init: RequestInit & { duplex?: 'half' } = {
      method: spec.method,
      headers,
      body,
      signal: spec.signal,
    };
    // Node's fetch sends a ReadableStream body only as a half-duplex request.
    if (spec.body?.streamed) init.duplex = 'half';
    try {
      return await this.fetchImpl(this.url(spec.path, spec.query), init);
    } catch (error) {
      if (spec.signal?.aborted) throw abortedError(spec.signal);
      throw new AnalyticsApiError({
        code: 'unreachable',
        message: `Could not reach the API at ${this.baseUrl} (${describeNetworkError(error)}).`,
        cause: error,
      });
    }
  }
}

export async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new AnalyticsApiError({
      code: 'invalid_response',
      message: `HTTP ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`,
      status: response.status,
      requestId: response.headers.get('x-request-id'),
    });
  }
}
