/**
 * Acceptance test of tenant isolation: a corpus of hostile SQL, written by tenant acme and
 * aimed at tenant globex's files, at save time, through parameters at run time, and with the
 * save-time check bypassed. Globex holds a dataset whose values and column name carry a
 * random marker, and a job whose result spilled to a file. Every answer acme gets (bodies and
 * headers: save answers, runs, job statuses and lists, result pages, CSV and NDJSON streams,
 * SSE events, errors) is collected and must name none of globex's data, ids or files, nor
 * where the server keeps anything; globex's own answers show the marker, so the check can fail.
 */
import { randomBytes } from 'node:crypto';
import { access, realpath } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { newId, type TJobStatus, ZErrorEnvelope } from '@repo/contracts';
import { dataLayout } from '@repo/queue';
import { SALES_CSV, startWorker, type WorkerProcess } from '@repo/test-utils';
import { parse } from 'csv-parse/sync';
import type supertest from 'supertest';
import type { QueryRecord } from '../stores/query-store';
import { createTestApi, type TestApi } from '../testing/test-api';
import { leaks, uploadCsv } from './security-fixtures';

const MARKER = `GLOBEX_MARKER_${randomBytes(8).toString('hex')}`;
/** Results past this many rows spill to a file under the tenant's results folder. */
const INLINE_MAX = 3;
const GLOBEX_ROWS = 12;
const GLOBEX_CSV = [
  `id,${MARKER}`,
  ...Array.from({ length: GLOBEX_ROWS }, (_, i) => `${i},${MARKER}_row_${i}`),
  '',
].join('\n');
/** SALES_CSV's rows: more than INLINE_MAX, so acme's results spill to files too. */
const ACME_ROWS = 5;

let api: TestApi;
let worker: WorkerProcess;
let acmeDatasetId: string;

/** What acme must never learn, known once globex has its files. */
interface Globex {
  datasetId: string;
  jobId: string;
  /** Its folder, dataset file and spilled result file, absolute. */
  dir: string;
  file: string;
  result: string;
  dataDir: string;
}
let globex: Globex;
let forbidden: string[] = [];

// ---------------------------------------------------------------------------------------------
// Every answer acme gets goes through `acme()`, which checks it and keeps it for the final check.

interface Answer {
  what: string;
  text: string;
  /** Acme's own input the answer may echo as data (a parameter value it sent). */
  echoes: readonly string[];
}
const acmeAnswers: Answer[] = [];

function bodyText(res: supertest.Response): string {
  const body = typeof res.body === 'string' ? res.body : JSON.stringify(res.body ?? null);
  return `${res.text ?? ''}\n${body}`;
}

function answerText(res: supertest.Response): string {
  return `${res.status}\n${JSON.stringify(res.headers)}\n${bodyText(res)}`;
}

/** `text` without acme's own input it may echo as data, in the forms JSON and CSV write it. */
function withoutEchoes(text: string, echoes: readonly string[]): string {
  let rest = text;
  for (const value of echoes) {
    for (const form of [value, JSON.stringify(value).slice(1, -1), `"${value.replace(/"/g, '""')}"`]) {
      rest = rest.split(form).join('');
    }
  }
  return rest;
}

/** The forbidden strings, and server paths or stack frames, `text` shows beyond acme's own echoed values. */
function forbiddenIn(text: string, echoes: readonly string[] = []): string[] {
  const rest = withoutEchoes(text, echoes);
  const found = forbidden.filter((needle) => rest.includes(needle));
  if (/globex/i.test(rest)) found.push('globex (any case)');
  for (const leak of leaks(rest, api.dataDir)) if (!found.includes(leak)) found.push(leak);
  return found;
}

/** A stretch of `text` around the first forbidden string it shows, to say what leaked. */
function excerpt(text: string, found: readonly string[]): string {
  if (found.length === 0) return '';
  const lower = text.toLowerCase();
  const places = found
    .map((needle) => lower.indexOf((needle.startsWith('globex') ? 'globex' : needle).toLowerCase()))
    .filter((at) => at >= 0);
  const at = places.length > 0 ? Math.min(...places) : 0;
  return text.slice(Math.max(0, at - 200), at + 200);
}

/** Sends acme's request, checks the answer shows nothing it must not, and keeps it for the final check. */
async function acme(
  what: string,
  request: supertest.Test,
  echoes: readonly string[] = [],
): Promise<supertest.Response> {
  const res = await request;
  const text = answerText(res);
  acmeAnswers.push({ what, text, echoes });
  const found = forbiddenIn(text, echoes);
  expect({ what, found, excerpt: excerpt(text, found) }).toEqual({ what, found: [], excerpt: '' });
  expect({ what, status: res.status }).not.toEqual({ what, status: 500 });
  return res;
}

