/**
 * Codes the client itself gives, when there is no error envelope from the API:
 * - `unreachable`: no HTTP answer at all (connection refused, DNS, reset, TLS).
 * - `aborted`: the caller's AbortSignal fired.
 * - `wait_timeout`: `jobs.wait` gave up after its `timeoutMs`; the job goes on.
 * - `invalid_response`: an answer that is not the JSON the contract promises (a proxy's HTML page).
 */
export const CLIENT_ERROR_CODES = ['unreachable', 'aborted', 'wait_timeout', 'invalid_response'] as const;
export type ClientErrorCode = (typeof CLIENT_ERROR_CODES)[number];

export interface AnalyticsApiErrorInit {
  /** The envelope's `code` (`not_found`, `missing_parameter`, …) or a client code. */
  code: string;
  message: string;
  details?: string[];
  /** HTTP status; null when no answer came (`unreachable`, `aborted`, `wait_timeout`). */
  status?: number | null;
  /** The answer's `X-Request-Id`: quote it when asking the API's operators. */
  requestId?: string | null;
  cause?: unknown;
}

/**
 * The one error the SDK throws for a request: the API refused it (its error envelope),
 * or no answer came. A query that fails is not an exception: runs and `jobs.wait` resolve
 * with `status: "failed"`, `error` and `error_code`.
 */
export class AnalyticsApiError extends Error {
  override name = 'AnalyticsApiError';
  readonly code: string;
  readonly details: string[];
  readonly status: number | null;
  readonly requestId: string | null;

  constructor(init: AnalyticsApiErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = init.code;
    this.details = init.details ?? [];
    this.status = init.status ?? null;
    this.requestId = init.requestId ?? null;
  }

  /** True when no HTTP answer came: the server is down, or the URL is wrong. */
  get unreachable(): boolean {
    return this.code === 'unreachable';
  }
}

export function isAnalyticsApiError(error: unknown): error is AnalyticsApiError {
  return error instanceof AnalyticsApiError;
}
