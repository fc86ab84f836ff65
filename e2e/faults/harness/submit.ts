import type { ApiProcess } from './stack';

/** Runs `count` tasks with at most `parallel` at a time; resolves with their results in order. */
export async function inParallel<T>(
  count: number,
  parallel: number,
  task: (i: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, count) }, async () => {
      while (next < count) {
        const i = next++;
        results[i] = await task(i);
      }
    }),
  );
  return results;
}

/** Submits `count` async runs of a query and returns the job ids of those answered 202. */
export async function submitMany(
  api: ApiProcess,
  queryId: string,
  count: number,
  parameters: (i: number) => Record<string, unknown>,
  parallel = 8,
): Promise<string[]> {
  const answers = await inParallel(count, parallel, (i) => api.submit(queryId, parameters(i)));
  const refused = answers.filter((a) => a.status !== 202);
  if (refused.length > 0) throw new Error(`${refused.length} submissions refused: ${refused[0]?.text}`);
  return answers.map((a) => a.json.job_id as string);
}

export interface ToldJob {
  key: string;
  jobId: string;
  /** When the 202 arrived. */
  at: number;
}

export interface SubmitLoad {
  told: ToldJob[];
  /** 503 answers (Redis unavailable) that the clients waited out and retried. */
  unavailable: number;
  /** Sends that failed on the network (refused, reset, timed out). */
  networkFailures: number;
  /** Other answers, which no scenario expects. */
  unexpected: string[];
}

/**
 * `clients` clients submit `total` runs between them, as a careful client does: each
 * submission with its own Idempotency-Key, repeated (same key, same body) after a 503 or
 * a network failure until it is answered 202. `onTold` sees each 202 as it arrives.
 */
export async function submitUnderLoad(
  api: ApiProcess,
  queryId: string,
  options: {
    clients: number;
    total: number;
    keyPrefix: string;
    onTold?: (count: number) => Promise<void> | void;
  },
): Promise<SubmitLoad> {
  const load: SubmitLoad = { told: [], unavailable: 0, networkFailures: 0, unexpected: [] };
  let next = 0;
  const deadline = Date.now() + 180_000;
  await Promise.all(
    Array.from({ length: options.clients }, async () => {
      while (next < options.total) {
        const i = next++;
        const key = `${options.keyPrefix}-${i}`;
        for (;;) {
          if (Date.now() > deadline) throw new Error(`${key} was never accepted`);
          try {
            const res = await api.submit(queryId, { n: 10 + i }, { idempotencyKey: key, timeoutMs: 10_000 });
            if (res.status === 202) {
              load.told.push({ key, jobId: res.json.job_id, at: Date.now() });
              await options.onTold?.(load.told.length);
              break;
            }
            if (res.status !== 503) {
              load.unexpected.push(`${res.status} ${res.text}`);
              break;
            }
            load.unavailable += 1;
          } catch (error) {
            if (!['TypeError', 'TimeoutError'].includes((error as Error).name)) throw error;
            load.networkFailures += 1;
          }
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    }),
  );
  return load;
}
