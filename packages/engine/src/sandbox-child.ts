/**
 * A sandbox process (see sandbox-process.ts): one engine whose DuckDB can reach one tenant's
 * folder and nothing else, locked, answering requests over IPC. Several requests may run at
 * once, each on its own connection. It exits when its parent disconnects.
 */
import { createEngine } from './create-engine';
import { EngineError } from './engine-error';
import type { SandboxChildOptions, SandboxErrorBody, SandboxReply, SandboxRequest } from './sandbox-protocol';

function errorBody(error: unknown): SandboxErrorBody {
  return error instanceof EngineError
    ? { code: error.code, message: error.message, details: error.details }
    : { code: 'internal', message: 'The sandboxed engine failed.' };
}

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as SandboxChildOptions;
  const engine = await createEngine(options);
  // A parent gone (disconnected) no longer wants the answer.
  const reply = (message: SandboxReply) => {
    if (process.connected) process.send?.(message);
  };
  const running = new Map<number, AbortController>();

  async function serve(request: Exclude<SandboxRequest, { op: 'abort' }>): Promise<unknown> {
    switch (request.op) {
      case 'execute': {
        const controller = new AbortController();
        running.set(request.id, controller);
        try {
          const { progress, ...execute } = request.options;
          return await engine.execute({
            ...execute,
            signal: controller.signal,
            onProgress: progress ? (percent) => reply({ id: request.id, progress: percent }) : undefined,
          });
        } finally {
          running.delete(request.id);
        }
      }
      case 'ingest':
        return engine.ingest(request.options);
      case 'check':
        return engine.checkQueryAgainstDataset(request.sql, request.datasetPath);
    }
  }

  process.on('message', (request: SandboxRequest) => {
    if (request.op === 'abort') {
      running.get(request.id)?.abort(request.reason);
      return;
    }
    serve(request).then(
      (result) => reply({ id: request.id, result }),
      (error: unknown) => reply({ id: request.id, error: errorBody(error) }),
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