/** Buffers any content type (CSV, NDJSON, SSE) as text, into `res.body`. */
function asText(request: supertest.Test): supertest.Test {
  return request.buffer(true).parse((res, done) => {
    const stream = res as unknown as NodeJS.ReadableStream;
    let text = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      text += chunk;
    });
    stream.on('end', () => done(null, text));
  });
}

/** A 422 invalid_query (or a 400 for a malformed body) in the error envelope, never a 500. */
function expectRefused(res: supertest.Response, what: string): void {
  const seen = { what, status: res.status, code: (res.body as { error?: { code?: string } }).error?.code };
  expect([
    { what, status: 422, code: 'invalid_query' },
    { what, status: 400, code: 'validation_failed' },
  ]).toContainEqual(seen);
  expect(ZErrorEnvelope.safeParse(res.body).success).toBe(true);
}

// ---------------------------------------------------------------------------------------------

beforeAll(async () => {
  api = await createTestApi({ RESULTS_INLINE_MAX_ROWS: String(INLINE_MAX) });
  const [started, globexUpload, acmeUpload] = await Promise.all([
    startWorker(api.env),
    uploadCsv(api, 'globex', GLOBEX_CSV),
    uploadCsv(api, 'acme', SALES_CSV),
  ]);
  worker = started;
  acmeDatasetId = acmeUpload.dataset_id;

  // Globex runs a query whose result spills to a file of its own.
  const save = await api
    .as('globex')
    .post('/v1/save')
    .send({ name: 'all', query: 'SELECT * FROM dataset ORDER BY id', dataset_id: globexUpload.dataset_id })
    .expect(201);
  const run = await api
    .as('globex')
    .post(`/v1/query/${save.body.query_id}`)
    .send({ execution_mode: 'async' })
    .expect(202);
  const jobId = run.body.job_id as string;
  const done = await api.as('globex').get(`/v1/jobs/${jobId}?wait=30`).expect(200);
  expect(done.body).toMatchObject({
    status: 'succeeded',
    results: { row_count: GLOBEX_ROWS, truncated: true },
  });

  globex = {
    datasetId: globexUpload.dataset_id,
    jobId,
    dir: dataLayout.tenantDir(api.dataDir, 'globex'),
    file: dataLayout.datasetFile(api.dataDir, 'globex', globexUpload.dataset_id),
    result: dataLayout.resultFile(api.dataDir, 'globex', jobId),
    dataDir: api.dataDir,
  };
  await Promise.all([access(globex.file), access(globex.result)]);
  const realDataDir = await realpath(api.dataDir);
  forbidden = [
    ...new Set([
      MARKER,
      globex.datasetId,
      globex.jobId,
      api.dataDir,
      realDataDir,
      tmpdir(),
      'tenants/',
      '.parquet',
      '/tmp',
    ]),
  ];
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await api?.close();
});

// ---------------------------------------------------------------------------------------------
// The corpus: [what, SQL given globex's places, also run with the save-time check bypassed].

type Hostile = [string, (g: Globex) => string, boolean];
const RUN = true;
const SAVE_ONLY = false;

