import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createEngine } from './create-engine';
import type { Engine, EngineOptions } from './engine-types';

export interface TempEngine {
  /** The engine's data directory, a fresh folder under os.tmpdir(). */
  dir: string;
  engine: Engine;
  /** Closes the engine and deletes the folder. */
  cleanup(): Promise<void>;
}

/** For integration tests: a real engine over its own temporary data directory. */
export async function createTempEngine(options: Partial<EngineOptions> = {}): Promise<TempEngine> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'engine-test-'));
  const engine = await createEngine({ threads: 2, ...options, dataDir: dir });
  return {
    dir,
    engine,
    async cleanup() {
      await engine.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
