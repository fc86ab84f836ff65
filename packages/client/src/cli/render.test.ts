import { bytes, cell, ProgressReporter, progressBar, table } from './render';

describe('table', () => {
  it('aligns text left and numbers right under a header', () => {
    expect(
      table(
        ['region', 'total_revenue'],
        [
          ['North', 48320.5],
          ['South', 31205],
        ],
      ),
    ).toBe(
      [
        'region  total_revenue',
        '------  -------------',
        'North         48320.5',
        'South           31205',
        '',
      ].join('\n'),
    );
  });

  it('shows nulls empty, nested values as JSON, and cuts long or multi-line cells', () => {
    expect(cell(null)).toBe('');
    expect(cell({ a: [1] })).toBe('{"a":[1]}');
    expect(cell('a\nb')).toBe('a\\nb');
    expect(cell('x'.repeat(100))).toHaveLength(60);
    expect(table(['a'], [])).toBe('a\n-\n');
  });
});

describe('bytes', () => {
  it('says sizes in B, kB, MB', () => {
    expect([bytes(512), bytes(2048), bytes(3 * 1024 * 1024)]).toEqual(['512 B', '2.0 kB', '3.0 MB']);
  });
});

describe('progress', () => {
  const job = (status: 'queued' | 'running' | 'succeeded', progress: number) => ({
    job_id: 'job_abc',
    status,
    progress,
  });

  it('draws a bar that fills with progress and fits the terminal', () => {
    expect(progressBar(job('running', 0), 80)).toMatch(/^job_abc running +\[░+\] +0%$/);
    expect(progressBar(job('running', 50), 80)).toMatch(/\[█{20}░{20}\] {2}50%$/);
    expect(progressBar(job('succeeded', 100), 80)).toMatch(/\[█{40}\] 100%$/);
    expect(progressBar(job('running', 50), 40).length).toBeLessThanOrEqual(40);
  });

  function terminal(isTTY: boolean) {
    let text = '';
    return { isTTY, columns: 80, write: (chunk: string) => (text += chunk), text: () => text };
  }

  it('redraws one line on a terminal and ends it when done', () => {
    const out = terminal(true);
    const reporter = new ProgressReporter(out);
    reporter.update({ ...job('running', 10), ...rest });
    reporter.update({ ...job('succeeded', 100), ...rest });
    reporter.finish();
    expect(out.text().split('\r')).toHaveLength(3);
    expect(out.text().endsWith('\n')).toBe(true);
    expect(out.text().match(/\n/g)).toHaveLength(1);
  });

  it('writes one plain line per update elsewhere', () => {
    const out = terminal(false);
    const reporter = new ProgressReporter(out);
    reporter.update({ ...job('running', 10), ...rest });
    reporter.update({ ...job('succeeded', 100), ...rest });
    reporter.finish();
    expect(out.text()).toBe('job_abc running 10%\njob_abc succeeded 100%\n');
  });
});

const rest = {
  query_id: 'qry_a',
  dataset_id: 'dset_a',
  results: null,
  error: null,
  created_at: '2024-06-01T14:22:10Z',
  completed_at: null,
  error_code: null,
  execution_mode: 'async',
  started_at: null,
  attempts: 0,
  priority: 'interactive',
  expires_at: null,
} as const;
