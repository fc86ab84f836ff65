import { changesOf, isTerminal, pollDelay } from './job-updates';
import type { Job } from './types';

function job(status: Job['status'], progress: number): Job {
  return {
    job_id: 'job_a',
    query_id: 'qry_a',
    dataset_id: 'dset_a',
    status,
    progress,
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
  };
}

async function* fromArray<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

describe('pollDelay', () => {
  it('doubles from 250 ms up to 2 s by default, and takes other bounds', () => {
    expect([1, 2, 3, 4, 5, 10].map((reads) => pollDelay(reads))).toEqual([250, 500, 1000, 2000, 2000, 2000]);
    expect([1, 2, 3].map((reads) => pollDelay(reads, { initialDelayMs: 10, maxDelayMs: 15 }))).toEqual([
      10, 15, 15,
    ]);
  });
});

describe('changesOf', () => {
  it('passes a job on only when its status or progress moved', async () => {
    const seen: string[] = [];
    const updates = [
      job('queued', 0),
      job('queued', 0),
      job('running', 0),
      job('running', 40),
      job('running', 40),
      job('succeeded', 100),
    ];
    for await (const update of changesOf(fromArray(updates)))
      seen.push(`${update.status}:${update.progress}`);
    expect(seen).toEqual(['queued:0', 'running:0', 'running:40', 'succeeded:100']);
  });

  it('passes a job on when its progress becomes measured, at the same figure', async () => {
    const seen: string[] = [];
    const updates = [
      { ...job('running', 0), progress_measured: false },
      { ...job('running', 0), progress_measured: false },
      { ...job('running', 0), progress_measured: true },
      { ...job('succeeded', 100), progress_measured: true },
    ];
    for await (const update of changesOf(fromArray(updates)))
      seen.push(`${update.status}:${update.progress}:${update.progress_measured}`);
    expect(seen).toEqual(['running:0:false', 'running:0:true', 'succeeded:100:true']);
  });

  it('knows the terminal states', () => {
    expect(
      ['queued', 'running', 'succeeded', 'failed'].map((s) => isTerminal({ status: s as Job['status'] })),
    ).toEqual([false, false, true, true]);
  });
});
