import { isRetryable, parseRetryAfter } from './http-transport';

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates, and nothing else', () => {
    const now = Date.parse('2024-06-01T14:22:10Z');
    expect(parseRetryAfter('2', now)).toBe(2000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Sat, 01 Jun 2024 14:22:15 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Sat, 01 Jun 2024 14:22:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(null, now)).toBeNull();
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter('-1', now)).toBeNull();
  });
});

describe('isRetryable', () => {
  const body = (streamed: boolean) => ({ data: 'x', contentType: 'text/csv', streamed });

  it('repeats reads and deletes', () => {
    expect(isRetryable({ method: 'GET', path: '/v1/jobs' })).toBe(true);
    expect(isRetryable({ method: 'DELETE', path: '/v1/datasets/dset_a' })).toBe(true);
  });

  it('repeats a POST only with an Idempotency-Key, and never a streamed body', () => {
    expect(isRetryable({ method: 'POST', path: '/v1/save', json: {} })).toBe(false);
    expect(
      isRetryable({ method: 'POST', path: '/v1/query/qry_a', headers: { 'Idempotency-Key': 'k' } }),
    ).toBe(true);
    expect(
      isRetryable({ method: 'POST', path: '/v1/query/qry_a', headers: { 'idempotency-key': 'k' } }),
    ).toBe(true);
    expect(isRetryable({ method: 'POST', path: '/v1/datasets', body: body(false) })).toBe(false);
    expect(
      isRetryable({
        method: 'POST',
        path: '/v1/datasets',
        body: body(true),
        headers: { 'Idempotency-Key': 'k' },
      }),
    ).toBe(false);
  });
});
