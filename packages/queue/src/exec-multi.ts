import type { RedisClient } from './redis-connection';

export type RedisMulti = ReturnType<RedisClient['multi']>;

/** ioredis reports a failed command inside MULTI in its result, not by rejecting: this rejects. */
export async function execMulti(multi: RedisMulti): Promise<void> {
  const results = await multi.exec();
  const failed = results?.find(([error]) => error !== null);
  if (failed?.[0]) throw failed[0];
}
