import type { RedisMulti } from './exec-multi';
import type { RedisClient } from './redis-connection';
import { timeOrderedIndex } from './time-ordered-index';

export interface IndexedJob {
  tenant: string;
  queryId: string;
  jobId: string;
  createdMs: number;
}

/**
 * Where a job is listed, all under the hash-tagged prefix: newest first per tenant and
 * per saved query (for `GET /v1/jobs`), and oldest first across tenants by creation time
 * (for the retention sweep, which only ever looks at jobs older than the TTL).
 */
export const jobIndexKeys = {
  tenant: (prefix: string, tenant: string) => `${prefix}:tenant:${tenant}:jobs`,
  query: (prefix: string, tenant: string, queryId: string) =>
    `${prefix}:tenant:${tenant}:query:${queryId}:jobs`,
  byCreation: (prefix: string) => `${prefix}:jobs:by-creation`,
};

/** `jobId|tenant|queryId` — ids and tenants never contain `|`. */
function creationMember(job: IndexedJob): string {
  return `${job.jobId}|${job.tenant}|${job.queryId}`;
}

export function parseCreationMember(member: string, createdMs: number): IndexedJob | null {
  const [jobId, tenant, queryId] = member.split('|');
  return jobId && tenant && queryId ? { jobId, tenant, queryId, createdMs } : null;
}

/** Adds one job to its three indexes, atomically. */
const INDEX_JOB = `
redis.call('ZADD', KEYS[1], 0, ARGV[1])
redis.call('ZADD', KEYS[2], 0, ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[3])
return 1
`;

/**
 * One job's index entries as one atomic command: every run writes them, and MULTI, three
 * ZADDs and EXEC cost the API five commands to encode and parse where this costs one.
 */
export async function indexJob(redis: RedisClient, prefix: string, job: IndexedJob): Promise<void> {
  await redis.eval(
    INDEX_JOB,
    3,
    jobIndexKeys.tenant(prefix, job.tenant),
    jobIndexKeys.query(prefix, job.tenant, job.queryId),
    jobIndexKeys.byCreation(prefix),
    timeOrderedIndex.member(job.createdMs, job.jobId),
    String(job.createdMs),
    creationMember(job),
  );
}

/** The same entries as indexJob, for many jobs inside one MULTI (batches). */
export function addJobToIndexes(multi: RedisMulti, prefix: string, job: IndexedJob): RedisMulti {
  const member = timeOrderedIndex.member(job.createdMs, job.jobId);
  return multi
    .zadd(jobIndexKeys.tenant(prefix, job.tenant), 0, member)
    .zadd(jobIndexKeys.query(prefix, job.tenant, job.queryId), 0, member)
    .zadd(jobIndexKeys.byCreation(prefix), job.createdMs, creationMember(job));
}

export function removeJobFromIndexes(multi: RedisMulti, prefix: string, job: IndexedJob): RedisMulti {
  const member = timeOrderedIndex.member(job.createdMs, job.jobId);
  return multi
    .zrem(jobIndexKeys.tenant(prefix, job.tenant), member)
    .zrem(jobIndexKeys.query(prefix, job.tenant, job.queryId), member)
    .zrem(jobIndexKeys.byCreation(prefix), creationMember(job));
}
