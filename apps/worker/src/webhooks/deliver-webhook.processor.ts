import type { Config } from '@repo/config';
import { TERMINAL_STATUSES } from '@repo/contracts';
import {
  type RedisClient,
  readBatchStatus,
  readJobStatus,
  recordWebhookState,
  signWebhook,
  type TDeliverWebhookPayload,
  type WebhookState,
  webhookSecret,
  ZDeliverWebhookPayload,
} from '@repo/queue';
import { type Job, UnrecoverableError } from 'bullmq';
import type { Logger } from 'pino';
import { postWebhook, WebhookFailure, WebhookRefused } from './post-webhook';

export interface DeliverWebhookDeps {
  config: Pick<
    Config,
    'QUEUE_PREFIX' | 'RESULT_TTL_SECONDS' | 'WEBHOOK_ALLOWED_HOSTS' | 'WEBHOOK_TIMEOUT_MS'
  >;
  redis: RedisClient;
  logger: Logger;
}

/**
 * Delivers a terminal job's status body to its callback_url, signed with the tenant's
 * secret; each attempt is recorded on the job (`webhook` in its status). A non-2xx answer
 * or a network error is retried with backoff by BullMQ; a refused address is not. The
 * job's `last_error` names the kind of failure only (never an address: see WebhookFailure).
 */
export function createDeliverWebhookProcessor(deps: DeliverWebhookDeps) {
  const { config, redis } = deps;
  /** What is delivered: the job's status (its delivery recorded on it) or the batch's. */
  async function subject(payload: TDeliverWebhookPayload): Promise<Subject | null> {
    if (payload.batch_id) {
      const batch = await readBatchStatus(redis, config.QUEUE_PREFIX, payload.batch_id, payload.tenant);
      if (!batch) return null;
      return {
        body: batch,
        ended: TERMINAL_STATUSES.includes(batch.status),
        attempts: 0,
        record: async () => {},
      };
    }
    const jobId = payload.job_id ?? '';
    const status = await readJobStatus(
      redis,
      config.QUEUE_PREFIX,
      jobId,
      payload.tenant,
      config.RESULT_TTL_SECONDS,
    );
    if (!status) return null;
    const { webhook, ...body } = status;
    return {
      body,
      ended: TERMINAL_STATUSES.includes(status.status),
      attempts: webhook?.attempts ?? 0,
      record: (state) => recordWebhookState(redis, config.QUEUE_PREFIX, jobId, state),
    };
  }

  return async function deliverWebhook(job: Job<TDeliverWebhookPayload>): Promise<{ status: number }> {
    const payload = ZDeliverWebhookPayload.parse(job.data);
    const logger = deps.logger.child({ jobId: payload.job_id, batchId: payload.batch_id, webhook: job.id });
    const target = await subject(payload);
    if (!target) {
      logger.info('webhook dropped: the job or batch is gone');
      return { status: 0 };
    }
    // Enqueued as the job ends; the end itself may land a moment later.
    if (!target.ended) throw new Error('not ended yet');
    // What the tenant reads on the job: the deliveries tried (a batch's are not recorded).
    const attempts = target.attempts + 1;
    // What the log says: BullMQ's attempt of this delivery job out of its maximum. While the
    // processor runs, attemptsMade counts the attempts already ended (attemptsStarted counts
    // this one too, and stalled restarts, which do not use up attempts).
    const attempt = { attempt: job.attemptsMade + 1, maxAttempts: job.opts.attempts ?? 1 };
    const raw = JSON.stringify(target.body);
    const timestamp = Math.floor(Date.now() / 1000);
    const secret = await webhookSecret(redis, config.QUEUE_PREFIX, payload.tenant);
    let response: { status: number };
    try {
      response = await postWebhook({
        url: payload.callback_url,
        body: raw,
        headers: {
          'X-Signature': signWebhook(secret, timestamp, raw),
          'X-Webhook-Timestamp': String(timestamp),
          'X-Webhook-Id': String(job.id),
          'User-Agent': 'analytics-jobs-webhooks/1',
        },
        allowedHosts: config.WEBHOOK_ALLOWED_HOSTS,
        timeoutMs: config.WEBHOOK_TIMEOUT_MS,
      });
    } catch (error) {
      // The tenant reads the kind of problem; the address it involved goes to the log only.
      const tenantMessage = error instanceof WebhookFailure ? error.tenantMessage : 'the delivery failed';
      await target.record({ attempts, last_status: null, delivered_at: null, last_error: tenantMessage });
      const detail = error instanceof Error ? error.message : String(error);
      logger.warn({ ...attempt, err: detail }, 'webhook not delivered');
      if (error instanceof WebhookRefused) throw new UnrecoverableError(detail);
      throw error;
    }
    const delivered = response.status >= 200 && response.status < 300;
    const answered = `the receiver answered HTTP ${response.status}`;
    await target.record({
      attempts,
      last_status: response.status,
      delivered_at: delivered ? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') : null,
      last_error: delivered ? null : answered,
    });
    if (!delivered) {
      logger.warn({ ...attempt, httpStatus: response.status }, 'webhook not delivered');
      throw new Error(answered);
    }
    logger.info({ ...attempt, httpStatus: response.status }, 'webhook delivered');
    return response;
  };
}

interface Subject {
  body: object;
  ended: boolean;
  attempts: number;
  record: (state: WebhookState) => Promise<void>;
}
