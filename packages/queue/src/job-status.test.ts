import { formatFailure } from './job-failure';
import { mapJobState, parsePayload, type RawJobFields, toJobStatus } from './job-status';
import type { TRunQueryPayload } from './run-query-job';

const payload: TRunQueryPayload = {
  tenant: 'acme',
  query_id: 'qry_xyz789',
  dataset_id: 'dset_abc123',
  sql: 'SELECT 1',
  params: {},
  execution_mode: 'async',
  priority: 'interactive',
  timeout_ms: 1000,
};

const base: RawJobFields = {
  data: JSON.stringify(payload),
  timestamp: String(Date.UTC(2024, 5, 1, 14, 22, 10, 345)),
  processedOn: null,
  finishedOn: null,
  progress: null,
  returnvalue: null,
  failedReason: null,
  ats: null,
  webhook: null,
};

describe('mapJobState', () => {
  it.each([
    [{ processedOn: null, finishedOn: null, returnvalue: null }, 'queued'],
    [{ processedOn: '1', finishedOn: null, returnvalue: null }, 'running'],
    [{ processedOn: '1', finishedOn: '2', returnvalue: '{}' }, 'succeeded'],
    [{ processedOn: '1', finishedOn: '2', returnvalue: null }, 'failed'],
  ] as const)('%j -> %s', (raw, expected) => {
    expect(mapJobState(raw)).toBe(expected);
  });
});

describe('toJobStatus', () => {
  it('gives the seed fields for a succeeded job, with second-precision timestamps', () => {
    const results = { columns: ['region', 'total_revenue'], rows: [['North', 48320.5]], row_count: 1 };
    const status = toJobStatus(
      'job_abc001',
      {
        ...base,
        processedOn: String(Date.UTC(2024, 5, 1, 14, 22, 11)),
        finishedOn: String(Date.UTC(2024, 5, 1, 14, 22, 45, 999)),
        progress: '57',
        returnvalue: JSON.stringify(results),
        ats: '1',
      },
      payload,
      86_400,
    );
    expect(status).toEqual({
      job_id: 'job_abc001',
      query_id: 'qry_xyz789',
      dataset_id: 'dset_abc123',
      status: 'succeeded',
      progress: 100,
      results,
      error: null,
      created_at: '2024-06-01T14:22:10Z',
      completed_at: '2024-06-01T14:22:45Z',
      error_code: null,
      execution_mode: 'async',
      started_at: '2024-06-01T14:22:11Z',
      attempts: 1,
      priority: 'interactive',
      expires_at: '2024-06-02T14:22:45Z',
      progress_measured: true,
    });
    // The seed's fields come first, in the seed's order, whatever the (ext) fields.
    expect(Object.keys(status).slice(0, 9)).toEqual([
      'job_id',
      'query_id',
      'dataset_id',
      'status',
      'progress',
      'results',
      'error',
      'created_at',
      'completed_at',
    ]);
  });

  it('says whether progress is measured: the stored field is written only with a measurement', () => {
    const running = { ...base, processedOn: '1' };
    const at = (raw: RawJobFields) => {
      const { progress, progress_measured } = toJobStatus('job_x', raw, payload, 60);
      return { progress, progress_measured };
    };
    expect(at(base)).toEqual({ progress: 0, progress_measured: false });
    // Running with nothing measured (DuckDB reports none): a 0 that says so.
    expect(at(running)).toEqual({ progress: 0, progress_measured: false });
    // A measured 0 (DuckDB's figure below 1%) and a measured rise.
    expect(at({ ...running, progress: '0' })).toEqual({ progress: 0, progress_measured: true });
    expect(at({ ...running, progress: '46' })).toEqual({ progress: 46, progress_measured: true });
    // Succeeded: 100, measured, whatever was stored (nothing, or an older worker's last figure).
    const done = { ...running, finishedOn: '2', returnvalue: '{"columns":[],"rows":[],"row_count":0}' };
    expect(at(done)).toEqual({ progress: 100, progress_measured: true });
    expect(at({ ...done, progress: '46' })).toEqual({ progress: 100, progress_measured: true });
    // Failed: whether anything had been measured before.
    const failed = { ...running, finishedOn: '2', failedReason: formatFailure('timeout', 'Too slow.') };
    expect(at(failed)).toEqual({ progress: 0, progress_measured: false });
    expect(at({ ...failed, progress: '40' })).toEqual({ progress: 40, progress_measured: true });
  });

  it('never shows 100 before success and clamps stored progress', () => {
    const running = toJobStatus('job_x', { ...base, processedOn: '1', progress: '100' }, payload, 60);
    expect(running.status).toBe('running');
    expect(running.progress).toBe(99);
    expect(running.completed_at).toBeNull();
    expect(running.expires_at).toBeNull();
    expect(toJobStatus('job_x', base, payload, 60).progress).toBe(0);
  });

  it('splits a stored failure into error and error_code', () => {
    const failed = toJobStatus(
      'job_x',
      {
        ...base,
        processedOn: '1',
        finishedOn: '2',
        progress: '40',
        failedReason: formatFailure('timeout', 'Too slow.'),
      },
      payload,
      60,
    );
    expect(failed).toMatchObject({
      status: 'failed',
      error: 'Too slow.',
      error_code: 'timeout',
      progress: 40,
      results: null,
    });
  });

  it('reports a failure BullMQ wrote itself as internal with a sentence', () => {
    const failed = toJobStatus(
      'job_x',
      { ...base, processedOn: '1', finishedOn: '2', failedReason: 'job stalled more than allowable limit' },
      payload,
      60,
    );
    expect(failed.error_code).toBe('internal');
    expect(failed.error).toMatch(/Run the query again/);
  });
});

describe('parsePayload', () => {
  it("gives the fields a status shows, for the job's own tenant only", () => {
    expect(parsePayload(JSON.stringify(payload), 'acme')).toEqual({
      tenant: 'acme',
      query_id: 'qry_xyz789',
      dataset_id: 'dset_abc123',
      execution_mode: 'async',
      priority: 'interactive',
    });
    expect(parsePayload(JSON.stringify(payload), 'globex')).toBeNull();
    expect(parsePayload(null, 'acme')).toBeNull();
    expect(parsePayload('null', 'acme')).toBeNull();
  });

  it('refuses a payload whose shown fields are wrong, whatever the rest holds', () => {
    expect(parsePayload(JSON.stringify({ ...payload, priority: 'urgent' }), 'acme')).toBeNull();
    expect(parsePayload(JSON.stringify({ ...payload, query_id: '' }), 'acme')).toBeNull();
    const { dataset_id: _dropped, ...withoutDataset } = payload;
    expect(parsePayload(JSON.stringify(withoutDataset), 'acme')).toBeNull();
  });

  it('does not validate the query text or parameters, which a status never shows', () => {
    const params = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`p${i}`, { deep: [i, 'x'] }]));
    const parsed = parsePayload(JSON.stringify({ ...payload, sql: 'SELECT 1', params }), 'acme');
    expect(parsed?.query_id).toBe('qry_xyz789');
    expect(parsed).not.toHaveProperty('params');
  });
});
