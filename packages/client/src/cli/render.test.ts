import { bytes, cell, ProgressReporter, progressBar, progressCell, table } from './render';

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

  const unmeasured = { ...job('running', 0), progress_measured: false };

  it('shows a spinner, not 0%, while the progress is not measured', () => {
    expect(progressBar(unmeasured, 80)).toBe('job_abc running   ⠋ progress not measured');
    expect(progressBar(unmeasured, 80, 2)).toBe('job_abc running   ⠹ progress not measured');
    // Measured (even at 0), queued, ended, or from a server without the field: the bar, as before.
    expect(progressBar({ ...job('running', 0), progress_measured: true }, 80)).toMatch(/\[░+\] +0%$/);
    expect(progressBar({ ...job('queued', 0), progress_measured: false }, 80)).toMatch(/ +0%$/);
    expect(progressBar(job('running', 0), 80)).toMatch(/ +0%$/);
    expect(progressBar({ ...job('succeeded', 100), progress_measured: true }, 80)).toMatch(/ 100%$/);
    expect([progressCell(unmeasured), progressCell({ ...unmeasured, progress_measured: true })]).toEqual([
      'not measured',
      0,
    ]);
  });

  it('turns the spinner on a terminal until the progress is measured, then draws the bar', () => {
    jest.useFakeTimers();
    try {
      const out = terminal(true);
      const reporter = new ProgressReporter(out);
      reporter.update({ ...unmeasured, ...rest });
      jest.advanceTimersByTime(3 * 120);
      const spun = out.text().split('\r').filter(Boolean);
      expect(spun).toHaveLength(4);
      const spinners = spun.map((frame) => /running +(\S) progress not measured/.exec(frame)?.[1]);
      expect(new Set(spinners).size).toBe(4);
      reporter.update({ ...job('running', 12), progress_measured: true, ...rest });
      jest.advanceTimersByTime(1_000);
      reporter.finish();
      const frames = out.text().split('\r').filter(Boolean);
      // The spinner stopped at the first measurement: one bar frame, then the end of the line.
      expect(frames).toHaveLength(5);
      expect(frames.at(-1)).toMatch(/\] +12%\S*\[K\n$/);
    } finally {
      jest.useRealTimers();
    }
  });

  it('stops the spinner when it finishes', () => {
    jest.useFakeTimers();
    try {
      const out = terminal(true);
      const reporter = new ProgressReporter(out);
      reporter.update({ ...unmeasured, ...rest });
      reporter.finish();
      const length = out.text().length;
      jest.advanceTimersByTime(1_000);
      expect(out.text()).toHaveLength(length);
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it('writes one plain line per update elsewhere', () => {
    const out = terminal(false);
    const reporter = new ProgressReporter(out);
    reporter.update({ ...job('running', 10), ...rest });
    reporter.update({ ...job('succeeded', 100), ...rest });
    reporter.finish();
    expect(out.text()).toBe('job_abc running 10%\njob_abc succeeded 100%\n');
  });

  it('says the progress is not measured in a plain line, not 0%', () => {
    const out = terminal(false);
    const reporter = new ProgressReporter(out);
    reporter.update({ ...unmeasured, ...rest });
    reporter.update({ ...job('running', 30), progress_measured: true, ...rest });
    reporter.finish();
    expect(out.text()).toBe('job_abc running (progress not measured)\njob_abc running 30%\n');
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
