import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, numbersCsv, SALES_CSV, SLOW_SQL } from '@repo/test-utils';
import {
  CLI_BIN,
  type ProcessResult,
  runAnalytics,
  runProcess,
  shellWord,
  startStack,
  type TestStack,
} from '../testing/test-stack';

const MONTHLY_SQL =
  'SELECT region, SUM(revenue) AS total_revenue FROM dataset WHERE month = $month GROUP BY region ORDER BY region';
const MONTHLY_TABLE =
  'region  total_revenue\n------  -------------\nNorth         48320.5\nSouth           31205\n(2 rows)\n';

function hasScript(): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v script'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('the analytics command against the real API and worker', () => {
  let stack: TestStack;
  let env: Record<string, string>;
  let dir: string;
  let datasetId: string;
  let queryId: string;
  let slowQueryId: string;

  const analytics = (...args: string[]): Promise<ProcessResult> => runAnalytics(args, env, { cwd: dir });
  const id = (result: ProcessResult) => {
    expect(result).toMatchObject({ code: 0, stderr: '' });
    return result.stdout.trim();
  };

  beforeAll(async () => {
    // A short sync wait, so that a sync run of the slow query falls back to a job (202).
    stack = await startStack({ SYNC_WAIT_MS: '2000' });
    env = { ANALYTICS_URL: stack.url, ANALYTICS_API_KEY: stack.apiKey };
    dir = mkdtempSync(join(tmpdir(), 'analytics-cli-'));
    writeFileSync(join(dir, 'sales.csv'), SALES_CSV);
    writeFileSync(join(dir, 'numbers.csv'), numbersCsv(30_000));
    const numbers = id(await analytics('datasets', 'upload', 'numbers.csv', '-q'));
    slowQueryId = id(
      await analytics('queries', 'save', '-q', '--name', 'slow', '--dataset', numbers, '--sql', SLOW_SQL),
    );
  });

  afterAll(async () => {
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('uploads, saves, and runs a query sync, async and waited for', async () => {
    const upload = await analytics('datasets', 'upload', 'sales.csv');
    expect(upload.code).toBe(0);
    expect(upload.stdout).toMatch(/^dset_\S+ {2}"sales": 5 rows, 3 columns, /);
    expect(upload.stdout).toContain('revenue  DOUBLE       0');

    datasetId = id(await analytics('datasets', 'upload', 'sales.csv', '--name', 'sales', '-q'));
    expect(datasetId).toMatch(/^dset_[\w-]+$/);
    queryId = id(
      await analytics(
        'queries',
        'save',
        '-q',
        '--name',
        'monthly',
        '--dataset',
        datasetId,
        '--sql',
        MONTHLY_SQL,
      ),
    );
    expect(queryId).toMatch(/^qry_[\w-]+$/);

    expect(await analytics('run', queryId, '--param', 'month=2024-05')).toEqual({
      code: 0,
      stdout: MONTHLY_TABLE,
      stderr: '',
    });
    const asJson = await analytics('run', queryId, '--param', 'month=2024-05', '--json');
    expect(JSON.parse(asJson.stdout)).toMatchObject({
      execution_mode: 'sync',
      status: 'succeeded',
      results: {
        rows: [
          ['North', 48320.5],
          ['South', 31205],
        ],
        row_count: 2,
      },
    });

    const waited = await analytics('run', queryId, '--param', 'month=2024-05', '--wait');
    expect(waited.code).toBe(0);
    expect(waited.stdout).toBe(MONTHLY_TABLE);
    expect(waited.stderr).toMatch(/^job_\S+ succeeded 100%$/m);

    const jobId = id(await analytics('run', queryId, '--param', 'month=2024-05', '--async', '-q'));
    expect(jobId).toMatch(/^job_[\w-]+$/);
    const followed = await analytics('jobs', 'wait', jobId, '-q');
    expect(followed).toEqual({ code: 0, stdout: MONTHLY_TABLE, stderr: '' });
    const job = JSON.parse((await analytics('jobs', 'get', jobId, '--json')).stdout);
    expect(job).toMatchObject({ job_id: jobId, status: 'succeeded', progress: 100 });
    expect((await analytics('jobs', 'get', jobId)).stdout).toContain(MONTHLY_TABLE);

    const apiCsv = await (
      await fetch(`${stack.url}/v1/jobs/${jobId}/results?format=csv`, {
        headers: { 'X-API-Key': stack.apiKey },
      })
    ).text();
    expect(apiCsv).toBe('region,total_revenue\r\nNorth,48320.5\r\nSouth,31205\r\n');
    expect(await analytics('jobs', 'results', jobId, '--format', 'csv')).toEqual({
      code: 0,
      stdout: apiCsv,
      stderr: '',
    });
    expect((await analytics('jobs', 'results', jobId, '--format', 'ndjson')).stdout).toBe(
      '{"region":"North","total_revenue":48320.5}\n{"region":"South","total_revenue":31205}\n',
    );
    expect((await analytics('jobs', 'results', jobId)).stdout).toBe(MONTHLY_TABLE);

    const listed = await analytics('jobs', 'list', '--query', queryId, '--status', 'succeeded');
    expect(listed.stdout.split('\n')[0]).toMatch(/^job_id +status +progress +query_id/);
    expect(listed.stdout).toContain(jobId);
    expect((await analytics('datasets', 'list')).stdout).toContain(datasetId);
    expect((await analytics('datasets', 'schema', datasetId)).stdout).toContain('month    VARCHAR      0');
    expect((await analytics('queries', 'get', queryId)).stdout).toContain(MONTHLY_SQL);
    expect(JSON.parse((await analytics('queries', 'list', '--all', '--json')).stdout).data).toHaveLength(2);
  });

  it('saves the structured form from a JSON file, whole body or query alone', async () => {
    const query = {
      group_by: ['region'],
      aggregates: [{ fn: 'sum', column: 'revenue', as: 'total_revenue' }],
      filters: [{ column: 'month', op: 'eq', value: { param: 'month' } }],
      order_by: [{ column: 'total_revenue', direction: 'desc' }],
    };
    writeFileSync(
      join(dir, 'top.json'),
      JSON.stringify({ name: 'top_regions', dataset_id: datasetId, query }),
    );
    writeFileSync(join(dir, 'bare.json'), JSON.stringify(query));
    const top = id(await analytics('queries', 'save', '--file', 'top.json', '-q'));
    const bare = id(await analytics('queries', 'save', '--file', 'bare.json', '--name', 'bare', '-q'));
    for (const saved of [top, bare]) {
      const run = await analytics('run', saved, '--param', 'month=2024-05', '--dataset', datasetId, '--json');
      expect(JSON.parse(run.stdout).results.rows).toEqual([
        ['North', 48320.5],
        ['South', 31205],
      ]);
    }
  });

  const scriptIt = hasScript() ? it : it.skip;
  scriptIt('draws a live progress bar on a terminal (under script(1))', async () => {
    const command = [process.execPath, CLI_BIN, 'run', slowQueryId, '--wait'].map(shellWord).join(' ');
    const result = await runProcess('script', ['-qec', command, '/dev/null'], {
      env,
      cwd: dir,
      timeoutMs: 60_000,
    });
    expect(result.code).toBe(0);
    // "Erase to end of line" after each frame, shown as <EL>.
    const screen = result.stdout.replaceAll('\u001b[K', '<EL>');
    // Redrawn in place: carriage returns, a bar that fills, the final frame, then the table.
    expect(screen).toMatch(/\rjob_\S+ running +\[[█░]{10,}\] +\d+%<EL>/);
    expect(screen).toMatch(/\rjob_\S+ succeeded \[█{10,}\] 100%<EL>\r?\n/);
    expect(screen).not.toMatch(/^job_\S+ running \d+%$/m);
    expect(screen.replace(/\r/g, '')).toMatch(/ +n\n-+\n\d+\n\(1 row\)\n/);
  });

  it('writes plain progress lines when it is not on a terminal', async () => {
    const result = await analytics('run', slowQueryId, '--wait');
    expect(result.code).toBe(0);
    expect(result.stderr).not.toContain('\r');
    const lines = result.stderr.trim().split('\n');
    // Until DuckDB's first figure, a running job's progress is not measured: said so, not 0%.
    expect(
      lines.every((line) =>
        /^job_\S+ ((queued|running|succeeded) \d+%|running \(progress not measured\))$/.test(line),
      ),
    ).toBe(true);
    const progress = lines
      .filter((line) => line.endsWith('%'))
      .map((line) => Number(/(\d+)%$/.exec(line)?.[1]));
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(lines.at(-1)).toMatch(/ succeeded 100%$/);
    expect(result.stdout).toMatch(/^ +n\n-+\n\d+\n\(1 row\)\n$/);
  });

  it("follows the job when a sync run outlasts the API's sync wait", async () => {
    const result = await analytics('run', slowQueryId);
    expect(result.code).toBe(0);
    const [note, ...progress] = result.stderr.trim().split('\n');
    expect(note).toMatch(/^Still running after the API's sync wait; following job job_\S+\.$/);
    expect(progress.at(-1)).toMatch(/^job_\S+ succeeded 100%$/);
    expect(result.stdout).toMatch(/^ +n\n-+\n\d+\n\(1 row\)\n$/);
  });

  it('deletes what it made', async () => {
    const scratch = id(await analytics('datasets', 'upload', 'sales.csv', '--name', 'scratch', '-q'));
    const query = id(
      await analytics('queries', 'save', '-q', '--name', 'scratch', '--sql', 'SELECT 1 AS one'),
    );
    expect(await analytics('queries', 'delete', query)).toEqual({
      code: 0,
      stdout: `Deleted ${query}\n`,
      stderr: '',
    });
    expect(await analytics('datasets', 'delete', scratch)).toEqual({
      code: 0,
      stdout: `Deleted ${scratch}\n`,
      stderr: '',
    });
    expect((await analytics('datasets', 'get', scratch)).code).toBe(4);
    expect((await analytics('queries', 'delete', query)).stderr).toContain('404 not_found');
  });

  it('exits 1 when the query fails, and says why', async () => {
    const failing = id(
      await analytics(
        'queries',
        'save',
        '-q',
        '--name',
        'bad',
        '--dataset',
        datasetId,
        '--sql',
        'SELECT CAST(region AS INTEGER) AS r FROM dataset',
      ),
    );
    const sync = await analytics('run', failing);
    expect(sync.code).toBe(1);
    expect(sync.stdout).toBe('');
    expect(sync.stderr).toMatch(/^The run failed \(query_error\): .+/);
    const waited = await analytics('run', failing, '--wait');
    expect(waited.code).toBe(1);
    expect(waited.stderr).toMatch(/^Job job_\S+ failed \(query_error\): .+$/m);
    const asJson = await analytics('run', failing, '--json');
    expect(asJson.code).toBe(1);
    expect(JSON.parse(asJson.stdout)).toMatchObject({ status: 'failed', error_code: 'query_error' });
  });

  it('exits 2 on usage errors, 3 when the API is unreachable, 4 when it refuses', async () => {
    const noFile = await analytics('datasets', 'upload', 'missing.csv');
    expect(noFile).toMatchObject({ code: 2, stdout: '' });
    expect(noFile.stderr).toContain('missing.csv: no such file');
    writeFileSync(join(dir, 'notes.txt'), 'a\n1\n');
    expect((await analytics('datasets', 'upload', 'notes.txt')).stderr).toContain('give --content-type');
    expect(
      (await analytics('datasets', 'upload', 'notes.txt', '--content-type', 'text/csv', '-q')).code,
    ).toBe(0);

    const nowhere = await runAnalytics(['datasets', 'list'], {
      ...env,
      ANALYTICS_URL: `http://127.0.0.1:${await freePort()}`,
    });
    expect(nowhere.code).toBe(3);
    expect(nowhere.stderr).toMatch(/Could not reach the API at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);

    const unknown = await analytics('jobs', 'get', 'job_doesnotexist');
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toMatch(
      /^analytics: 404 not_found: No job with id "job_doesnotexist" .+\(request [\w-]+\)$/m,
    );
    const badKey = await analytics('datasets', 'list', '--key', 'wrong-key-0123456789');
    expect(badKey.code).toBe(4);
    expect(badKey.stderr).toContain('401 unauthorized');
    const missing = await analytics('run', queryId);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain('422 missing_parameter');
    expect(missing.stderr).toContain('[parameters.month]');
  });

  it('stops waiting on Ctrl-C (130) or --wait-timeout-ms (5), leaving the job to cancel', async () => {
    const child = spawn(process.execPath, [CLI_BIN, 'run', slowQueryId, '--wait'], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    await new Promise<void>((resolve) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (/ running \d+%/.test(stderr)) resolve();
      });
    });
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    const jobId = /Stopped waiting; job (job_\S+) goes on/.exec(stderr)?.[1] ?? '';
    expect(jobId).toMatch(/^job_/);
    expect(stderr).toContain(`analytics jobs cancel ${jobId}`);

    expect(await analytics('jobs', 'cancel', jobId)).toEqual({
      code: 0,
      stdout: `Cancelled ${jobId}\n`,
      stderr: '',
    });
    const ended = await analytics('jobs', 'wait', jobId);
    expect(ended.code).toBe(1);
    expect(ended.stderr).toContain(`Job ${jobId} failed (cancelled)`);
    const again = await analytics('jobs', 'cancel', jobId);
    expect(again.code).toBe(4);
    expect(again.stderr).toContain('409 conflict');

    const impatient = await analytics('run', slowQueryId, '--wait', '--wait-timeout-ms', '300', '-q');
    expect(impatient.code).toBe(5);
    const other = /job (job_\S+) goes on/.exec(impatient.stderr)?.[1] ?? '';
    expect(other).toMatch(/^job_/);
    expect((await analytics('jobs', 'cancel', other, '-q')).code).toBe(0);
  });
});
