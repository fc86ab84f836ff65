import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  freePort,
  makeTestEnv,
  type ServiceProcess,
  startService,
  TEST_KEYS,
  waitFor,
} from '@repo/test-utils';
import { type Browser, chromium } from 'playwright-core';

/** Debian's chromium package (installed by .ci/run); never a downloaded browser. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = resolve(__dirname, '../../../test-artifacts/screenshots');
const USER = 'ops';
const PASSWORD = 'operator-password-1';

/**
 * What an operator does, in a real browser: the dashboard refuses them without
 * credentials, shows the job a client ran once they log in, and the API's /docs page
 * shows the jobs endpoint. Screenshots land in test-artifacts/screenshots.
 */
describe('operator journey in a real browser', () => {
  const testEnv = makeTestEnv();
  const processes: ServiceProcess[] = [];
  let browser: Browser;
  let apiUrl: string;
  let dashboardUrl: string;
  let jobId: string;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const [apiPort, dashboardPort] = [await freePort(), await freePort()];
    apiUrl = `http://127.0.0.1:${apiPort}`;
    dashboardUrl = `http://127.0.0.1:${dashboardPort}`;
    processes.push(
      ...(await Promise.all([
        startService('api', { ...testEnv.env, PORT: String(apiPort) }),
        startService('worker', testEnv.env),
        startService('dashboard', {
          ...testEnv.env,
          DASHBOARD_PORT: String(dashboardPort),
          DASHBOARD_USER: USER,
          DASHBOARD_PASSWORD: PASSWORD,
        }),
      ])),
    );
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });

    // A client's job, run through the API.
    const call = async (method: string, path: string, body: string, type: string) => {
      const headers = { 'X-API-Key': TEST_KEYS.acme, 'Content-Type': type };
      return (await (await fetch(`${apiUrl}${path}`, { method, headers, body })).json()) as Record<
        string,
        string
      >;
    };
    const dataset = await call(
      'POST',
      '/v1/datasets?name=sales',
      'region,revenue\nNorth,1\nSouth,2\n',
      'text/csv',
    );
    const query = await call(
      'POST',
      '/v1/save',
      JSON.stringify({
        name: 'by region',
        query: 'SELECT region, sum(revenue) AS total FROM dataset GROUP BY region',
        dataset_id: dataset.dataset_id,
      }),
      'application/json',
    );
    const run = await call(
      'POST',
      `/v1/query/${query.query_id}`,
      JSON.stringify({ execution_mode: 'async' }),
      'application/json',
    );
    jobId = run.job_id ?? '';
    await waitFor('the job to succeed', async () => {
      const res = await fetch(`${apiUrl}/v1/jobs/${jobId}`, { headers: { 'X-API-Key': TEST_KEYS.acme } });
      const job = (await res.json()) as { status: string };
      return job.status === 'succeeded';
    });
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all(processes.map((p) => p.stop()));
    await rm(testEnv.dataDir, { recursive: true, force: true });
  });

  it('refuses the dashboard without credentials', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    // Headless Chromium cannot show a login prompt: it stops the navigation on the challenge.
    await expect(page.goto(dashboardUrl)).rejects.toThrow(/ERR_INVALID_AUTH_CREDENTIALS/);
    const response = await context.request.get(`${dashboardUrl}/api/queues`);
    expect(response.status()).toBe(401);
    expect(response.headers()['www-authenticate']).toMatch(/^Basic realm=/);
    // Chromium's error page after a refused navigation cannot always be captured: the
    // screenshot is an artifact here, not an assertion.
    await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-refused.png') }).catch(() => undefined);
    await context.close();
  });

  it('logs in and finds the job the client ran, completed', async () => {
    const context = await browser.newContext({ httpCredentials: { username: USER, password: PASSWORD } });
    const page = await context.newPage();
    const home = await page.goto(dashboardUrl);
    expect(home?.status()).toBe(200);
    await page.getByText('analytics-queries').first().waitFor({ timeout: 20_000 });
    await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-queues.png') });
    await page.goto(`${dashboardUrl}/queue/analytics-queries?status=completed`);
    await page.getByText(jobId).first().waitFor({ timeout: 20_000 });
    await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-completed-job.png'), fullPage: true });
    await context.close();
  });

  it('loads /docs showing the jobs endpoint, from local assets', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const external: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(apiUrl)) external.push(request.url());
    });
    await page.goto(`${apiUrl}/docs`);
    await page.getByText('/v1/jobs/{job_id}', { exact: true }).first().waitFor({ timeout: 20_000 });
    await page.screenshot({ path: join(SCREENSHOTS, 'docs.png') });
    expect(external.filter((url) => !url.startsWith('data:'))).toEqual([]);
    await context.close();
  });
});
