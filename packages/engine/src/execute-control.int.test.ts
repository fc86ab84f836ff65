import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { ExecuteOptions } from './engine-types';
import { executeQuery } from './execute-query';
import { createTempEngine, type TempEngine } from './temp-engine.fixture';

let t: TempEngine;
let big: string;

/** CPU-heavy per row (16 chained md5 over 3M rows): about 3 s on 2 threads, over a Parquet scan whose progress DuckDB tracks. */
const HEAVY_SQL = `SELECT g, max(${'md5('.repeat(16)}s${')'.repeat(16)}) AS m FROM dataset GROUP BY g ORDER BY g`;

beforeAll(async () => {
  t = await createTempEngine();
  const seedCsv = path.join(t.dir, 'seed.csv');
  await writeFile(seedCsv, 'x\n1\n');
  const seed = path.join(t.dir, 'seed.parquet');
  await t.engine.ingest({ sourcePath: seedCsv, format: 'csv', targetPath: seed });
  // The engine writes its own big dataset: a generated result spilled to Parquet.
  big = path.join(t.dir, 'big.parquet');
  await t.engine.execute({
    sql: "SELECT range AS id, range % 1000 AS g, 'row' || range AS s FROM range(3000000)",
    params: {},
    datasetPath: seed,
    inlineRowLimit: 0,
    spillPath: big,
  });
});
afterAll(() => t.cleanup());

function heavy(extra: Partial<ExecuteOptions>) {
  return t.engine.execute({ sql: HEAVY_SQL, params: {}, datasetPath: big, inlineRowLimit: 5, ...extra });
}

describe('execute progress', () => {
  it('reports DuckDB progress as rising integers below 100, at least once a second', async () => {
    const reports: { at: number; percent: number }[] = [];
    const started = Date.now();
    const result = await heavy({
      onProgress: (percent) => reports.push({ at: Date.now(), percent }),
      progressIntervalMs: 100,
    });
    const elapsed = Date.now() - started;
    expect(result.rowCount).toBe(1000);
    expect(elapsed).toBeGreaterThan(1000);
    const percents = reports.map((r) => r.percent);
    // -1 (not measured) only until DuckDB's figure first moves (it sits at 0 while it starts).
    const measured = percents.slice(percents.findIndex((p) => p >= 0));
    expect(measured.length).toBeGreaterThan(0);
    for (const percent of percents) {
      expect(Number.isInteger(percent)).toBe(true);
      expect(percent).toBeGreaterThanOrEqual(-1);
      expect(percent).toBeLessThan(100);
    }
    expect(measured.every((p) => p >= 0)).toBe(true);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    // DuckDB's own figure, not a guess: it moves while the scan runs.
    expect(Math.max(...percents)).toBeGreaterThan(10);
    const gaps = reports.slice(1).map((r, i) => r.at - (reports[i]?.at ?? r.at));
    expect(Math.max(...gaps, reports[0] ? reports[0].at - started : 0)).toBeLessThan(1000);
  });

  it('keeps reporting -1 (not measured) when every progress connection is busy (DuckDB gives -1 there)', async () => {
    const small = await createTempEngine({ progressConnections: 0 });
    try {
      const seedCsv = path.join(small.dir, 'seed.csv');
      await writeFile(seedCsv, 'x\n1\n');
      const seed = path.join(small.dir, 'seed.parquet');
      await small.engine.ingest({ sourcePath: seedCsv, format: 'csv', targetPath: seed });
      const percents: number[] = [];
      await small.engine.execute({
        sql: `SELECT count(DISTINCT ${'md5('.repeat(6)}range::VARCHAR${')'.repeat(6)}) FROM range(1500000)`,
        params: {},
        datasetPath: seed,
        inlineRowLimit: 1,
        onProgress: (percent) => percents.push(percent),
        progressIntervalMs: 200,
      });
      expect(percents.length).toBeGreaterThan(1);
      expect(new Set(percents)).toEqual(new Set([-1]));
    } finally {
      await small.cleanup();
    }
  });
  it('reports -1 for a query run past the progress connections, and DuckDB figures for the pooled one', async () => {
    // One progress connection, two queries at once: the second runs on a fresh connection.
    const small = await createTempEngine({ progressConnections: 1, extraDirs: [t.dir] });
    try {
      const pooled: number[] = [];
      const extra: number[] = [];
      const run = (percents: number[]) =>
        small.engine.execute({
          // A quarter of HEAVY_SQL's work: long enough for several ticks.
          sql: `SELECT g, max(${'md5('.repeat(4)}s${')'.repeat(4)}) AS m FROM dataset GROUP BY g`,
          params: {},
          datasetPath: big,
          inlineRowLimit: 1,
          onProgress: (percent) => percents.push(percent),
          progressIntervalMs: 100,
        });
      const first = run(pooled);
      await Promise.all([first, run(extra)]);
      expect(extra.length).toBeGreaterThan(1);
      expect(new Set(extra)).toEqual(new Set([-1]));
      expect(Math.max(...pooled)).toBeGreaterThan(0);
    } finally {
      await small.cleanup();
    }
  });
});

