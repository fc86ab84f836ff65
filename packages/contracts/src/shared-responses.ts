import type { ApiResponse, ApiResponseHeader, ApiRoute, TenantQuota } from './api-routes';
import { ZErrorEnvelope } from './errors';

export const RETRY_AFTER_HEADER: ApiResponseHeader = {
  description: 'Whole seconds to wait before retrying',
  required: true,
  schema: { type: 'integer', minimum: 1 },
};

const policyDescription =
  'The limit’s policy, spelled as in draft-ietf-httpapi-ratelimit-headers-10: `"per-second";q=50;w=1` (with `, "burst";q=…;w=10` when RATE_LIMIT_BURST is above the rate) for requests per API key, `"auth-failures";q=30;w=60` for failed key checks per client address, `"active-jobs";q=…;qu="concurrent-requests"` and `"dataset-bytes";q=…;qu="content-bytes"` for tenant quotas';
const remainingDescription =
  'What is left of that policy (`r`) and in how many seconds it resets (`t`), e.g. `"per-second";r=0;t=1`';

/** The headers every 429 carries (apps/api's overLimit sets all three). */
export const RATE_LIMITED_HEADERS: Record<string, ApiResponseHeader> = {
  'Retry-After': RETRY_AFTER_HEADER,
  'RateLimit-Policy': { description: policyDescription, required: true, schema: { type: 'string' } },
  RateLimit: { description: remainingDescription, required: true, schema: { type: 'string' } },
};

/** The request limiter sets these on every answer it lets through, but only while it is on. */
export const RATE_LIMIT_INFO_HEADERS: Record<string, ApiResponseHeader> = {
  'RateLimit-Policy': {
    description: `Only while RATE_LIMIT_PER_SECOND is above 0. ${policyDescription}`,
    required: false,
    schema: { type: 'string' },
  },
  RateLimit: {
    description: `Only while RATE_LIMIT_PER_SECOND is above 0. ${remainingDescription}`,
    required: false,
    schema: { type: 'string' },
  },
};

const QUOTA_REASONS: Record<TenantQuota, string> = {
  'active-jobs': 'the tenant’s jobs queued or running (MAX_ACTIVE_JOBS_PER_TENANT)',
  'dataset-bytes': 'the tenant’s dataset bytes (MAX_DATASET_BYTES_PER_TENANT)',
};

const envelope = (description: string, headers?: Record<string, ApiResponseHeader>): ApiResponse => ({
  description,
  schema: ZErrorEnvelope,
  ...(headers ? { headers } : {}),
});

function rateLimited(quotas: readonly TenantQuota[]): ApiResponse {
  const reasons = [
    'requests per API key (RATE_LIMIT_PER_SECOND, RATE_LIMIT_BURST)',
    'failed API key checks from this client address (AUTH_FAILURES_PER_IP)',
    ...quotas.map((quota) => QUOTA_REASONS[quota]),
  ];
  return envelope(`rate_limited: over a limit on ${reasons.join(', or ')}`, RATE_LIMITED_HEADERS);
}

const requestTimeout = envelope(
  'request_timeout: the headers took longer than HTTP_HEADERS_TIMEOUT_MS, or the whole request longer than HTTP_REQUEST_TIMEOUT_MS; the connection is then closed',
);

const isJsonBody = (route: ApiRoute) =>
  route.body?.contentTypes.length === 1 && route.body.contentTypes[0] === 'application/json';

/**
 * The answers that middleware, not a route's own handler, gives: generated here for every
 * route so that no route can forget one. Anything the route table declares itself wins.
 * - 408 on every route: Node's header and request timeouts come before any routing.
 * - On authenticated routes: 429 from the request limiter and the failed-key limiter (and
 *   the route's tenant quotas), and the limiter's RateLimit fields on successful answers.
 * - On JSON body routes: 400, 413 and 415 from the body parser; 400 wherever a query is parsed.
 */
export function withSharedResponses(route: ApiRoute): ApiRoute {
  const added: Record<number, ApiResponse> = { 408: requestTimeout };
  if (isJsonBody(route)) {
    added[400] = envelope(
      'Malformed JSON (not JSON, a key given twice, a `__proto__` key, nested deeper than 32 levels), or fields that do not validate (details lists them)',
    );
    added[413] = envelope(
      'The body is larger than this route takes (512 kB for a saved query, 1 MB otherwise)',
    );
    added[415] = envelope('The body is not application/json in UTF-8');
  } else if (route.query) {
    added[400] = envelope('Query parameters that do not validate (details lists them)');
  }
  if (!route.auth) return { ...route, responses: { ...added, ...route.responses } };

  added[429] = rateLimited(route.quotas ?? []);
  const responses: Record<number, ApiResponse> = { ...added, ...route.responses };
  for (const [status, response] of Object.entries(responses)) {
    if (Number(status) >= 200 && Number(status) < 300) {
      responses[Number(status)] = {
        ...response,
        headers: { ...RATE_LIMIT_INFO_HEADERS, ...response.headers },
      };
    }
  }
  return { ...route, responses };
}
