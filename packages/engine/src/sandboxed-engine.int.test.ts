import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createEngine } from './create-engine';
import type { SandboxedEngine } from './engine-types';
import { createSandboxedEngine } from './sandboxed-engine';

/**
 * The sandbox by construction: the engine is handed SQL that no vetting has seen, and what a
 * tenant's query can reach is still only its own folder. Limits hold by killing the process.
 */
const MARKER = 'GLOBEX-MARKER-7f3a9c';
/** Constant folding that DuckDB cannot interrupt: about 45 s of one core when left alone. */
const SLOW_FOLDING =
  "SELECT 1 AS x FROM dataset WHERE length(regexp_replace(repeat('ab', 30000000), 'a', 'xyz', 'g')) > 0";

let root: string;
let engine: SandboxedEngine;
const tenantDir = (tenant: string) => path.join(root, 'tenants', tenant);
const datasetOf = (tenant: string) => path.join(tenantDir(tenant), 'datasets', 'd.parquet');

async function storeDataset(tenant: string, csv: string): Promise<void> {
  await mkdir(path.dirname(datasetOf(tenant)), { recursive: true });
  const source = path.join(tenantDir(tenant), 'seed.csv');
  await writeFile(source, csv);
  const local = await createEngine({ dataDir: tenantDir(tenant), progressConnections: 0 });
  try {
    await local.ingest({ sourcePath: source, format: 'csv', targetPath: datasetOf(tenant) });
  } finally {
    await local.close();
  }
}

const run = (tenant: string, sql: string, extra: { signal?: AbortSignal } = {}) =>
  engine.execute(tenant, { sql, params: {}, datasetPath: datasetOf(tenant), inlineRowLimit: 100, ...extra });

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'sandboxed-engine-'));
  await storeDataset('acme', 'n,name\n1,a\n2,b\n');
  await storeDataset('globex', `secret\n${MARKER}\n`);
  await storeDataset('acme2', `secret\n${MARKER}\n`);
  engine = await createSandboxedEngine({
    dataDir: root,
    tenantDirs: (tenant) => [tenantDir(tenant)],
    threads: 1,
    memoryMaxBytes: 1.5e9,
    maxProcesses: 4,
    progressConnections: 1,
  });
});
afterAll(async () => {
  await engine?.close();
  await rm(root, { recursive: true, force: true });
});

describe("a tenant's query reaches only its own folder, whatever its SQL", () => {
  const globexFile = () => datasetOf('globex');
  it.each([
    ['read_parquet', () => `SELECT * FROM read_parquet('${globexFile()}')`],
    ['read_csv', () => `SELECT * FROM read_csv('${path.join(tenantDir('globex'), 'seed.csv')}')`],
    ['read_text', () => `SELECT * FROM read_text('${globexFile()}')`],
    ['query() planning text', () => `SELECT * FROM query('SELECT * FROM read_parquet(''${globexFile()}'')')`],
    ['a relative path', () => "SELECT * FROM '../globex/datasets/d.parquet'"],
    ['a tenant whose name extends its own', () => `SELECT * FROM '${datasetOf('acme2')}'`],
    ['a glob over every tenant', () => `SELECT * FROM glob('${root}/**')`],
    ['parquet_schema', () => `SELECT * FROM parquet_schema('${globexFile()}')`],
  ])('%s: refused, naming no file and showing nothing', async (_what, sql) => {
    const error = await run('acme', sql()).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(error).toMatchObject({ name: 'EngineError', code: 'query_error' });
    expect(error?.message).not.toContain(MARKER);
    expect(error?.message).not.toContain(root);
    expect(error?.message).not.toContain('globex');
    expect(error?.message).not.toContain('acme2');
  });

  it('still reads its own files, and the other tenant reads its own', async () => {
    await expect(
      run('acme', `SELECT sum(n) AS s FROM read_parquet('${datasetOf('acme')}')`),
    ).resolves.toMatchObject({ rows: [[3]] });
    await expect(run('globex', 'SELECT secret FROM dataset')).resolves.toMatchObject({ rows: [[MARKER]] });
    // A glob over its own folder lists its own files only.
    const listed = await run('acme', `SELECT file FROM glob('${tenantDir('acme')}/**')`);
    expect(JSON.stringify(listed.rows)).not.toContain('globex');
  });
});

