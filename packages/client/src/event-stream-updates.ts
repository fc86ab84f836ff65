import { abortedError, type HttpTransport } from './http-transport';
import { isTerminal, type JobUpdates } from './job-updates';
import type { Job } from './types';

interface ServerEvent {
  event: string;
  data: string;
}

/** Server-Sent Events parsed from a byte stream: blocks separated by a blank line. */
async function* serverEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<ServerEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = 'message';
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) continue;
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'event') event = value;
          else if (field === 'data') data.push(value);
        }
        if (data.length > 0) yield { event, data: data.join('\n') };
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/**
 * Job updates pushed by the API (`GET /v1/jobs/{id}/events`): the job as it is, then each
 * progress step and change of status, until it ends. When the stream is not available (an
 * API without it, or one that answers an error) or breaks off before the end, it falls
 * back to `fallback` (polling), which also reports errors such as an unknown job.
 */
export function eventStreamJobUpdates(http: HttpTransport, fallback: JobUpdates): JobUpdates {
  return async function* follow(jobId, signal) {
    let response: Response | null = null;
    try {
      response = await http.send({
        method: 'GET',
        path: `/v1/jobs/${encodeURIComponent(jobId)}/events`,
        accept: 'text/event-stream',
        signal,
      });
    } catch (error) {
      if (signal?.aborted) throw error;
    }
    const streaming = response?.ok && response.headers.get('content-type')?.startsWith('text/event-stream');
    if (!response?.body || !streaming) {
      await response?.body?.cancel().catch(() => undefined);
      yield* fallback(jobId, signal);
      return;
    }
    let last: Job | null = null;
    const events = serverEvents(response.body);
    try {
      for (;;) {
        let next: IteratorResult<ServerEvent>;
        try {
          next = await events.next();
        } catch {
          if (signal?.aborted) throw abortedError(signal);
          break; // the connection broke: polling finishes the job below
        }
        if (next.done) break;
        const { event, data } = next.value;
        if (event === 'status') last = JSON.parse(data) as Job;
        else if (event === 'progress' && last !== null) {
          const step = JSON.parse(data) as Pick<Job, 'status' | 'progress' | 'progress_measured'>;
          const previous: Job = last;
          last = { ...previous, status: step.status, progress: step.progress };
          // A progress event is a measurement (servers older than the field do not say so).
          const measured = step.progress_measured ?? previous.progress_measured;
          if (measured !== undefined) last.progress_measured = measured;
        } else continue;
        yield last;
        if (isTerminal(last)) return;
      }
    } finally {
      // However the caller stops (the end, a timeout, an abort), the stream is released.
      await events.return(undefined);
    }
    if (signal?.aborted) throw abortedError(signal);
    // The stream ended early (a dropped connection, a restarted replica): finish by polling.
    yield* fallback(jobId, signal);
  };
}
