import type { TJobStatus } from '@repo/contracts';
import { TerminalStatusCache } from './terminal-status-cache';

const T0 = Date.UTC(2024, 5, 1, 14, 22, 45, 500);

function status(overrides: Partial<TJobStatus> = {}): TJobStatus {
  return {
    job_id: 'job_a',
    query_id: 'qry_q',
    dataset_id: 'dset_d',
    status: 'succeeded',
    progress: 100,
    results: { columns: ['n'], rows: [[1]], row_count: 1 },
    error: null,
    created_at: '2024-06-01T14:22:10Z',
    completed_at: '2024-06-01T14:22:45Z',
    error_code: null,
    execution_mode: 'async',
    started_at: '2024-06-01T14:22:11Z',
    attempts: 1,
    priority: 'interactive',
    // Ten minutes after T0, rounded down to the second as the service writes it.
    expires_at: '2024-06-01T14:32:45Z',
    progress_measured: true,
    ...overrides,
  };
}

function clock(start = T0) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('TerminalStatusCache', () => {
  it('keeps ended jobs (succeeded and failed) and answers with the body res.json would send', () => {
    const c = clock();
    const cache = new TerminalStatusCache({ now: c.now });
    const succeeded = status();
    const failed = status({
      job_id: 'job_f',
      status: 'failed',
      progress: 40,
      results: null,
      error: 'Bad.',
      error_code: 'query_error',
    });
    expect(cache.remember('acme', succeeded).toString()).toBe(JSON.stringify(succeeded));
    cache.remember('acme', failed);
    expect(cache.get('acme', 'job_a')?.toString()).toBe(JSON.stringify(succeeded));
    expect(cache.get('acme', 'job_f')?.toString()).toBe(JSON.stringify(failed));
    expect(cache.size).toBe(2);
  });

  it('never keeps a job that can still change', () => {
    const cache = new TerminalStatusCache({ now: clock().now });
    const running = status({
      status: 'running',
      progress: 42,
      results: null,
      completed_at: null,
      expires_at: null,
    });
    const queued = status({
      job_id: 'job_q',
      status: 'queued',
      progress: 0,
      results: null,
      expires_at: null,
    });
    expect(cache.remember('acme', running).toString()).toBe(JSON.stringify(running));
    cache.remember('acme', queued);
    expect(cache.get('acme', 'job_a')).toBeUndefined();
    expect(cache.get('acme', 'job_q')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it("serves an entry only to the job's own tenant, and another tenant's miss leaves it in place", () => {
    const cache = new TerminalStatusCache({ now: clock().now });
    cache.remember('acme', status());
    expect(cache.get('globex', 'job_a')).toBeUndefined();
    expect(cache.get('acme', 'job_a')).toBeDefined();
  });

  it('stops serving at expires_at, and never stores a job already expired', () => {
    const c = clock();
    const cache = new TerminalStatusCache({ now: c.now, maxAgeMs: 3_600_000 });
    cache.remember('acme', status());
    // expires_at is 14:32:45.000, T0 is 14:22:45.500: served until 599.5 s later, not after.
    c.advance(599_499);
    expect(cache.get('acme', 'job_a')).toBeDefined();
    c.advance(1);
    expect(cache.get('acme', 'job_a')).toBeUndefined();
    expect(cache.size).toBe(0);
    expect(cache.totalBytes).toBe(0);
    cache.remember('acme', status());
    expect(cache.size).toBe(0);
  });

  it('serves an entry for maxAgeMs at most, even long before the job expires', () => {
    const c = clock();
    const cache = new TerminalStatusCache({ now: c.now, maxAgeMs: 1_000 });
    cache.remember('acme', status());
    c.advance(999);
    expect(cache.get('acme', 'job_a')).toBeDefined();
    c.advance(1);
    expect(cache.get('acme', 'job_a')).toBeUndefined();
  });

  it('does not keep bodies over maxEntryBytes (large inline results)', () => {
    const cache = new TerminalStatusCache({ now: clock().now, maxEntryBytes: 1_000 });
    const rows = Array.from({ length: 200 }, (_, i) => [`row ${i}`]);
    const big = status({ results: { columns: ['r'], rows, row_count: 200 } });
    expect(JSON.parse(cache.remember('acme', big).toString())).toEqual(big);
    expect(cache.get('acme', 'job_a')).toBeUndefined();
  });

  it('evicts the least recently read entries past maxEntries or maxBytes', () => {
    const one = Buffer.byteLength(JSON.stringify(status({ job_id: 'job_0' })));
    const cache = new TerminalStatusCache({ now: clock().now, maxEntries: 3, maxBytes: one * 10 });
    for (const id of ['job_0', 'job_1', 'job_2']) cache.remember('acme', status({ job_id: id }));
    cache.get('acme', 'job_0');
    cache.remember('acme', status({ job_id: 'job_3' }));
    expect(cache.get('acme', 'job_1')).toBeUndefined();
    expect(['job_0', 'job_2', 'job_3'].every((id) => cache.get('acme', id))).toBe(true);

    const byBytes = new TerminalStatusCache({ now: clock().now, maxBytes: one * 2 + 10 });
    for (const id of ['job_0', 'job_1', 'job_2']) byBytes.remember('acme', status({ job_id: id }));
    expect(byBytes.size).toBe(2);
    expect(byBytes.totalBytes).toBeLessThanOrEqual(one * 2 + 10);
    expect(byBytes.get('acme', 'job_0')).toBeUndefined();
  });

  it('replaces an entry stored again without counting its bytes twice', () => {
    const cache = new TerminalStatusCache({ now: clock().now });
    cache.remember('acme', status());
    const bytes = cache.totalBytes;
    cache.remember('acme', status());
    expect(cache.size).toBe(1);
    expect(cache.totalBytes).toBe(bytes);
  });
});