describe('limits hold at the process level', () => {
  it('ends a query within the abort grace even while DuckDB folds constants, and the tenant runs on', async () => {
    const started = Date.now();
    await expect(run('acme', SLOW_FOLDING, { signal: AbortSignal.timeout(300) })).rejects.toMatchObject({
      code: 'interrupted',
    });
    // Left alone it runs ~45 s; killed, it ends about 0.5 s after the timeout.
    expect(Date.now() - started).toBeLessThan(15_000);
    await expect(run('acme', 'SELECT count(*) AS c FROM dataset')).resolves.toMatchObject({ rows: [[2]] });
  });

  it('bounds a save-time check in time, as invalid_query naming the limit', async () => {
    const started = Date.now();
    await expect(
      engine.checkQueryAgainstDataset('acme', SLOW_FOLDING, datasetOf('acme'), 300),
    ).rejects.toMatchObject({
      code: 'invalid_query',
      message: expect.stringContaining('QUERY_CHECK_TIMEOUT_MS'),
    });
    expect(Date.now() - started).toBeLessThan(15_000);
    await expect(
      engine.checkQueryAgainstDataset('acme', 'SELECT name FROM dataset', datasetOf('acme'), 5_000),
    ).resolves.toEqual({ columns: ['name'] });
  });

  it("kills a sandbox past its memory bound, failing that query only, not another tenant's", async () => {
    const small = await createSandboxedEngine({
      dataDir: root,
      tenantDirs: (tenant) => [tenantDir(tenant)],
      threads: 1,
      // DuckDB alone would allow far more: the process-level bound is what stops it.
      memoryLimit: '4GB',
      memoryMaxBytes: 300 * 2 ** 20,
      maxProcesses: 4,
    });
    try {
      const hungry = small.execute('acme', {
        sql: 'SELECT count(*) FROM (SELECT range AS n, md5(range::VARCHAR) AS h FROM range(30000000) ORDER BY h)',
        params: {},
        datasetPath: datasetOf('acme'),
        inlineRowLimit: 1,
      });
      const other = small.execute('globex', {
        sql: 'SELECT count(*) AS c FROM dataset, range(1000)',
        params: {},
        datasetPath: datasetOf('globex'),
        inlineRowLimit: 1,
      });
      await expect(hungry).rejects.toMatchObject({
        code: 'query_error',
        message: expect.stringContaining('SANDBOX_MEMORY_MAX'),
      });
      await expect(other).resolves.toMatchObject({ rows: [[1000]] });
    } finally {
      await small.close();
    }
  });
});

describe('uploads are converted each in a sandbox of its own', () => {
  it("fails a conversion past its time limit without touching the tenant's other upload", async () => {
    const dir = tenantDir('acme');
    const big = path.join(dir, 'big.csv');
    await writeFile(
      big,
      `x,y\n${Array.from({ length: 3_000_000 }, (_, i) => `${i},v${i % 97}`).join('\n')}\n`,
    );
    const small = path.join(dir, 'small.csv');
    await writeFile(small, 'x\n1\n2\n');
    const slow = engine.ingest(
      'acme',
      { sourcePath: big, format: 'csv', targetPath: path.join(dir, 'datasets', 'big.parquet') },
      50,
    );
    const quick = engine.ingest(
      'acme',
      { sourcePath: small, format: 'csv', targetPath: path.join(dir, 'datasets', 'small.parquet') },
      60_000,
    );
    await expect(slow).rejects.toMatchObject({
      code: 'invalid_dataset',
      message: expect.stringContaining('CONVERT_TIMEOUT_MS'),
    });
    await expect(quick).resolves.toMatchObject({ rowCount: 2 });
  });

  it('stops idle sandboxes past its bound', async () => {
    for (const tenant of ['t1', 't2', 't3', 't4', 't5', 't6']) {
      await storeDataset(tenant, 'x\n1\n');
      await expect(run(tenant, 'SELECT x FROM dataset')).resolves.toMatchObject({ rows: [[1]] });
    }
    expect(engine.sandboxes).toBeLessThanOrEqual(4);
  });
});
