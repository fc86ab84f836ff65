import type { RedisClient } from './redis-connection';

export interface RedisPolicy {
  /**
   * Redis's maxmemory-policy (CONFIG GET, else INFO memory), or null when Redis allows
   * neither (managed Redis often refuses CONFIG; some refuse INFO too).
   */
  maxmemoryPolicy: string | null;
  /** Only noeviction keeps Redis from silently dropping queued jobs when memory runs out. */
  ok: boolean;
  /** About eviction alone, as /readyz reports it; null when the policy is noeviction. */
  warning: string | null;
  /**
   * Whether Redis writes an append-only file (CONFIG GET appendonly, else INFO persistence's
   * aof_enabled), or null when that could not be checked. Without it a restarted Redis
   * has lost whatever was written since its last snapshot: queued jobs, job states, keys.
   */
  appendonly: boolean | null;
  /** Every warning, for the start-up logs: eviction's (as `warning`), then persistence's. */
  warnings: string[];
}

/** Only Redis refusing a command means "not allowed"; a connection failure is not an answer. */
function rethrowUnlessRefused(error: unknown): void {
  if (!(error instanceof Error) || error.name !== 'ReplyError') throw error;
}

/** A setting's value; null when Redis refuses CONFIG or does not know the setting. */
async function configGet(redis: RedisClient, name: string): Promise<string | null> {
  try {
    const reply = (await redis.config('GET', name)) as unknown as string[];
    return reply[1] ?? null;
  } catch (error) {
    rethrowUnlessRefused(error);
    return null;
  }
}

/** A field of one INFO section; null when Redis refuses INFO or has no such field. */
async function infoField(redis: RedisClient, section: string, field: string): Promise<string | null> {
  try {
    const text = await redis.info(section);
    return new RegExp(`^${field}:(.*?)\\r?$`, 'm').exec(text)?.[1] ?? null;
  } catch (error) {
    rethrowUnlessRefused(error);
    return null;
  }
}

const NOT_ALLOWED = 'CONFIG GET and INFO are not allowed on this Redis';

export async function checkRedisPolicy(redis: RedisClient): Promise<RedisPolicy> {
  const [configPolicy, configAppendonly] = await Promise.all([
    configGet(redis, 'maxmemory-policy'),
    configGet(redis, 'appendonly'),
  ]);
  // CONFIG is often refused on managed Redis, where INFO still answers the same questions.
  const policy = configPolicy ?? (await infoField(redis, 'memory', 'maxmemory_policy'));
  const aofEnabled = configAppendonly === null ? await infoField(redis, 'persistence', 'aof_enabled') : null;
  const aof =
    configAppendonly !== null ? configAppendonly === 'yes' : aofEnabled === null ? null : aofEnabled === '1';

  const ok = policy === null || policy === 'noeviction';
  const warning =
    policy === null
      ? `${NOT_ALLOWED}, so its maxmemory-policy could not be checked; make sure it is noeviction.`
      : ok
        ? null
        : `Redis maxmemory-policy is ${policy}: under memory pressure Redis may evict queued jobs and metadata; set it to noeviction.`;
  const persistence =
    aof === null
      ? `${NOT_ALLOWED}, so its persistence could not be checked; make sure appendonly is yes, or a restart of Redis loses queued jobs and job states.`
      : aof
        ? null
        : 'Redis appendonly is no (AOF off): a restart of Redis loses the queued jobs, job states and keys written since its last snapshot, if it takes any; set appendonly yes (with appendfsync everysec).';
  return {
    maxmemoryPolicy: policy,
    ok,
    warning,
    appendonly: aof,
    warnings: [warning, persistence].filter((w): w is string => w !== null),
  };
}
