import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { ZErrorEnvelope } from '@repo/contracts';
import { childEnv, SALES_CSV } from '@repo/test-utils';
import type { Response } from 'supertest';
import type { TestApi } from '../testing/test-api';

export async function uploadCsv(
  api: TestApi,
  tenant: 'acme' | 'globex' = 'acme',
  csv = SALES_CSV,
): Promise<{ dataset_id: string; size_bytes: number }> {
  const res = await api
    .as(tenant)
    .post('/v1/datasets?name=sales')
    .set('Content-Type', 'text/csv')
    .send(csv)
    .expect(201);
  return res.body as { dataset_id: string; size_bytes: number };
}

export async function saveSql(
  api: TestApi,
  datasetId: string,
  sql = 'SELECT region, SUM(revenue) AS total FROM dataset WHERE month = $month GROUP BY region ORDER BY region',
  tenant: 'acme' | 'globex' = 'acme',
): Promise<string> {
  const res = await api
    .as(tenant)
    .post('/v1/save')
    .send({ name: 'q', query: sql, dataset_id: datasetId })
    .expect(201);
  return (res.body as { query_id: string }).query_id;
}

/** Server paths, stack frames and module names: none may appear in an answer. */
export function leaks(text: string, dataDir: string): string[] {
  const found: string[] = [];
  for (const marker of [dataDir, '/work/', 'node_modules', 'root:x:0:0']) {
    if (text.includes(marker)) found.push(marker);
  }
  if (/\n\s+at\s/.test(text) || /\bat .*\.(ts|js):\d+/.test(text)) found.push('stack trace');
  return found;
}

/** The answer is the error envelope with this status and code, and reveals nothing of the server. */
export function expectError(res: Response, status: number, code: string, dataDir: string): void {
  const seen = { status: res.status, body: res.body as unknown };
  expect(seen).toMatchObject({ status, body: { error: { code } } });
  expect(ZErrorEnvelope.safeParse(res.body).success).toBe(true);
  expect(res.headers['x-request-id']).toEqual(expect.any(String));
  expect(res.headers['cache-control']).toBe('no-store');
  expect(leaks(res.text, dataDir)).toEqual([]);
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `npm run keys` as a real process (tsx), against the test run's Redis and prefix. */
export function runKeysCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  const cli = resolve(__dirname, '../api-keys-cli.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args], {
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((done) => child.once('close', (code) => done({ code, stdout, stderr })));
}
