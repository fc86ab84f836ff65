import type { QueueEvents } from 'bullmq';

export type JobEvent =
  | { type: 'progress'; progress: number; id: string }
  | { type: 'active' | 'ended'; id: string };

type Listener = (event: JobEvent) => void;

/**
 * Fans the API process's one QueueEvents stream out to the SSE streams that watch a job:
 * thousands of idle streams cost a map entry each, not a Redis connection. Events are
 * read from Redis (BullMQ's events stream), so any replica sees every job's events.
 */
export class JobEventHub {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly resetListeners = new Set<(jobId: string) => void>();

  constructor(queueEvents: QueueEvents) {
    queueEvents.on('progress', ({ jobId, data }, id) => {
      if (typeof data === 'number') this.emit(jobId, { type: 'progress', progress: data, id });
    });
    queueEvents.on('active', ({ jobId }, id) => this.emit(jobId, { type: 'active', id }));
    queueEvents.on('completed', ({ jobId }, id) => this.emit(jobId, { type: 'ended', id }));
    queueEvents.on('failed', ({ jobId }, id) => this.emit(jobId, { type: 'ended', id }));
    // A job queued again (retried by hand, from the dashboard) or removed is no longer what
    // it was when it ended. ('waiting' also comes for every new job: a cheap no-op there.)
    queueEvents.on('waiting', ({ jobId }) => this.reset(jobId));
    queueEvents.on('removed', ({ jobId }) => this.reset(jobId));
  }

  /** Told of every job that is queued again or removed; returns the function that stops it. */
  onReset(listener: (jobId: string) => void): () => void {
    this.resetListeners.add(listener);
    return () => this.resetListeners.delete(listener);
  }

  /** Returns the function that stops listening. */
  subscribe(jobId: string, listener: Listener): () => void {
    let set = this.listeners.get(jobId);
    if (!set) {
      set = new Set();
      this.listeners.set(jobId, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(jobId) === set) this.listeners.delete(jobId);
    };
  }

  /** Streams open now, for tests and metrics. */
  get watched(): number {
    let count = 0;
    for (const set of this.listeners.values()) count += set.size;
    return count;
  }

  private reset(jobId: string): void {
    for (const listener of this.resetListeners) listener(jobId);
  }

  private emit(jobId: string, event: JobEvent): void {
    for (const listener of this.listeners.get(jobId) ?? []) listener(event);
  }
}
