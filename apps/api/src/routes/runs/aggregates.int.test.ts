import { startWorker, type WorkerProcess, waitFor } from '@repo/test-utils';
import { createTestApi, type TestApi } from '../../testing/test-api';

/** Regions with the characters that break naive CSV and SQL handling. */
const REGIONS = ['Nörth', 'South, East', 'Zürich "Z"', '東京', "O'Brien", 'multi\nline'];
const ROWS = 120_000;

interface Row {
  region: string;
  product: string;
  cents: number | null;
  qty: number | null;
}

/** Deterministic generated data: NULLs in revenue and qty, quoted fields, unicode. */
function generate(): Row[] {
  // mulberry32: small, seeded, and without the short low-bit cycles of a plain LCG.
  let seed = 42;
  const next = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
  return Array.from({ length: ROWS }, (_, i) => ({
    region: REGIONS[next() % REGIONS.length] ?? '',
    product: `p${next() % 500}`,
    cents: i % 17 === 0 ? null : next() % 1_000_000,
    qty: i % 23 === 0 ? null : next() % 100,
  }));
}

const csvField = (value: string) => (/[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

function toCsv(rows: Row[]): string {
  const lines = ['region,product,revenue,qty'];
  for (const r of rows) {
    lines.push(
      [csvField(r.region), r.product, r.cents === null ? '' : (r.cents / 100).toFixed(2), r.qty ?? ''].join(
        ',',
      ),
    );
  }
  return `${lines.join('\n')}\n`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** What the service must answer, computed here without DuckDB. */
function expected(rows: Row[]) {
  return REGIONS.map((region) => {
    const mine = rows.filter((r) => r.region === region);
    const cents = mine.map((r) => r.cents).filter((c): c is number => c !== null);
    const qty = mine.map((r) => r.qty).filter((q): q is number => q !== null);
    return {
      region,
      rows: mine.length,
      revenue_count: cents.length,
      total: cents.reduce((a, b) => a + b, 0) / 100,
      avg: cents.reduce((a, b) => a + b, 0) / 100 / cents.length,
      min: Math.min(...cents) / 100,
      max: Math.max(...cents) / 100,
      products: new Set(mine.map((r) => r.product)).size,
      median_qty: median(qty),
    };
  }).sort((a, b) => (a.region < b.region ? -1 : 1));
}

describe('aggregates over 100k+ generated rows match an independent computation', () => {
  let api: TestApi;
  let worker: WorkerProcess;
  let datasetId: string;
  const rows = generate();
  const truth = expected(rows);

  beforeAll(async () => {
    api = await createTestApi();
    worker = await startWorker(api.env);
    const res = await api
      .as()
      .post('/v1/datasets?name=gen')
      .set('Content-Type', 'text/csv')
      .send(toCsv(rows));
    expect(res.status).toBe(201);
    datasetId = res.body.dataset_id;
    expect(res.body.row_count).toBe(ROWS);
    expect(res.body.columns).toEqual([
      { name: 'region', dtype: 'VARCHAR', null_count: 0 },
      { name: 'product', dtype: 'VARCHAR', null_count: 0 },
      { name: 'revenue', dtype: 'DOUBLE', null_count: rows.filter((r) => r.cents === null).length },
      { name: 'qty', dtype: 'BIGINT', null_count: rows.filter((r) => r.qty === null).length },
    ]);
  });

  afterAll(async () => {
    await worker?.stop();
    await api.close();
  });

  function checkRows(result: { columns: string[]; rows: unknown[][]; row_count: number }) {
    expect(result.row_count).toBe(REGIONS.length);
    const byName = result.rows.map((row) => Object.fromEntries(result.columns.map((c, i) => [c, row[i]])));
    byName.forEach((got, i) => {
      const want = truth[i];
      expect(got.region).toBe(want?.region);
      expect(got.rows).toBe(want?.rows);
      expect(got.revenue_count).toBe(want?.revenue_count);
      expect(got.total).toBeCloseTo(want?.total ?? Number.NaN, 2);
      expect(got.avg).toBeCloseTo(want?.avg ?? Number.NaN, 6);
      expect(got.min).toBe(want?.min);
      expect(got.max).toBe(want?.max);
      expect(got.products).toBe(want?.products);
      expect(got.median_qty).toBe(want?.median_qty);
    });
  }

  it('a structured query, run as an async job', async () => {
    const saved = await api
      .as()
      .post('/v1/queries')
      .send({
        name: 'by region',
        dataset_id: datasetId,
        query: {
          group_by: ['region'],
          aggregates: [
            { fn: 'count', as: 'rows' },
            { fn: 'count', column: 'revenue', as: 'revenue_count' },
            { fn: 'sum', column: 'revenue', as: 'total' },
            { fn: 'avg', column: 'revenue', as: 'avg' },
            { fn: 'min', column: 'revenue', as: 'min' },
            { fn: 'max', column: 'revenue', as: 'max' },
            { fn: 'count_distinct', column: 'product', as: 'products' },
            { fn: 'median', column: 'qty', as: 'median_qty' },
          ],
          order_by: [{ column: 'region', direction: 'asc' }],
        },
      });
    expect(saved.status).toBe(201);
    const run = await api.as().post(`/v1/query/${saved.body.query_id}`).send({ execution_mode: 'async' });
    expect(run.status).toBe(202);
    const job = await waitFor('the aggregate job', async () => {
      const res = await api.as().get(`/v1/jobs/${run.body.job_id}`);
      return res.body.status === 'succeeded' || res.body.status === 'failed' ? res.body : null;
    });
    expect(job.status).toBe('succeeded');
    checkRows(job.results);
  });

  it('the same in SQL, run sync, with filters bound as parameters', async () => {
    const saved = await api
      .as()
      .post('/v1/save')
      .send({
        name: 'sql by region',
        dataset_id: datasetId,
        query: `SELECT region, count(*) AS rows, count(revenue) AS revenue_count, sum(revenue) AS total,
                avg(revenue) AS avg, min(revenue) AS min, max(revenue) AS max,
                count(DISTINCT product) AS products, median(qty) AS median_qty
                FROM dataset WHERE region <> $excluded GROUP BY region ORDER BY region`,
      });
    expect(saved.status).toBe(201);
    // A parameter that looks like an injection is only ever a value.
    const res = await api
      .as()
      .post(`/v1/query/${saved.body.query_id}`)
      .send({ parameters: { excluded: "x' OR 1=1 --" } });
    expect(res.status).toBe(200);
    checkRows(res.body.results);
  });

  it('structured filters: in, between, contains, is_null, with literals and parameters', async () => {
    const saved = await api
      .as()
      .post('/v1/queries')
      .send({
        name: 'filtered',
        dataset_id: datasetId,
        query: {
          aggregates: [{ fn: 'count', as: 'n' }],
          filters: [
            { column: 'region', op: 'in', value: { param: 'regions' } },
            { column: 'qty', op: 'between', value: [10, 20] },
            { column: 'product', op: 'contains', value: '7' },
            { column: 'revenue', op: 'not_null' },
          ],
        },
      });
    expect(saved.status).toBe(201);
    const wanted = ['東京', 'South, East'];
    const res = await api
      .as()
      .post(`/v1/query/${saved.body.query_id}`)
      .send({ parameters: { regions: wanted } });
    expect(res.status).toBe(200);
    const count = rows.filter(
      (r) =>
        wanted.includes(r.region) &&
        r.qty !== null &&
        r.qty >= 10 &&
        r.qty <= 20 &&
        r.product.includes('7') &&
        r.cents !== null,
    ).length;
    expect(count).toBeGreaterThan(0);
    expect(res.body.results).toEqual({ columns: ['n'], rows: [[count]], row_count: 1 });
  });
});
