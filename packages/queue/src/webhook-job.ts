import { createHmac, randomBytes } from 'node:crypto';
import type { Config } from '@repo/config';
import { Queue } from 'bullmq';
import { z } from 'zod';
import { jobKey } from './queue-names';
import type { RedisClient } from './redis-connection';

export const WEBHOOK_QUEUE_NAME = 'analytics-webhooks';
export const DELIVER_WEBHOOK_JOB_NAME = 'analytics.deliver-webhook';

/** One delivery of a terminal job's status to its callback_url, retried as its own job. */
export const ZDeliverWebhookPayload = z
  .object({
    tenant: z.string().min(1),
    /** The job whose status is delivered... */
    job_id: z.string().min(1).optional(),
    /** ...or the batch whose status is delivered (once, when its last job ended). */
    batch_id: z.string().min(1).optional(),
    callback_url: z.string().url(),
  })
  .refine(
    (p) => (p.job_id === undefined) !== (p.batch_id === undefined),
    'exactly one of job_id and batch_id',
  );
export type TDeliverWebhookPayload = z.infer<typeof ZDeliverWebhookPayload>;

export type WebhookQueue = Queue<TDeliverWebhookPayload>;

export function createWebhookQueue(connection: RedisClient, prefix: string): WebhookQueue {
  return new Queue<TDeliverWebhookPayload>(WEBHOOK_QUEUE_NAME, { connection, prefix });
}

/**
 * One delivery job per query job (its id is derived, so a rerun of the query, or a cancel
 * racing a worker, never sends twice), retried with exponential backoff.
 */
export async function enqueueWebhook(
  queue: WebhookQueue,
  config: Pick<Config, 'WEBHOOK_ATTEMPTS' | 'RESULT_TTL_SECONDS'>,
  payload: TDeliverWebhookPayload,
): Promise<void> {
  await queue.add(DELIVER_WEBHOOK_JOB_NAME, payload, {
    jobId: payload.batch_id ? `whb_${payload.batch_id}` : `wh_${payload.job_id}`,
    attempts: config.WEBHOOK_ATTEMPTS,
    backoff: { type: 'exponential', delay: 1_000 },
    removeOnComplete: { age: config.RESULT_TTL_SECONDS },
    removeOnFail: { age: config.RESULT_TTL_SECONDS },
  });
}

/** The tenant's signing secret, made on first use and kept in Redis. */
export async function webhookSecret(redis: RedisClient, prefix: string, tenant: string): Promise<string> {
  const key = `${prefix}:tenant:${tenant}:webhook-secret`;
  await redis.set(key, `whsec_${randomBytes(24).toString('base64url')}`, 'NX');
  const secret = await redis.get(key);
  if (!secret) throw new Error('webhook secret vanished');
  return secret;
}

/** `sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">`: the timestamp is signed, so replays can be refused. */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export interface WebhookState {
  attempts: number;
  last_status: number | null;
  delivered_at: string | null;
  last_error: string | null;
}

const SET_IF_JOB_EXISTS = `if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'webhook', ARGV[1]) end return 0`;

/** Recorded on the query job's own hash, so a status read still takes one HMGET. */
export async function recordWebhookState(
  redis: RedisClient,
  prefix: string,
  jobId: string,
  state: WebhookState,
): Promise<void> {
  await redis.eval(SET_IF_JOB_EXISTS, 1, jobKey(prefix, jobId), JSON.stringify(state));
}
