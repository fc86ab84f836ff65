import { Queue, QueueEvents } from 'bullmq';
import { QUERY_QUEUE_NAME } from './queue-names';
import type { RedisClient } from './redis-connection';
import type { TRunQueryPayload, TRunQueryResult } from './run-query-job';

export type QueryQueue = Queue<TRunQueryPayload, TRunQueryResult>;

/** The producer side: shares the caller's fail-fast connection. */
export function createQueryQueue(connection: RedisClient, prefix: string): QueryQueue {
  return new Queue<TRunQueryPayload, TRunQueryResult>(QUERY_QUEUE_NAME, { connection, prefix });
}

/**
 * The observer side. QueueEvents blocks on the events stream, so it is given a
 * 'blocking' role client (which BullMQ duplicates; the caller closes its own).
 */
export function createQueryQueueEvents(
  blockingClient: RedisClient,
  prefix: string,
  onError: (error: Error) => void,
): QueueEvents {
  const events = new QueueEvents(QUERY_QUEUE_NAME, { connection: blockingClient, prefix });
  events.on('error', onError);
  return events;
}
