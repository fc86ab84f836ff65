import { cancelSignal, createRedisClient, type RedisClient } from '@repo/queue';
import { makeTestEnv, waitFor } from '@repo/test-utils';
import pino from 'pino';
import { listenForCancels } from './cancel-listener';
import { INTERRUPT_REASONS } from './processors/job-failure-error';

describe('listenForCancels', () => {
  const { config } = makeTestEnv();
  const clients: RedisClient[] = [];
  const errors: string[] = [];
  const client = () => {
    const redis = createRedisClient(config, 'blocking', (error) => errors.push(error.message));
    clients.push(redis);
    return redis;
  };
  afterAll(() => {
    for (const redis of clients) redis.disconnect();
  });

  it('hears a cancel when it subscribes in the middle of the connection handshake', async () => {
    const subscriber = client();
    // The moment the worker used to subscribe: connected, handshake still under way.
    await new Promise((resolve) => subscriber.once('connect', resolve));
    const cancelled: [string, unknown][] = [];
    const worker = {
      cancelJob: (jobId: string, reason?: string) => cancelled.push([jobId, reason]) > 0,
    };
    await listenForCancels(subscriber, config.QUEUE_PREFIX, worker, pino({ level: 'silent' }));

    const publisher = client();
    await cancelSignal.request(publisher, `${config.QUEUE_PREFIX}-other`, 'job_elsewhere');
    await cancelSignal.request(publisher, config.QUEUE_PREFIX, 'job_here');
    await waitFor('the cancel to arrive', async () => cancelled.length > 0, 5_000);
    expect(cancelled).toEqual([['job_here', INTERRUPT_REASONS.cancelled]]);
    expect(errors).toEqual([]);
  });
});
