import { randomBytes } from 'node:crypto';

/** Opaque ids: a type prefix and 128 random bits, base64url (URL-safe, no `:` so BullMQ accepts it as a job id). */
export const ID_PREFIXES = { dataset: 'dset', query: 'qry', job: 'job', batch: 'bat' } as const;
export type IdKind = keyof typeof ID_PREFIXES;

const ID_BODY = '[A-Za-z0-9_-]{1,64}';

export const ID_PATTERNS: Record<IdKind, RegExp> = {
  dataset: new RegExp(`^dset_${ID_BODY}$`),
  query: new RegExp(`^qry_${ID_BODY}$`),
  job: new RegExp(`^job_${ID_BODY}$`),
  batch: new RegExp(`^bat_${ID_BODY}$`),
};

export function newId(kind: IdKind): string {
  return `${ID_PREFIXES[kind]}_${randomBytes(16).toString('base64url')}`;
}

/** Checked before an id reaches a Redis key or a file path. */
export function isId(kind: IdKind, value: string): boolean {
  return ID_PATTERNS[kind].test(value);
}