const CORPUS: Hostile[] = [
  // query() and query_table(): SQL text planned at run time.
  [
    'query() on an absolute path',
    (g) => `SELECT * FROM query('SELECT * FROM read_parquet(''${g.file}'')')`,
    RUN,
  ],
  [
    'query() on a relative path',
    (g) => `SELECT * FROM query('FROM ''../globex/datasets/${g.datasetId}.parquet''')`,
    RUN,
  ],
  [
    'query() on a ** glob',
    (g) => `SELECT * FROM query('SELECT * FROM ''${g.dataDir}/**/*.parquet''')`,
    SAVE_ONLY,
  ],
  [
    'query() in a scalar subquery',
    () => "SELECT (SELECT count(*) FROM query('FROM dataset')) AS n",
    SAVE_ONLY,
  ],
  ['query_table() on a path', (g) => `SELECT * FROM query_table('${g.file}')`, RUN],
  [
    'query_table() on a list with a glob',
    () => "SELECT * FROM query_table(['dataset', '../globex/**/*.parquet'])",
    SAVE_ONLY,
  ],
  [
    'QUERY() in capitals',
    () => "SELECT * FROM QUERY('FROM ''../../tenants/globex/datasets/*.parquet''')",
    SAVE_ONLY,
  ],
  ['"query"() quoted', () => `SELECT * FROM "query"('FROM dataset')`, SAVE_ONLY],
  // File readers on globex's files and on DATA_DIR.
  ['read_parquet() on globex’s dataset', (g) => `SELECT * FROM read_parquet('${g.file}')`, RUN],
  [
    'read_parquet() relative',
    (g) => `SELECT * FROM read_parquet('../globex/datasets/${g.datasetId}.parquet')`,
    RUN,
  ],
  [
    'read_parquet() on globex’s results, relative glob',
    () => "SELECT * FROM read_parquet('../../tenants/globex/results/*.parquet')",
    SAVE_ONLY,
  ],
  ['read_parquet() on globex’s spilled result', (g) => `SELECT * FROM read_parquet('${g.result}')`, RUN],
  [
    'read_parquet() on DATA_DIR/**',
    (g) => `SELECT * FROM read_parquet('${g.dataDir}/**/*.parquet', filename = true)`,
    SAVE_ONLY,
  ],
  [
    'read_parquet() on a list',
    (g) => `SELECT * FROM read_parquet(['${g.file}', '${g.result}'], union_by_name = true)`,
    SAVE_ONLY,
  ],
  ['parquet_scan()', (g) => `SELECT * FROM parquet_scan('${g.file}')`, SAVE_ONLY],
  ['read_csv()', (g) => `SELECT * FROM read_csv('${g.file}')`, SAVE_ONLY],
  ['read_csv_auto() on uploads', (g) => `SELECT * FROM read_csv_auto('${g.dir}/uploads/*')`, SAVE_ONLY],
  ['read_text()', (g) => `SELECT content FROM read_text('${g.file}')`, RUN],
  ['read_blob() on a glob', (g) => `SELECT * FROM read_blob('${g.dir}/**')`, SAVE_ONLY],
  ['read_json()', (g) => `SELECT * FROM read_json('${g.dir}/**/*.json')`, SAVE_ONLY],
  ['read_ndjson_objects()', (g) => `SELECT * FROM read_ndjson_objects('${g.file}')`, SAVE_ONLY],
  ['read_duckdb()', (g) => `SELECT * FROM read_duckdb('${g.dataDir}/x.duckdb')`, SAVE_ONLY],
  ['parquet_metadata()', (g) => `SELECT * FROM parquet_metadata('${g.file}')`, RUN],
  ['parquet_schema() of the result', (g) => `SELECT * FROM parquet_schema('${g.result}')`, SAVE_ONLY],
  ['parquet_kv_metadata()', (g) => `SELECT * FROM parquet_kv_metadata('${g.file}')`, SAVE_ONLY],
  ['glob(**)', () => "SELECT * FROM glob('**')", RUN],
  ['glob() on DATA_DIR', (g) => `SELECT file FROM glob('${g.dataDir}/tenants/*/*/*')`, RUN],
  ['glob(../**)', () => "SELECT * FROM glob('../**')", SAVE_ONLY],
  ['sniff_csv()', (g) => `SELECT * FROM sniff_csv('${g.file}')`, SAVE_ONLY],
  ['READ_PARQUET() in capitals', (g) => `SELECT * FROM READ_PARQUET('${g.file}')`, SAVE_ONLY],
  ['a dollar-quoted path', (g) => `SELECT * FROM read_parquet($$${g.file}$$)`, SAVE_ONLY],
  // SQL text run from a serialized plan.
  [
    'json_execute_serialized_sql(json_serialize_sql())',
    (g) =>
      `SELECT * FROM json_execute_serialized_sql(json_serialize_sql('SELECT * FROM read_parquet(''${g.file}'')'))`,
    RUN,
  ],
  [
    'json_execute_serialized_sql() on a literal',
    () => `SELECT * FROM json_execute_serialized_sql('{"error": false, "statements": []}')`,
    SAVE_ONLY,
  ],
  [
    'json_serialize_plan()',
    (g) => `SELECT json_serialize_plan('SELECT * FROM read_parquet(''${g.file}'')')`,
    SAVE_ONLY,
  ],
  ['current_query()', () => 'SELECT current_query() FROM dataset', SAVE_ONLY],
  // Settings, variables, the catalog and secrets.
  ['duckdb_settings()', () => 'SELECT * FROM duckdb_settings()', RUN],
  ["current_setting('allowed_directories')", () => "SELECT current_setting('allowed_directories')", RUN],
  [
    "current_setting('temp_directory') in WHERE",
    () => "SELECT * FROM dataset WHERE current_setting('temp_directory') IS NOT NULL",
    SAVE_ONLY,
  ],
  ['getvariable()', () => "SELECT getvariable('path') FROM dataset", SAVE_ONLY],
  ['read_parquet(getvariable())', () => "SELECT * FROM read_parquet(getvariable('path'))", SAVE_ONLY],
  ["pg_get_viewdef('dataset')", () => "SELECT pg_get_viewdef('dataset')", RUN],
  ['duckdb_views()', () => 'SELECT sql FROM duckdb_views()', RUN],
  ['duckdb_databases()', () => 'SELECT path FROM duckdb_databases()', SAVE_ONLY],
  [
    'duckdb_tables() and duckdb_temporary_files()',
    () => 'SELECT * FROM duckdb_tables(), duckdb_temporary_files()',
    SAVE_ONLY,
  ],
  ['which_secret()', (g) => `SELECT * FROM which_secret('${g.file}', 's3')`, SAVE_ONLY],
  ['SELECT current_schema', () => 'SELECT current_schema', RUN],
  ['current_schema beside the data', () => 'SELECT region, current_schema FROM dataset', SAVE_ONLY],
  ['current_database()', () => 'SELECT current_database() FROM dataset', SAVE_ONLY],
  ['information_schema', () => 'SELECT * FROM information_schema.tables', SAVE_ONLY],
  ['pg_catalog.pg_views', () => 'SELECT definition FROM pg_catalog.pg_views', SAVE_ONLY],
  ['sqlite_master', () => 'SELECT sql FROM sqlite_master', SAVE_ONLY],
  // Qualified calls and tables.
  ['main.query()', () => "SELECT * FROM main.query('FROM dataset')", RUN],
  ['system.main.read_csv()', (g) => `SELECT * FROM system.main.read_csv('${g.file}')`, RUN],
  ['main.getvariable()', () => "SELECT main.getvariable('x')", SAVE_ONLY],
  [
    'pg_catalog.current_setting()',
    () => "SELECT pg_catalog.current_setting('allowed_directories')",
    SAVE_ONLY,
  ],
  ['a qualified table', () => 'SELECT * FROM globex.main.dataset', SAVE_ONLY],
  // A file named as a table.
  ['FROM an absolute path', (g) => `SELECT * FROM '${g.file}'`, RUN],
  ['FROM a relative path', (g) => `SELECT * FROM '../globex/datasets/${g.datasetId}.parquet'`, SAVE_ONLY],
  ['FROM a quoted identifier path', (g) => `SELECT * FROM "${g.result}"`, SAVE_ONLY],
  ['FROM-first on a ** glob', (g) => `FROM '${g.dataDir}/tenants/globex/**/*.parquet'`, SAVE_ONLY],
  ['FROM-first read_parquet()', (g) => `FROM read_parquet('${g.file}') SELECT *`, SAVE_ONLY],
  // Statements other than SELECT, alone or smuggled after one.
  ['ATTACH', (g) => `ATTACH '${g.dir}/x.duckdb' AS g`, SAVE_ONLY],
  ['ATTACH after a SELECT', (g) => `SELECT 1; ATTACH '${g.dir}/x.duckdb' AS g`, RUN],
  [
    'COPY TO into globex’s folder',
    (g) => `COPY (SELECT * FROM dataset) TO '${g.dir}/datasets/x.parquet'`,
    SAVE_ONLY,
  ],
  ['COPY FROM after a SELECT', (g) => `SELECT 1; COPY dataset FROM '${g.file}'`, RUN],
  ['PRAGMA', () => 'PRAGMA database_list', SAVE_ONLY],
  ['SET', () => "SET allowed_directories = ['/']", SAVE_ONLY],
  ['SET after a SELECT', () => 'SELECT 1; SET enable_external_access = true', SAVE_ONLY],
  ['SET VARIABLE', (g) => `SET VARIABLE path = '${g.file}'`, SAVE_ONLY],
  [
    'CREATE MACRO after a SELECT',
    () => 'SELECT 1; CREATE MACRO m(p) AS TABLE FROM read_parquet(p)',
    SAVE_ONLY,
  ],
  ['PREPARE', () => 'PREPARE p AS SELECT * FROM read_parquet($1)', SAVE_ONLY],
  ['EXPLAIN', (g) => `EXPLAIN SELECT * FROM read_parquet('${g.file}')`, SAVE_ONLY],
  [
    'DESCRIBE in a subquery',
    (g) => `SELECT * FROM (DESCRIBE SELECT * FROM read_parquet('${g.file}'))`,
    SAVE_ONLY,
  ],
  ['SUMMARIZE in a subquery', (g) => `SELECT * FROM (SUMMARIZE SELECT * FROM '${g.file}')`, SAVE_ONLY],
  [
    'a comment hiding a second statement',
    (g) => `/* x */ SELECT * FROM dataset; -- y\nSELECT * FROM read_parquet('${g.file}')`,
    SAVE_ONLY,
  ],
  // CTEs, subqueries, joins, lateral table functions.
  [
    'a CTE beside read_parquet()',
    (g) => `WITH x AS (SELECT * FROM dataset) SELECT * FROM x, read_parquet('${g.file}')`,
    RUN,
  ],
  [
    'a CTE named dataset',
    (g) => `WITH dataset AS (SELECT * FROM read_parquet('${g.file}')) SELECT * FROM dataset`,
    RUN,
  ],
  [
    'a materialized CTE over query()',
    () => "WITH x AS MATERIALIZED (SELECT * FROM query('FROM dataset')) SELECT * FROM dataset, x",
    SAVE_ONLY,
  ],
  [
    'a recursive CTE over glob()',
    () =>
      "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t, glob('**') WHERE n < 2) SELECT * FROM t",
    SAVE_ONLY,
  ],
  [
    'a CTE read before it is defined',
    () => 'WITH a AS (SELECT * FROM b), b AS (SELECT 1 AS x) SELECT * FROM a',
    SAVE_ONLY,
  ],
  [
    'LATERAL read_text() of a column',
    () => 'SELECT * FROM dataset d, LATERAL (SELECT * FROM read_text(d.region))',
    RUN,
  ],
  ['a table function over a column', () => 'SELECT * FROM dataset d, read_parquet(d.region)', SAVE_ONLY],
  ['LATERAL glob() of a built path', () => "SELECT * FROM dataset, LATERAL glob(region || '/**')", SAVE_ONLY],
  [
    'IN (read_text())',
    (g) => `SELECT * FROM dataset WHERE region IN (SELECT content FROM read_text('${g.file}'))`,
    SAVE_ONLY,
  ],
  [
    'a scalar subquery over glob()',
    (g) => `SELECT (SELECT count(*) FROM glob('${g.dataDir}/**')) AS n FROM dataset`,
    SAVE_ONLY,
  ],
  [
    'UNION ALL read_csv()',
    (g) => `SELECT region FROM dataset UNION ALL SELECT * FROM read_csv('${g.file}')`,
    RUN,
  ],
  ['JOIN read_parquet()', (g) => `SELECT * FROM dataset JOIN read_parquet('${g.file}') g ON true`, SAVE_ONLY],
  [
    'POSITIONAL JOIN read_parquet()',
    (g) => `SELECT * FROM dataset POSITIONAL JOIN read_parquet('${g.file}')`,
    SAVE_ONLY,
  ],
  ['EXISTS in ORDER BY', () => "SELECT * FROM dataset ORDER BY EXISTS (FROM glob('../**'))", SAVE_ONLY],
  ['VALUES of a subquery', (g) => `VALUES ((SELECT content FROM read_text('${g.file}')))`, SAVE_ONLY],
  [
    'unnest() of a subquery',
    (g) => `SELECT * FROM dataset, unnest((SELECT list(content) FROM read_text('${g.file}')))`,
    SAVE_ONLY,
  ],
  [
    'json_each() of a subquery',
    (g) => `SELECT * FROM json_each((SELECT content FROM read_text('${g.file}')))`,
    SAVE_ONLY,
  ],
  [
    'range() of a count',
    (g) => `SELECT * FROM range((SELECT count(*) FROM read_parquet('${g.file}')))`,
    SAVE_ONLY,
  ],
  ['PIVOT a file', (g) => `SELECT * FROM (PIVOT '${g.file}' ON id USING first(id))`, SAVE_ONLY],
  ['histogram() (a macro over query_table)', () => 'SELECT * FROM histogram(dataset, region)', SAVE_ONLY],
  // Lambdas, list functions and built paths.
  [
    'a lambda calling getvariable()',
    (g) => `SELECT list_transform(['${g.file}'], x -> getvariable(x))`,
    SAVE_ONLY,
  ],
  [
    'a python-style lambda calling current_setting()',
    () => "SELECT list_filter(['a'], lambda x: current_setting('allowed_directories') IS NOT NULL)",
    SAVE_ONLY,
  ],
  [
    'a list comprehension over settings',
    () => "SELECT [current_setting(x) FOR x IN ['allowed_directories', 'temp_directory']]",
    SAVE_ONLY,
  ],
  ['try(current_setting())', () => "SELECT try(current_setting('temp_directory'))", SAVE_ONLY],
  ["'/' || 'tmp' building a path", () => "SELECT * FROM read_parquet('/' || 'tmp' || '/**/*.parquet')", RUN],
  [
    'concat() building a path',
    (g) => `SELECT * FROM read_text(concat('${g.dataDir}', '/tenants/', 'glo' || 'bex', '/**'))`,
    SAVE_ONLY,
  ],
  ['chr(47) building a path', () => "SELECT * FROM read_blob(chr(47) || 'tmp' || chr(47) || '*')", SAVE_ONLY],
];

