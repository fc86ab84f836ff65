import type { AnalyticsClient } from '../analytics-client';
import type { Terminal } from './render';

/** How a command ends: the process's exit code. */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  unreachable: 3,
  refused: 4,
  waitTimeout: 5,
  interrupted: 130,
} as const;

export interface Output extends Terminal {
  write(chunk: string | Uint8Array): boolean;
  once(event: 'drain', listener: () => void): unknown;
}

export interface CliContext {
  /** The SDK client for --url/--key (or the environment); a usage error when there is no key. */
  client(): AnalyticsClient;
  stdout: Output;
  stderr: Output;
  /** Fires on Ctrl-C. */
  signal: AbortSignal;
  json: boolean;
  quiet: boolean;
}

/** Writes a response body to stdout as it arrives, waiting whenever stdout is full. */
export async function pipeToOutput(stream: ReadableStream<Uint8Array>, out: Output): Promise<void> {
  const reader = stream.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    if (!out.write(value)) await new Promise<void>((resolve) => out.once('drain', resolve));
  }
}
