/**
 * `npm start`: the whole stack on one machine for a first try — Redis, the API and
 * one worker. Redis is REDIS_URL if given, else one already answering on
 * 127.0.0.1:6379, else a private redis-server (AOF on, data under .data/redis).
 * Without API_KEYS it makes a development key once and keeps it in .data/dev-api-key.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { loadConfigOrExit } from '@repo/config';

const root = resolve(__dirname, '..');
const children: ChildProcess[] = [];

function redisAnswers(host: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = new Socket();
    const finish = (ok: boolean) => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(500, () => finish(false));
    socket.once('error', () => finish(false));
    socket.connect(port, host, () => socket.write('PING\r\n'));
    socket.once('data', (data) => finish(data.toString().startsWith('+PONG')));
  });
}

function run(name: string, command: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(command, args, { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'] });
  child.once('exit', (code, signal) => {
    if (!stopping) {
      console.error(`[start] ${name} exited (${signal ?? code}); stopping the stack`);
      void stop(1);
    }
  });
  children.push(child);
  return child;
}

let stopping = false;
async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  // Reverse order: workers and API first, Redis last, so nothing loses its store mid-write.
  for (const child of [...children].reverse()) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  process.exit(code);
}

async function main(): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  const dataDir = resolve(env.DATA_DIR || join(root, '.data'));
  mkdirSync(dataDir, { recursive: true });
  env.DATA_DIR = dataDir;

  if (!env.REDIS_URL) {
    if (await redisAnswers('127.0.0.1', 6379)) {
      env.REDIS_URL = 'redis://127.0.0.1:6379';
      console.log('[start] using the Redis already running on 127.0.0.1:6379');
    } else {
      const port = Number(env.START_REDIS_PORT || 6390);
      const dir = join(dataDir, 'redis');
      mkdirSync(dir, { recursive: true });
      run(
        'redis-server',
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--dir',
          dir,
          '--appendonly',
          'yes',
          '--appendfsync',
          'everysec',
          '--maxmemory-policy',
          'noeviction',
        ],
        env,
      );
      for (let i = 0; i < 100 && !(await redisAnswers('127.0.0.1', port)); i++)
        await new Promise((r) => setTimeout(r, 100));
      env.REDIS_URL = `redis://127.0.0.1:${port}`;
      console.log(`[start] started a private redis-server on 127.0.0.1:${port} (data in ${dir})`);
    }
  }

  let devKey: string | undefined;
  if (!env.API_KEYS) {
    const keyFile = join(dataDir, 'dev-api-key');
    if (!existsSync(keyFile))
      writeFileSync(keyFile, `dev_${randomBytes(18).toString('base64url')}\n`, { mode: 0o600 });
    devKey = readFileSync(keyFile, 'utf8').trim();
    env.API_KEYS = `dev:${devKey}`;
  }

  const config = loadConfigOrExit(env);

  const tsx = ['--import', 'tsx'];
  run('worker', process.execPath, [...tsx, 'apps/worker/src/main.ts'], env);
  run('api', process.execPath, [...tsx, 'apps/api/src/main.ts'], env);
  const dashboardOpen = !env.DASHBOARD_USER && !env.DASHBOARD_PASSWORD && !env.DASHBOARD_AUTH;
  // A local first run opens the dashboard without a login, and says so; set credentials to close it.
  run('dashboard', process.execPath, [...tsx, 'apps/dashboard/src/main.ts'], {
    ...env,
    ...(dashboardOpen ? { DASHBOARD_AUTH: 'off' } : {}),
  });

  const base = `http://${config.HOST}:${config.PORT}`;
  console.log(`[start] API      ${base}  (health: ${base}/healthz)`);
  console.log(`[start] docs     ${base}/docs  (OpenAPI: ${base}/openapi.json, metrics: ${base}/metrics)`);
  console.log(
    `[start] queues   http://${config.DASHBOARD_HOST}:${config.DASHBOARD_PORT}  (dashboard${dashboardOpen ? ', NO LOGIN: DASHBOARD_AUTH=off for local development; set DASHBOARD_USER and DASHBOARD_PASSWORD to require one' : ''})`,
  );
  console.log(`[start] Redis    ${config.REDIS_URL}   data: ${config.DATA_DIR}`);
  if (devKey) console.log(`[start] development API key (tenant "dev"): ${devKey}`);
  console.log(`[start] try: curl -H "X-API-Key: ${devKey ?? '<your key>'}" ${base}/v1/datasets`);
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
}

void main();