describe('at save, acme’s hostile SQL is refused with 422, its dataset bound or not', () => {
  it('the corpus is large', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(40);
    expect(new Set(CORPUS.map(([what]) => what)).size).toBe(CORPUS.length);
  });

  it.each(CORPUS)('%s', async (what, sql) => {
    const query = sql(globex);
    const [bound, unbound] = await Promise.all([
      acme(
        `save ${what} (bound)`,
        api.as().post('/v1/save').send({ name: 'x', query, dataset_id: acmeDatasetId }),
      ),
      acme(`save ${what} (unbound)`, api.as().post('/v1/save').send({ name: 'x', query })),
    ]);
    expectRefused(bound, `${what} (bound)`);
    expectRefused(unbound, `${what} (unbound)`);
  });
});

// ---------------------------------------------------------------------------------------------

describe('through parameters at run time', () => {
  it.each([
    ['query($sql::VARCHAR)', 'SELECT * FROM query($sql::VARCHAR)'],
    ['query($sql)', 'SELECT * FROM query($sql)'],
    ['query_table($t)', 'SELECT * FROM query_table($t::VARCHAR)'],
    ['query_table($t) beside the data', 'SELECT * FROM dataset, query_table($t)'],
    ['read_parquet($path)', 'SELECT * FROM read_parquet($path)'],
    ['read_csv([$path, $other])', 'SELECT * FROM read_csv([$path, $other])'],
    [
      'read_text($path) in IN',
      'SELECT * FROM dataset WHERE region IN (SELECT content FROM read_text($path))',
    ],
    ['glob($pattern)', 'SELECT * FROM glob($pattern)'],
    ['parquet_metadata($path)', 'SELECT * FROM parquet_metadata($path)'],
    ['sniff_csv($path)', 'SELECT * FROM sniff_csv($path)'],
    ['json_execute_serialized_sql($plan)', 'SELECT * FROM json_execute_serialized_sql($plan)'],
    ['json_serialize_sql($sql)', 'SELECT json_serialize_sql($sql) FROM dataset'],
    ['getvariable($name)', 'SELECT getvariable($name) FROM dataset'],
    ['current_setting($name)', 'SELECT current_setting($name) FROM dataset'],
    ['which_secret($path)', "SELECT * FROM which_secret($path, 's3')"],
    ['FROM $path', 'SELECT * FROM $path'],
    ['a filter that feeds query()', 'SELECT * FROM dataset WHERE $p::VARCHAR IN (SELECT * FROM query($p))'],
  ])('refuses %s at save already', async (what, query) => {
    const [bound, unbound] = await Promise.all([
      acme(
        `save ${what} (bound)`,
        api.as().post('/v1/save').send({ name: 'p', query, dataset_id: acmeDatasetId }),
      ),
      acme(`save ${what} (unbound)`, api.as().post('/v1/save').send({ name: 'p', query })),
    ]);
    expectRefused(bound, `${what} (bound)`);
    expectRefused(unbound, `${what} (unbound)`);
  });

  /** Parameter values holding SQL or globex's paths: data, never SQL. */
  const hostileValues = (g: Globex): string[] => [
    `SELECT * FROM read_parquet('${g.file}')`,
    g.file,
    `../globex/datasets/${g.datasetId}.parquet`,
    `'); SELECT * FROM query('FROM ''${g.result}'''); --`,
    `${g.dataDir}/tenants/globex/**`,
  ];

  async function saveAcme(query: string): Promise<string> {
    const res = await acme(
      'save an innocent query',
      api.as().post('/v1/save').send({ name: 'p', query, dataset_id: acmeDatasetId }),
    );
    expect(res.status).toBe(201);
    return res.body.query_id as string;
  }

  it('a value used as a value comes back verbatim as data, sync and async, and nothing is read', async () => {
    const queryId = await saveAcme('SELECT $p::VARCHAR AS v FROM dataset');
    await Promise.all(
      hostileValues(globex).map(async (value) => {
        const echoes = [value];
        const expected = Array.from({ length: ACME_ROWS }, () => [value]);

        const sync = await acme(
          'sync run',
          api
            .as()
            .post(`/v1/query/${queryId}`)
            .send({ parameters: { p: value } }),
          echoes,
        );
        expect(sync.status).toBe(200);
        expect(sync.body).toMatchObject({ status: 'succeeded', job_id: null });
        expect(sync.body.results).toMatchObject({
          columns: ['v'],
          rows: expected.slice(0, INLINE_MAX),
          row_count: ACME_ROWS,
          truncated: true,
        });

        const run = await acme(
          'async run',
          api
            .as()
            .post(`/v1/query/${queryId}`)
            .send({ parameters: { p: value }, execution_mode: 'async' }),
          echoes,
        );
        expect(run.status).toBe(202);
        const jobId = run.body.job_id as string;
        const job = await acme('job status', api.as().get(`/v1/jobs/${jobId}?wait=30`), echoes);
        const status = job.body as TJobStatus;
        expect(status).toMatchObject({
          status: 'succeeded',
          results: { row_count: ACME_ROWS, truncated: true },
        });
        expect(status.results?.rows).toEqual(expected.slice(0, INLINE_MAX));

        const next = status.results?.next ?? '';
        const [page, csv, ndjson, events] = await Promise.all([
          acme('results page', api.as().get(next), echoes),
          acme(
            'results CSV',
            asText(api.as().get(`/v1/jobs/${jobId}/results`).set('Accept', 'text/csv')),
            echoes,
          ),
          acme('results NDJSON', asText(api.as().get(`/v1/jobs/${jobId}/results?format=ndjson`)), echoes),
          acme('job events', asText(api.as().get(`/v1/jobs/${jobId}/events`)), echoes),
        ]);
        expect(page.body).toMatchObject({
          columns: ['v'],
          rows: expected.slice(INLINE_MAX),
          next_cursor: null,
        });
        expect(csv.status).toBe(200);
        expect(parse(csv.body as string)).toEqual([['v'], ...expected]);
        expect(ndjson.status).toBe(200);
        const lines = (ndjson.body as string).trim().split('\n');
        expect(lines.map((line) => JSON.parse(line))).toEqual(expected.map(() => ({ v: value })));
        expect(events.body).toMatch(/^event: status\n/m);
        expect(events.body).toContain('"status":"succeeded"');
      }),
    );
  });

  it('a value compared in a filter stays a value: no injection, no rows of anyone else', async () => {
    const [filterId, regionId] = await Promise.all([
      saveAcme("SELECT region FROM dataset WHERE $p::VARCHAR = 'x' ORDER BY revenue"),
      saveAcme('SELECT region, revenue FROM dataset WHERE region = $p'),
    ]);
    const values = hostileValues(globex);
    const runs = await Promise.all([
      ...values.map((p) =>
        acme('sync filter run', api.as().post(`/v1/query/${filterId}`).send({ parameters: { p } }), [p]),
      ),
      ...[
        ...values,
        "North' OR '1'='1",
        "North' UNION SELECT content, 0 FROM read_text('/etc/passwd') --",
      ].map((p) =>
        acme('sync region run', api.as().post(`/v1/query/${regionId}`).send({ parameters: { p } }), [p]),
      ),
    ]);
    for (const res of runs) {
      expect(res.status).toBe(200);
      expect(res.body.results).toMatchObject({ rows: [], row_count: 0 });
    }
    const all = await acme(
      'sync filter run',
      api
        .as()
        .post(`/v1/query/${filterId}`)
        .send({ parameters: { p: 'x' } }),
    );
    expect(all.body.results).toMatchObject({ row_count: ACME_ROWS, rows: [['South'], ['South'], ['North']] });
  });

  it('list_aggr() runs only aggregates: a function named in a string or a parameter never reads a file', async () => {
    const byParameter = 'SELECT list_aggr([1, 2, 3], $agg) AS v FROM dataset';
    const byName = (fn: string) => `SELECT list_aggr(['x'], '${fn}') AS v FROM dataset`;
    const names = [
      'query',
      'read_parquet',
      'query_table',
      'glob',
      'read_text',
      'getvariable',
      'current_setting',
    ];
    // Bound to the dataset, saving binds it: refused at once.
    const refused = await Promise.all(
      [byParameter, ...names.map(byName)].map((query) =>
        acme(
          'save list_aggr (bound)',
          api.as().post('/v1/save').send({ name: 'p', query, dataset_id: acmeDatasetId }),
        ),
      ),
    );
    for (const res of refused) expectRefused(res, 'list_aggr (bound)');
    // Unbound, only the text is vetted (the names are strings): saved, and every run fails.
    const saved = await Promise.all(
      [byParameter, ...names.map(byName)].map((query) =>
        acme('save list_aggr (unbound)', api.as().post('/v1/save').send({ name: 'p', query })),
      ),
    );
    for (const res of saved) expect(res.status).toBe(201);
    const [parameterised, ...named] = saved.map((res) => res.body.query_id as string);
    const runs = await Promise.all([
      ...['sum', ...names].map((agg) =>
        acme(
          `run list_aggr($agg = ${agg})`,
          api
            .as()
            .post(`/v1/query/${parameterised}`)
            .send({ dataset_id: acmeDatasetId, parameters: { agg } }),
        ),
      ),
      ...named.map((queryId) =>
        acme(
          'run list_aggr by name',
          api.as().post(`/v1/query/${queryId}`).send({ dataset_id: acmeDatasetId }),
        ),
      ),
    ]);
    for (const run of runs) {
      expect(run.status).toBe(422);
      expect(run.body).toMatchObject({ status: 'failed', error_code: 'query_error', results: null });
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('with the save-time check bypassed, the worker refuses at run time', () => {
  /** Stores a query as if vetting had let it through, runs it, then forgets it again. */
  async function runUnvetted(sql: string, mode: 'sync' | 'async' = 'sync'): Promise<supertest.Response> {
    const queryId = newId('query');
    const record: QueryRecord = {
      tenant: 'acme',
      query_id: queryId,
      name: 'unvetted',
      description: null,
      query: sql,
      dataset_id: acmeDatasetId,
      sql,
      parameters: [],
      literals: {},
      created_ms: Date.now(),
    };
    await api.deps.queries.insert(queryId, record);
    try {
      return await acme(
        `unvetted ${mode} run`,
        api.as().post(`/v1/query/${queryId}`).send({ execution_mode: mode }),
      );
    } finally {
      await api.deps.queries.remove('acme', queryId);
    }
  }

  const atRun = CORPUS.filter(([, , run]) => run).map(([what, sql]) => [what, sql] as const);

  it('runs a good part of the corpus', () => {
    expect(atRun.length).toBeGreaterThanOrEqual(20);
  });

  it.each(atRun)('%s: the job fails as query_error', async (_what, sql) => {
    const res = await runUnvetted(sql(globex));
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({
      status: 'failed',
      error_code: 'query_error',
      results: null,
      job_id: null,
    });
    expect(res.body.error).toEqual(expect.any(String));
  });

  it('as an async job too: its status, list entry, events and results show nothing', async () => {
    const run = await runUnvetted(
      `SELECT * FROM query('SELECT * FROM read_parquet(''${globex.file}'')')`,
      'async',
    );
    expect(run.status).toBe(202);
    const jobId = run.body.job_id as string;
    const job = await acme('unvetted job status', api.as().get(`/v1/jobs/${jobId}?wait=30`));
    expect(job.body).toMatchObject({ status: 'failed', error_code: 'query_error', results: null });
    const [list, events, results] = await Promise.all([
      acme('failed jobs list', api.as().get('/v1/jobs?status=failed&limit=100')),
      acme('unvetted job events', asText(api.as().get(`/v1/jobs/${jobId}/events`))),
      acme('unvetted job results', api.as().get(`/v1/jobs/${jobId}/results`)),
    ]);
    expect(list.body.data.map((j: TJobStatus) => j.job_id)).toContain(jobId);
    expect(events.body).toContain('"status":"failed"');
    expect(results.status).toBe(409);
  });
});

// ---------------------------------------------------------------------------------------------

describe('all told', () => {
  it('globex still sees its own data, marker and all (so the check can fail)', async () => {
    const [job, page, csv, schema] = await Promise.all([
      api.as('globex').get(`/v1/jobs/${globex.jobId}`),
      api.as('globex').get(`/v1/jobs/${globex.jobId}/results?limit=100`),
      asText(api.as('globex').get(`/v1/jobs/${globex.jobId}/results?format=csv`)),
      api.as('globex').get(`/v1/datasets/${globex.datasetId}/schema`),
    ]);
    expect(job.body.results.columns).toEqual(['id', MARKER]);
    expect(job.body.results.rows[0]).toEqual([0, `${MARKER}_row_0`]);
    expect(page.status).toBe(200);
    expect(page.body.rows).toHaveLength(GLOBEX_ROWS);
    expect(page.body.rows[GLOBEX_ROWS - 1]).toEqual([GLOBEX_ROWS - 1, `${MARKER}_row_${GLOBEX_ROWS - 1}`]);
    expect(csv.body).toContain(`${MARKER}_row_${GLOBEX_ROWS - 1}`);
    expect(schema.body.columns.map((c: { name: string }) => c.name)).toContain(MARKER);
    for (const res of [job, page, csv, schema]) expect(forbiddenIn(answerText(res))).toContain(MARKER);
    // Its files are still there: nothing acme did removed or replaced them.
    await Promise.all([access(globex.file), access(globex.result)]);
  });

  it('acme’s own listings show nothing of globex', async () => {
    const [jobs, queries, datasets, foreignJob, foreignDataset] = await Promise.all([
      acme('jobs list', api.as().get('/v1/jobs?limit=100')),
      acme('queries list', api.as().get('/v1/queries?limit=100')),
      acme('datasets list', api.as().get('/v1/datasets')),
      // Probes by id answer 404 like an unknown id (they may echo the id acme sent, nothing more).
      acme('globex’s job by id', api.as().get(`/v1/jobs/${globex.jobId}`), [globex.jobId]),
      acme('globex’s dataset by id', api.as().get(`/v1/datasets/${globex.datasetId}`), [globex.datasetId]),
    ]);
    expect(jobs.body.data.length).toBeGreaterThan(0);
    expect(queries.body.data.length).toBeGreaterThan(0);
    expect(datasets.body.data.map((d: { dataset_id: string }) => d.dataset_id)).toEqual([acmeDatasetId]);
    expect(foreignJob.status).toBe(404);
    expect(foreignDataset.status).toBe(404);
  });

  it('not one of acme’s answers names globex’s data, ids or files, or where the server keeps them', () => {
    expect(acmeAnswers.length).toBeGreaterThan(2 * CORPUS.length);
    const offending = acmeAnswers
      .map(({ what, text, echoes }) => {
        const found = forbiddenIn(text, echoes);
        return { what, found, excerpt: excerpt(text, found) };
      })
      .filter(({ found }) => found.length > 0);
    expect(offending).toEqual([]);
  });
});
