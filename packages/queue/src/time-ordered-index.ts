import type { RedisClient } from './redis-connection';

const MAX_TIMESTAMP = 9_999_999_999_999;
const MEMBER = /^\d{13}:[A-Za-z0-9_-]+$/;

/**
 * A newest-first index of ids in a sorted set whose scores are all 0, ordered by member
 * `<13-digit inverted timestamp>:<id>`: ZRANGE BYLEX walks it newest first, and a cursor
 * is simply the last member seen, so paging is exact even while entries come and go.
 */
export const timeOrderedIndex = {
  member(createdMs: number, id: string): string {
    return `${String(MAX_TIMESTAMP - createdMs).padStart(13, '0')}:${id}`;
  },

  idOf(member: string): string {
    return member.slice(14);
  },

  cursorOf(member: string): string {
    return Buffer.from(member, 'utf8').toString('base64url');
  },

  /** The member a cursor stands for, or null when it is not one we gave out. */
  memberOf(cursor: string): string | null {
    const member = Buffer.from(cursor, 'base64url').toString('utf8');
    return MEMBER.test(member) ? member : null;
  },

  /** Up to `count` members after `afterMember` (exclusive), newest first. */
  async after(redis: RedisClient, key: string, afterMember: string | null, count: number): Promise<string[]> {
    return redis.zrangebylex(key, afterMember === null ? '-' : `(${afterMember}`, '+', 'LIMIT', 0, count);
  },
};
