import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newId } from '@repo/contracts';
import { dataLayout } from '@repo/queue';
import { startWorker, type WorkerProcess } from '@repo/test-utils';
import type { QueryRecord } from '../stores/query-store';
import { createTestApi, type TestApi } from '../testing/test-api';
import { expectError, uploadCsv } from './security-fixtures';

let api: TestApi;
let worker: WorkerProcess;
let datasetId: string;
let globexDatasetId: string;
const outside = join(tmpdir(), `sandbox-secret-${process.pid}.csv`);

beforeAll(async () => {
  api = await createTestApi({ DUCKDB_MEMORY_LIMIT: '256MB' });
  worker = await startWorker(api.env);
  datasetId = (await uploadCsv(api)).dataset_id;
  globexDatasetId = (await uploadCsv(api, 'globex')).dataset_id;
  await writeFile(outside, 'secret\nTOP-SECRET-VALUE\n');
});
afterAll(async () => {
  await worker?.stop();
  await api?.close();
});

describe('at save time, user SQL may only read its dataset', () => {
  const globexFile = () => dataLayout.datasetFile(api.dataDir, 'globex', globexDatasetId);
  it.each([
    ['read_csv on a server file', () => `SELECT * FROM read_csv('${outside}')`],
    ['read_parquet on another tenant’s dataset', () => `SELECT * FROM read_parquet('${globexFile()}')`],
    ['read_text', () => "SELECT content FROM read_text('/etc/passwd')"],
    ['a file named as a table', () => `SELECT * FROM '../../globex/datasets/${globexDatasetId}.parquet'`],
    ['glob', () => "SELECT * FROM glob('/*')"],
    ['COPY', () => "COPY (SELECT * FROM dataset) TO '/tmp/out.csv'"],
    ['ATTACH', () => "ATTACH '/tmp/x.duckdb' AS x"],
    ['INSTALL', () => 'INSTALL httpfs'],
    ['LOAD', () => 'LOAD httpfs'],
    ['PRAGMA', () => 'PRAGMA database_list'],
    ['SET', () => 'SET threads = 64'],
    ['CALL', () => 'CALL pragma_version()'],
    ['EXPORT', () => "EXPORT DATABASE '/tmp/dump'"],
    ['several statements', () => 'SELECT * FROM dataset; DROP VIEW dataset'],
    ['current_setting', () => "SELECT current_setting('allowed_directories')"],
    ['getenv', () => "SELECT getenv('HOME') FROM dataset"],
    ['duckdb_settings', () => 'SELECT * FROM duckdb_settings()'],
    ['pg_get_viewdef', () => 'SELECT pg_get_viewdef(i) FROM range(100000) t(i)'],
    ['version', () => 'SELECT version()'],
    ['the catalog', () => 'SELECT * FROM information_schema.tables'],
  ])('refuses %s with 422', async (_what, sql) => {
    const res = await api.as().post('/v1/save').send({ name: 'x', query: sql(), dataset_id: datasetId });
    expectError(res, 422, 'invalid_query', api.dataDir);
    expect(res.text).not.toContain('TOP-SECRET');
  });
});

describe('at run time, the worker refuses it again (the save-time check bypassed on purpose)', () => {
  /** Stores a query as if vetting had let it through, then runs it synchronously. */
  async function runUnvetted(sql: string) {
    const queryId = newId('query');
    const record: QueryRecord = {
      tenant: 'acme',
      query_id: queryId,
      name: 'unvetted',
      description: null,
      query: sql,
      dataset_id: datasetId,
      sql,
      parameters: [],
      literals: {},
      created_ms: Date.now(),
    };
    await api.deps.queries.insert(queryId, record);
    return api.as().post(`/v1/query/${queryId}`).send({});
  }

  it.each([
    ['a file outside the data folder', `SELECT * FROM read_csv('${outside}')`],
    ['/etc/passwd', "SELECT * FROM read_text('/etc/passwd')"],
    ['a listing of the file system', "SELECT * FROM glob('/*')"],
    ['a smuggled second statement', 'SELECT 1 AS x; SET threads = 8'],
  ])('refuses %s: the job fails as query_error and shows nothing', async (_what, sql) => {
    const res = await runUnvetted(sql);
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ status: 'failed', error_code: 'query_error', results: null });
    expect(res.text).not.toContain('TOP-SECRET');
    expect(res.text).not.toMatch(/root:x:0/);
    expect(res.text).not.toContain(api.dataDir);
  });

  it('runs DuckDB with external access off, settings locked, no extension autoloading, and the limits', async () => {
    // The worker's own report of DuckDB's settings, in its ready line. (That DuckDB enforces
    // them, with the check above out of the way, is packages/engine's sandbox test.)
    const ready = worker
      .output()
      .split('\n')
      .map((line) => (line.startsWith('{') ? JSON.parse(line) : {}))
      .find((entry) => entry.msg === 'worker ready');
    expect(ready?.duckdb).toMatchObject({
      enable_external_access: 'false',
      lock_configuration: 'true',
      autoload_known_extensions: 'false',
      autoinstall_known_extensions: 'false',
      threads: '1',
      memory_limit: '244.1 MiB',
      max_temp_directory_size: '9.3 GiB',
    });
    expect(JSON.stringify(ready?.duckdb)).not.toContain('TOP-SECRET');
  });
});