describe('execute abort', () => {
  it('interrupts a long query at once and leaves the engine usable', async () => {
    const controller = new AbortController();
    const running = heavy({ signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const abortedAt = Date.now();
    controller.abort('cancelled');
    const error = await running.catch((e: unknown) => e);
    const latency = Date.now() - abortedAt;
    expect(error).toMatchObject({ name: 'EngineError', code: 'interrupted', message: 'cancelled' });
    // Typically 5-20 ms; the bound is the contract's 2 s, as test machines are shared.
    expect(latency).toBeLessThan(2_000);
    const after = await t.engine.execute({
      sql: 'SELECT count(*) FROM dataset',
      params: {},
      datasetPath: big,
      inlineRowLimit: 1,
    });
    expect(after.rows).toEqual([[3_000_000]]);
  });

  it('refuses to start when the signal has already fired, with a default message for non-string reasons', async () => {
    const controller = new AbortController();
    controller.abort();
    const started = Date.now();
    await expect(heavy({ signal: controller.signal })).rejects.toMatchObject({
      code: 'interrupted',
      message: 'The query was interrupted.',
    });
    // It never ran: far below the seconds the heavy query takes (a loose bound, shared machines).
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('interrupts every query on the engine that is aborted, and only those', async () => {
    const first = new AbortController();
    const aborted = heavy({ signal: first.signal });
    const untouched = t.engine.execute({
      sql: 'SELECT count(*) FROM dataset WHERE id % 7 = 0',
      params: {},
      datasetPath: big,
      inlineRowLimit: 1,
    });
    setTimeout(() => first.abort('timeout'), 200);
    await expect(aborted).rejects.toMatchObject({ code: 'interrupted', message: 'timeout' });
    await expect(untouched).resolves.toMatchObject({ rows: [[428_572]] });
  });

  it('interrupts a query aborted after its last check but before DuckDB has started it', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      const controller = new AbortController();
      let ranToItsEnd = false;
      // Real DuckDB; only the moment of the abort is chosen: as the prepared statement starts
      // (its grouping runs before the stream's first chunk), when an interrupt alone reaches a
      // connection with nothing running.
      const prepare = connection.prepare.bind(connection);
      const timed = Object.assign(Object.create(connection) as DuckDBConnection, {
        async prepare(sql: string) {
          const prepared = await prepare(sql);
          const stream = prepared.stream.bind(prepared);
          return Object.assign(prepared, {
            async stream() {
              controller.abort('cancelled');
              const result = await stream();
              ranToItsEnd = true;
              return result;
            },
          });
        },
      });
      const running = executeQuery(
        timed,
        { sql: HEAVY_SQL, params: {}, datasetPath: big, inlineRowLimit: 5, signal: controller.signal },
        [t.dir],
      );
      await expect(running).rejects.toMatchObject({ code: 'interrupted', message: 'cancelled' });
      // Stopped by DuckDB, not merely reported as stopped after running to its end.
      expect(ranToItsEnd).toBe(false);
      // No interrupt is left behind for the next statement.
      const after = await connection.runAndReadAll('SELECT 42');
      expect(after.getRows()).toEqual([[42]]);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });
});
