import { reportFigures, tally } from './harness/figures';
import type { ApiProcess } from './harness/stack';
import { useFaultStack } from './harness/use-fault-stack';

const CLIENTS = 8;
const PER_CLIENT = 15;
/** Accepted submissions before API replica A is killed: the kill lands while clients submit. */
const KILL_AFTER = 30;

interface Told {
  key: string;
  jobId: string;
  /** How many sends it took (1 = answered by the first replica it tried). */
  sends: number;
}

/**
 * Scenario 3: clients submit through two API replicas, each submission with its own
 * Idempotency-Key (as the SDK does); replica A is SIGKILLed mid-stream. A client whose
 * request died with A sends the same request (same key) to replica B. Then: every job a
 * client was told about (202) exists and succeeds, and no job exists that no client was
 * told about — a job A created before dying is the one B answers the retry with.
 */
describe('scenario 3: an API replica SIGKILLed while clients submit', () => {
  const fault = useFaultStack({ apis: 2, workers: 2 });

  it('creates no half job: every 202 exists, and every job is one a client was told about', async () => {
    const [a, b] = fault.stack.apis as [ApiProcess, ApiProcess];
    const told: Told[] = [];
    let networkFailures = 0;
    let killedAt = 0;
    let killing: Promise<unknown> = Promise.resolve();

    // Half of the clients use A, half B; a client whose send to A failed moves to B for good.
    const targets = Array.from({ length: CLIENTS }, (_, client) => (client % 2 === 0 ? a : b));

    async function submitUntilTold(client: number, i: number): Promise<void> {
      const key = `client-${client}-run-${i}`;
      const parameters = { n: 200 + client * PER_CLIENT + i };
      for (let sends = 1; sends <= 20; sends += 1) {
        const target = targets[client] ?? b;
        try {
          const res = await target.submit(fault.seed.fastQueryId, parameters, {
            idempotencyKey: key,
            timeoutMs: 10_000,
          });
          if (res.status === 202) {
            told.push({ key, jobId: res.json.job_id, sends });
            if (told.length === KILL_AFTER && killedAt === 0) {
              killedAt = Date.now();
              a.process.child.kill('SIGKILL');
              killing = a.process.stop();
            }
            return;
          }
          throw new Error(`answered ${res.status}: ${res.text}`);
        } catch (error) {
          // fetch's errors come from Node's realm, not the test's: compared by name.
          if (!['TypeError', 'TimeoutError'].includes((error as Error).name)) throw error;
          networkFailures += 1;
          targets[client] = b;
        }
      }
      throw new Error(`${key} was never accepted`);
    }

    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, client) => {
        for (let i = 0; i < PER_CLIENT; i += 1) await submitUntilTold(client, i);
      }),
    );
    await killing;
    expect(killedAt).toBeGreaterThan(0);

    const toldIds = new Set(told.map((t) => t.jobId));
    const snapshots = await fault.stack.waitEnded(toldIds, 120_000);
    const outcome = tally(toldIds, snapshots);
    const existing = await fault.stack.allQueuedJobIds();
    const indexed = await fault.stack.indexedJobIds();
    const untold = [...existing].filter((id) => !toldIds.has(id));
    const danglingIndex = [...indexed].filter((id) => !existing.has(id));
    const retried = told.filter((t) => t.sends > 1);
    // A retry that met the reservation (and maybe the job) the dead replica had made for its key.
    const created = await Promise.all(
      retried.map((t) =>
        fault.stack.admin.hget(`${fault.stack.prefix}:analytics-queries:${t.jobId}`, 'timestamp'),
      ),
    );
    const madeByDeadReplica = created.filter((ms) => Number(ms) < killedAt).length;

    reportFigures('3 API replica SIGKILL while submitting', {
      accepted: toldIds.size,
      succeeded: outcome.succeeded,
      failed: outcome.failed,
      lost: outcome.lost,
      runTwice: outcome.runTwice,
      recoveryMs: null,
      extra: {
        submissions: CLIENTS * PER_CLIENT,
        networkFailures,
        retriedOnOtherReplica: retried.length,
        retryMetDeadReplicaReservation: madeByDeadReplica,
        jobsNoClientToldOf: untold.length,
        indexEntriesWithoutJob: danglingIndex.length,
      },
      note: 'every submission carries an Idempotency-Key; a failed send is repeated on the other replica',
    });

    // One job per submission, each told to its client: none lost, none extra, none half-made.
    expect(told).toHaveLength(CLIENTS * PER_CLIENT);
    expect(toldIds.size).toBe(CLIENTS * PER_CLIENT);
    expect(outcome.failures).toEqual([]);
    expect(outcome).toMatchObject({ succeeded: toldIds.size, lost: 0 });
    expect(untold).toEqual([]);
    expect(danglingIndex).toEqual([]);
    // The survivor lists exactly the jobs the clients were told about.
    const listed = new Set<string>();
    let cursor: string | null = null;
    do {
      const page = await b.call('GET', `/v1/jobs?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
      for (const job of page.json.data) listed.add(job.job_id);
      cursor = page.json.next_cursor;
    } while (cursor);
    expect([...listed].sort()).toEqual([...toldIds].sort());
  });
});
