import { API_ROUTES } from './api-routes';
import { buildOpenApiDocument } from './openapi-document';

interface Header {
  required: boolean;
  schema: { type: string };
}
interface Response {
  description: string;
  headers?: Record<string, { $ref: string }>;
  content?: Record<string, { schema: { properties?: Record<string, unknown> } }>;
}

const doc = buildOpenApiDocument();
const components = doc.components.headers as Record<string, Header>;

/** Every operation's responses, by `method path`. */
const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
  Object.entries(ops).map(([method, op]) => ({
    name: `${method} ${path}`,
    auth: (op as { security: unknown[] }).security.length > 0,
    responses: (op as { responses: Record<string, Response> }).responses,
  })),
);

/** The headers a response declares, resolved through components.headers. */
function headersOf(response: Response | undefined): Record<string, Header> {
  return Object.fromEntries(
    Object.entries(response?.headers ?? {}).map(([name, ref]) => {
      const target = ref.$ref.replace('#/components/headers/', '');
      const header = components[target];
      if (!header) throw new Error(`${ref.$ref} does not resolve`);
      return [name, header];
    }),
  );
}

const isEnvelope = (response: Response | undefined) =>
  Object.keys(response?.content?.['application/json']?.schema.properties ?? {}).join() === 'error';

describe('the OpenAPI document declares what middleware answers', () => {
  it('408 in the error envelope on every route, the operations endpoints included', () => {
    expect(operations).toHaveLength(API_ROUTES.length);
    for (const op of operations) expect([op.name, isEnvelope(op.responses['408'])]).toEqual([op.name, true]);
  });

  it('429 rate_limited with Retry-After, RateLimit-Policy and RateLimit on every authenticated route', () => {
    const authenticated = operations.filter((op) => op.auth);
    expect(authenticated.length).toBeGreaterThan(15);
    for (const op of authenticated) {
      const limited = op.responses['429'];
      expect([op.name, isEnvelope(limited)]).toEqual([op.name, true]);
      expect(limited?.description).toMatch(/RATE_LIMIT_PER_SECOND.*AUTH_FAILURES_PER_IP/);
      const headers = headersOf(limited);
      expect(Object.keys(headers).sort()).toEqual(['RateLimit', 'RateLimit-Policy', 'Retry-After']);
      expect(Object.values(headers).every((h) => h.required)).toBe(true);
      expect(headers['Retry-After']?.schema.type).toBe('integer');
    }
    for (const op of operations.filter((o) => !o.auth))
      expect([op.name, op.responses['429']]).toEqual([op.name, undefined]);
  });

  it('names the tenant quotas only where a route can be refused for them', () => {
    const quotaRoutes = operations
      .filter((op) =>
        /MAX_(ACTIVE_JOBS|DATASET_BYTES)_PER_TENANT/.test(op.responses['429']?.description ?? ''),
      )
      .map((op) => op.name)
      .sort();
    expect(quotaRoutes).toEqual(['post /v1/batches', 'post /v1/datasets', 'post /v1/query/{query_id}']);
  });

  it('the RateLimit fields, optional, on every successful answer of an authenticated route', () => {
    for (const op of operations.filter((o) => o.auth)) {
      const successes = Object.entries(op.responses).filter(([status]) => status.startsWith('2'));
      expect(successes.length).toBeGreaterThan(0);
      for (const [status, response] of successes) {
        const headers = headersOf(response);
        expect([op.name, status, Object.keys(headers).sort()]).toEqual([
          op.name,
          status,
          ['RateLimit', 'RateLimit-Policy'],
        ]);
        expect(Object.values(headers).some((h) => h.required)).toBe(false);
      }
    }
  });

  it('400, 413 and 415 on JSON body routes; the upload keeps its own 413 and 415', () => {
    for (const name of [
      'post /v1/save',
      'post /v1/queries',
      'post /v1/query/{query_id}',
      'post /v1/batches',
    ]) {
      const op = operations.find((o) => o.name === name);
      for (const status of ['400', '413', '415']) {
        expect([name, status, isEnvelope(op?.responses[status])]).toEqual([name, status, true]);
      }
    }
    const upload = operations.find((o) => o.name === 'post /v1/datasets');
    expect(upload?.responses['413']?.description).toMatch(/MAX_UPLOAD_BYTES/);
    expect(upload?.responses['400']?.description).toMatch(/Query parameters/);
  });

  it('Retry-After on 503', () => {
    const op = operations.find((o) => o.name === 'get /v1/datasets');
    expect(Object.keys(headersOf(op?.responses['503']))).toEqual(['Retry-After']);
  });
});
