/**
 * The process that converts uploads for an IngestProcess (ingest-process.ts): one engine
 * of its own, sandboxed and limited like any other, answering ingest requests over IPC.
 * Its options come as argv[2] (JSON); it exits when its parent disconnects.
 */
import { createEngine } from './create-engine';
import { EngineError } from './engine-error';
import type { EngineOptions } from './engine-types';
import type { IngestReply, IngestRequest } from './ingest-protocol';

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as EngineOptions;
  const engine = await createEngine({ ...options, progressConnections: 0 });
  // A parent gone (disconnected) no longer wants the answer.
  const reply = (message: IngestReply) => {
    if (process.connected) process.send?.(message);
  };
  process.on('message', (request: IngestRequest) => {
    engine.ingest(request.options).then(
      (result) => reply({ id: request.id, result }),
      (error: unknown) =>
        reply({
          id: request.id,
          error:
            error instanceof EngineError
              ? { code: error.code, message: error.message, details: error.details }
              : { code: 'internal', message: 'The dataset could not be converted.' },
        }),
    );
  });
  process.on('disconnect', () => {
    void engine.close().finally(() => process.exit(0));
  });
  reply({ id: 0, ready: true });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
