import type { JobStatus, TJobSummary } from '@repo/contracts';
import { jobIndexKeys } from './job-index';
import { isExpired, JOB_STATUS_FIELDS, parsePayload, type RawJobFields, toJobStatus } from './job-status';
import { jobKey } from './queue-names';
import type { RedisClient } from './redis-connection';
import { timeOrderedIndex } from './time-ordered-index';

export interface ListJobsOptions {
  tenant: string;
  queryId?: string;
  status?: JobStatus;
  limit: number;
  /** The index member the previous page ended at. */
  after: string | null;
  resultTtlSeconds: number;
}

/** A status filter may skip many entries; a page stops reading after this many and says where. */
const MAX_SCANNED = 1000;
const SUMMARY_FIELDS = JOB_STATUS_FIELDS.filter((field) => field !== 'returnvalue');

/**
 * Newest first from the tenant's (or the saved query's) own index, never a scan of other
 * jobs. Each batch of entries is read in one pipeline: the hash fields a summary needs and,
 * instead of the (possibly large) return value, whether there is one.
 */
export async function listJobs(
  redis: RedisClient,
  prefix: string,
  options: ListJobsOptions,
): Promise<{ data: TJobSummary[]; next: string | null }> {
  const index = options.queryId
    ? jobIndexKeys.query(prefix, options.tenant, options.queryId)
    : jobIndexKeys.tenant(prefix, options.tenant);
  const data: TJobSummary[] = [];
  let after = options.after;
  let scanned = 0;
  for (;;) {
    const batch = Math.min(options.limit + 1, MAX_SCANNED - scanned);
    const members = await timeOrderedIndex.after(redis, index, after, batch);
    const pipeline = redis.pipeline();
    for (const member of members) {
      const key = jobKey(prefix, timeOrderedIndex.idOf(member));
      pipeline.hmget(key, ...SUMMARY_FIELDS).hexists(key, 'returnvalue');
    }
    const replies = members.length > 0 ? ((await pipeline.exec()) ?? []) : [];
    for (const [i, member] of members.entries()) {
      if (data.length === options.limit) return { data, next: after };
      after = member;
      scanned += 1;
      const values = (replies[2 * i]?.[1] ?? []) as (string | null)[];
      const hasReturnValue = replies[2 * i + 1]?.[1] === 1;
      const raw = Object.fromEntries(
        SUMMARY_FIELDS.map((field, j) => [field, values[j] ?? null]),
      ) as RawJobFields;
      raw.returnvalue = hasReturnValue ? '{}' : null;
      const payload = isExpired(raw, options.resultTtlSeconds)
        ? null
        : parsePayload(raw.data, options.tenant);
      if (!payload) continue;
      const { results: _omitted, ...summary } = toJobStatus(
        timeOrderedIndex.idOf(member),
        raw,
        payload,
        options.resultTtlSeconds,
      );
      if (!options.status || summary.status === options.status) data.push(summary);
    }
    if (members.length < batch) return { data, next: null };
    if (scanned >= MAX_SCANNED) return { data, next: after };
  }
}
