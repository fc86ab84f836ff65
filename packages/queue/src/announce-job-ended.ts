import type { Config } from '@repo/config';
import { markBatchJobEnded, readBatchRecord } from './batch';
import type { RedisClient } from './redis-connection';
import type { TRunQueryPayload } from './run-query-job';
import { enqueueWebhook, type WebhookQueue } from './webhook-job';

/**
 * What follows a job's final state, wherever it was reached (a worker, or the API failing
 * a job no worker held): its webhook, and — for the last job of a batch to end — the
 * batch's webhook. Both are jobs with derived ids, so announcing twice sends nothing twice.
 */
export async function announceJobEnded(
  redis: RedisClient,
  webhooks: WebhookQueue,
  config: Pick<Config, 'QUEUE_PREFIX' | 'WEBHOOK_ATTEMPTS' | 'RESULT_TTL_SECONDS'>,
  jobId: string,
  payload: Pick<TRunQueryPayload, 'tenant' | 'callback_url' | 'batch_id'>,
): Promise<void> {
  if (payload.callback_url) {
    await enqueueWebhook(webhooks, config, {
      tenant: payload.tenant,
      job_id: jobId,
      callback_url: payload.callback_url,
    });
  }
  if (!payload.batch_id) return;
  const last = await markBatchJobEnded(
    redis,
    config.QUEUE_PREFIX,
    payload.batch_id,
    jobId,
    config.RESULT_TTL_SECONDS,
  );
  if (!last) return;
  const batch = await readBatchRecord(redis, config.QUEUE_PREFIX, payload.batch_id, payload.tenant);
  if (batch?.callback_url) {
    await enqueueWebhook(webhooks, config, {
      tenant: payload.tenant,
      batch_id: payload.batch_id,
      callback_url: batch.callback_url,
    });
  }
}
