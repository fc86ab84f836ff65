import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createEngine } from './create-engine';

describe('createEngine', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'engine-create-'));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('creates the data directory, applies limits, keeps DuckDB spill files inside it, and locks', async () => {
    const dataDir = path.join(root, 'nested', 'data');
    const engine = await createEngine({ dataDir, threads: 1, memoryLimit: '512MB', maxTempSize: '1GB' });
    try {
      expect((await stat(dataDir)).isDirectory()).toBe(true);
      await writeFile(path.join(dataDir, 'one.csv'), 'x\n1\n');
      const datasetPath = path.join(dataDir, 'one.parquet');
      await engine.ingest({
        sourcePath: path.join(dataDir, 'one.csv'),
        format: 'csv',
        targetPath: datasetPath,
      });
      const result = await engine.execute({
        sql: `SELECT current_setting('threads') AS threads, current_setting('memory_limit') AS memory,
                current_setting('temp_directory') AS spill, current_setting('lock_configuration') AS locked,
                current_setting('autoload_known_extensions') AS autoload,
                current_setting('max_temp_directory_size') AS spill_cap`,
        params: {},
        datasetPath,
        inlineRowLimit: 1,
      });
      expect(result.rows).toEqual([
        [1, '488.2 MiB', path.join(dataDir, '.duckdb-tmp'), true, false, '953.6 MiB'],
      ]);
      expect(await engine.describeSettings()).toEqual({
        threads: '1',
        memory_limit: '488.2 MiB',
        max_temp_directory_size: '953.6 MiB',
        temp_directory: path.join(dataDir, '.duckdb-tmp'),
        enable_external_access: 'false',
        lock_configuration: 'true',
        autoload_known_extensions: 'false',
        autoinstall_known_extensions: 'false',
      });
    } finally {
      await engine.close();
    }
  });

  it('fails a query that would spill more than its cap, and keeps working', async () => {
    const dataDir = path.join(root, 'spill');
    const engine = await createEngine({ dataDir, threads: 1, memoryLimit: '100MB', maxTempSize: '8MB' });
    try {
      await writeFile(path.join(dataDir, 'one.csv'), 'x\n1\n');
      const datasetPath = path.join(dataDir, 'one.parquet');
      await engine.ingest({
        sourcePath: path.join(dataDir, 'one.csv'),
        format: 'csv',
        targetPath: datasetPath,
      });
      // About 200 MB of distinct strings to sort: far past both the memory and the spill cap.
      const sorting = engine.execute({
        sql: "SELECT md5(range::VARCHAR) || repeat('x', 60) AS s FROM range(2000000) ORDER BY s",
        params: {},
        datasetPath,
        inlineRowLimit: 1,
      });
      const error = await sorting.catch((e: unknown) => e);
      // Out of memory is not the query's fault alone (jobs share the limit), so it stays retryable.
      expect(error).toMatchObject({ name: 'EngineError', code: 'internal' });
      // DuckDB could not spill past the cap: 8 MB is 7.6 MiB.
      expect((error as Error).message).toMatch(/Failed to offload .*\/7\.6 MiB used/);
      const after = await engine.execute({ sql: 'SELECT 1', params: {}, datasetPath, inlineRowLimit: 1 });
      expect(after.rows).toEqual([[1]]);
    } finally {
      await engine.close();
    }
  });

  it('refuses work once closed, and closes twice without complaint', async () => {
    const engine = await createEngine({ dataDir: path.join(root, 'closed') });
    await engine.close();
    await engine.close();
    await expect(engine.vetSql('SELECT 1')).rejects.toMatchObject({
      code: 'internal',
      message: 'The engine is closed.',
    });
  });

  it('refuses an invalid thread count', async () => {
    await expect(createEngine({ dataDir: path.join(root, 'bad'), threads: 0 })).rejects.toMatchObject({
      code: 'internal',
    });
  });
});
