import { ReplyError } from 'ioredis';
import { isRedisOutOfMemory, isRedisUnavailable } from './redis-connection';

/** Redis's own words when it is at maxmemory with noeviction. */
const OOM = "OOM command not allowed when used memory > 'maxmemory'.";

/** What ioredis rejects MULTI/EXEC with when Redis refused the queued commands. */
function execAbort(...previous: Error[]): Error {
  return Object.assign(new ReplyError('EXECABORT Transaction discarded because of previous errors.'), {
    previousErrors: previous,
  });
}

describe('Redis error classification', () => {
  it('recognises out of memory, alone, in a script, and inside MULTI', () => {
    expect(isRedisOutOfMemory(new ReplyError(OOM))).toBe(true);
    expect(isRedisOutOfMemory(new ReplyError(`${OOM} script: 1e9bb7d, on @user_script:119.`))).toBe(true);
    expect(isRedisOutOfMemory(execAbort(new ReplyError(OOM), new ReplyError(OOM)))).toBe(true);
  });

  it('ends on an error that lists itself among its previous errors (a connection lost mid-MULTI)', () => {
    const closed = execAbort();
    (closed as Error & { previousErrors: Error[] }).previousErrors.push(closed);
    expect(isRedisOutOfMemory(closed)).toBe(false);
  });

  it('does not take other failures for out of memory', () => {
    expect(isRedisOutOfMemory(execAbort(new ReplyError('WRONGTYPE Operation against a key')))).toBe(false);
    expect(isRedisOutOfMemory(new Error('Connection is closed.'))).toBe(false);
    expect(isRedisOutOfMemory('OOM')).toBe(false);
  });

  it('counts out of memory among the times Redis cannot take work', () => {
    expect(isRedisUnavailable(execAbort(new ReplyError(OOM)))).toBe(true);
    expect(isRedisUnavailable(new Error('Connection is closed.'))).toBe(true);
    expect(isRedisUnavailable(new ReplyError('ERR syntax error'))).toBe(false);
  });
});
