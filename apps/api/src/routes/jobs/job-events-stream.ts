import { JOB_STATUSES, TERMINAL_STATUSES, type TJobStatus } from '@repo/contracts';
import type { Response } from 'express';
import type { JobEventHub } from './job-event-hub';

export interface JobEventsStreamOptions {
  jobId: string;
  hub: JobEventHub;
  /** Reads the job's status now (null: gone). */
  readStatus: () => Promise<TJobStatus | null>;
  keepAliveMs: number;
}

const rank = (status: TJobStatus['status']) => JOB_STATUSES.indexOf(status);

/**
 * `GET /v1/jobs/{id}/events` as Server-Sent Events. It subscribes first, then sends the
 * job's current state as a `status` event — so a late subscriber, or one reconnecting with
 * Last-Event-ID, misses nothing — then `progress` events (only rising) and a `status`
 * event at each change of status (only forward), and closes after the terminal one.
 * Events are handled one at a time, in the order Redis gave them.
 * A progress event is a figure DuckDB measured (the worker writes no other), so it says
 * `progress_measured: true`, and is sent even at a figure that has not risen when it is the
 * first measurement the client hears of. The worker's 100 on success is the status event's.
 */
export async function streamJobEvents(res: Response, options: JobEventsStreamOptions): Promise<void> {
  const { jobId, hub } = options;
  res.status(200).set({
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    Connection: 'keep-alive',
    // Proxies such as nginx would otherwise hold events back.
    'X-Accel-Buffering': 'no',
  });
  res.flushHeaders();

  let lastStatus: TJobStatus | null = null;
  let lastProgress = -1;
  // Whether the client has been told that the progress is measured.
  let measuredSent = false;
  let closed = false;
  let chain: Promise<void> = Promise.resolve();
  const write = (event: string, data: unknown, id?: string) => {
    if (!closed) res.write(`${id ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const close = () => {
    if (closed) return;
    closed = true;
    unsubscribe();
    clearInterval(keepAlive);
    res.end();
  };
  const sendStatus = (status: TJobStatus, id?: string) => {
    if (lastStatus && rank(status.status) <= rank(lastStatus.status) && status.progress <= lastProgress)
      return;
    if (lastStatus && rank(status.status) < rank(lastStatus.status)) return;
    lastStatus = status;
    lastProgress = Math.max(lastProgress, status.progress);
    measuredSent ||= status.progress_measured === true;
    write('status', status, id);
    if (TERMINAL_STATUSES.includes(status.status)) close();
  };
  const refresh = async (id?: string) => {
    const status = await options.readStatus();
    if (status) sendStatus(status, id);
    else close();
  };

  const unsubscribe = hub.subscribe(jobId, (event) => {
    chain = chain
      .then(async () => {
        if (closed) return;
        if (event.type === 'progress') {
          // Progress is a number below 100 until the job succeeds (the 100 written then is the
          // status event's to tell); a late or repeated one is dropped.
          if (!(event.progress < 100)) return;
          const progress = Math.max(0, Math.floor(event.progress));
          if (
            (progress > lastProgress || (progress === lastProgress && !measuredSent)) &&
            lastStatus?.status !== 'succeeded' &&
            lastStatus?.status !== 'failed'
          ) {
            lastProgress = progress;
            measuredSent = true;
            write(
              'progress',
              { job_id: jobId, status: 'running', progress, progress_measured: true },
              event.id,
            );
          }
          return;
        }
        await refresh(event.id);
      })
      .catch(close);
  });
  const keepAlive = setInterval(() => {
    if (!closed) res.write(': keep-alive\n\n');
  }, options.keepAliveMs);
  res.on('close', close);
  chain = chain.then(() => refresh()).catch(close);
  await chain;
}
