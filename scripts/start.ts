/**
 * `npm start`: the whole stack on one machine for a first try — Redis, the API, one worker
 * and the queue dashboard.
 *
 * Redis is the one REDIS_URL names, else always a private redis-server this script starts and
 * stops (AOF on, noeviction, data under DATA_DIR/redis): never a Redis that merely happens to
 * answer on 6379. The private one listens on START_REDIS_PORT if given (it must be free),
 * else on the port it had last time or 6390 — or, when that is taken, on a free port.
 * Without API_KEYS it makes a development key once and keeps it in DATA_DIR/dev-api-key.
 * It prints where everything is once every service answers, and a last line once Ctrl-C has
 * stopped them all. `npm run reset` deletes what it leaves in DATA_DIR.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { type Config, loadConfigOrExit } from '@repo/config';
import {
  connectHost,
  dataDirOf,
  freePort,
  planPrivateRedis,
  portIsFree,
  privateRedisDir,
  privateRedisPortFile,
  probeRedis,
  REPO_ROOT,
  redactRedisUrl,
  runningStartPid,
  serviceAnswers,
  startPidFile,
} from './lib/local-stack';

const root = REPO_ROOT;
const say = (line: string) => console.log(`[start] ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A path as the user would type it from the repository. */
const shown = (path: string) => {
  const rel = relative(root, path);
  return rel && !rel.startsWith('..') ? rel : path;
};

interface Service {
  name: string;
  child: ChildProcess;
}
const services: Service[] = [];
let redis: { child: ChildProcess | null; pid: number | null; port: number } | null = null;
let externalRedis = false;
let stopping = false;
let dataDir = '';

function fail(message: string): never {
  console.error(`[start] ${message}`);
  process.exit(1);
}

function run(name: string, command: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(command, args, { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'] });
  child.once('exit', (code, signal) => {
    if (!stopping) {
      console.error(`[start] ${name} exited (${signal ?? `code ${code}`}); stopping the rest`);
      void stop(1);
    }
  });
  services.push({ name, child });
  return child;
}

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((r) => child.once('exit', () => r()));

async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  // The services first (on a terminal, Ctrl-C has already reached them: they are in its
  // process group), each finishing its shutdown against Redis; Redis last, so nothing loses
  // its store mid-write.
  await Promise.all(
    services.map(async ({ child }) => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited(child);
    }),
  );
  const stopped = services.map((s) => s.name);
  if (redis) {
    if (redis.child) {
      if (redis.child.exitCode === null && redis.child.signalCode === null) redis.child.kill('SIGTERM');
      await exited(redis.child);
    } else if (redis.pid) {
      // Adopted from an earlier npm start: stopped by its pid, then waited for.
      try {
        process.kill(redis.pid, 'SIGTERM');
      } catch {}
      for (let i = 0; i < 100 && (await probeRedis(redis.port)); i++) await sleep(100);
    }
    stopped.push('the private Redis');
  }
  const what = `${stopped.length > 0 ? ` (${stopped.join(', ')})` : ''}${externalRedis ? '; the Redis of REDIS_URL still runs' : ''}`;
  say(
    code === 0
      ? `everything stopped${what}. Data kept in ${shown(dataDir)}; npm run reset deletes it.`
      : `everything stopped${what} after the failure above.`,
  );
  process.exit(code);
}

/**
 * The private redis-server of this DATA_DIR: one still running from an earlier npm start
 * (stopped uncleanly) is used again; else one is started, detached from the terminal's
 * process group so that Ctrl-C reaches it only after the services have stopped.
 */
async function privateRedis(env: NodeJS.ProcessEnv): Promise<{ url: string; note: string }> {
  const dir = privateRedisDir(dataDir);
  mkdirSync(dir, { recursive: true });
  const details = `AOF on, data in ${shown(dir)}, log ${shown(join(dir, 'redis.log'))}`;
  const plan = await planPrivateRedis(env, dataDir);
  if (plan.kind === 'refuse') fail(plan.message);
  if (plan.kind === 'adopt') {
    redis = { child: null, pid: plan.pid, port: plan.port };
    return {
      url: `redis://127.0.0.1:${plan.port}`,
      note: `private redis-server left running by an earlier npm start (pid ${plan.pid ?? '?'}); ${details}; stopped with the rest`,
    };
  }
  const { port, why } = plan;

  const child = spawn(
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
      '--pidfile',
      join(dir, 'redis.pid'),
      '--logfile',
      join(dir, 'redis.log'),
    ],
    { cwd: dir, stdio: 'ignore', detached: true },
  );
  redis = { child, pid: null, port };
  const gone = new Promise<string>((r) => {
    child.once('error', (error: NodeJS.ErrnoException) =>
      r(
        error.code === 'ENOENT'
          ? 'redis-server is not on the PATH: install it (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis), or name a Redis of yours with REDIS_URL'
          : `redis-server could not start: ${error.message}`,
      ),
    );
    child.once('exit', (code, signal) => {
      const log = join(dir, 'redis.log');
      const tail = existsSync(log)
        ? readFileSync(log, 'utf8').trimEnd().split('\n').slice(-5).join('\n')
        : '';
      r(
        `redis-server exited (${signal ?? `code ${code}`}) before it answered; the end of ${shown(log)}:\n${tail}`,
      );
    });
  });
  let failed: string | null = null;
  void gone.then((message) => {
    failed = message;
  });
  // Loading a large AOF takes a while; redis-server answers PING once it is loaded.
  for (let i = 0; !failed; i++) {
    if (await probeRedis(port)) break;
    if (i === 50) say(`waiting for redis-server on 127.0.0.1:${port} (loading its data?)`);
    await sleep(100);
  }
  if (failed) {
    redis = null;
    fail(failed);
  }
  writeFileSync(privateRedisPortFile(dataDir), `${port}\n`);
  // Once it answers, Ctrl-C or a failure stops it with the rest; an exit it did not ask for stops the rest.
  child.once('exit', (code, signal) => {
    if (!stopping) {
      console.error(
        `[start] redis-server exited (${signal ?? `code ${code}`}); stopping the rest (see ${shown(join(dir, 'redis.log'))})`,
      );
      void stop(1);
    }
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    note: `private redis-server started by npm start on port ${port} (${why}); ${details}; stopped with the rest`,
  };
}

/** A port for a service: the one configured (which must be free), or a free one for 0. */
async function servicePort(name: string, variable: string, host: string, port: number): Promise<number> {
  if (port === 0) return freePort(connectHost(host));
  if (!(await portIsFree(port, host))) {
    fail(
      `${name} cannot listen on ${host}:${port}: something else does (npm start already running, or another program?). Stop it, or set ${variable} to another port.`,
    );
  }
  return port;
}

/** Resolves once every service answers, or never when the stack is stopping. */
async function waitUntilListening(checks: { name: string; base: string }[]): Promise<void> {
  const pending = new Set(checks);
  const started = Date.now();
  let told = false;
  while (pending.size > 0) {
    if (stopping) await new Promise(() => undefined);
    for (const check of [...pending]) if (await serviceAnswers(check.base, 500)) pending.delete(check);
    if (pending.size === 0) break;
    if (!told && Date.now() - started > 30_000) {
      told = true;
      say(`still waiting for ${[...pending].map((c) => `${c.name} (${c.base})`).join(', ')}`);
    }
    await sleep(200);
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const env: NodeJS.ProcessEnv = { ...process.env };
  dataDir = dataDirOf(env, root);
  mkdirSync(dataDir, { recursive: true });
  env.DATA_DIR = dataDir;
  const already = runningStartPid(dataDir);
  if (already !== null) {
    fail(
      `npm start is already running with ${shown(dataDir)} (pid ${already}); stop it first (Ctrl-C there). If it is not, that pid is another program's: delete ${shown(startPidFile(dataDir))}.`,
    );
  }

  let devKey: string | undefined;
  const keyFile = join(dataDir, 'dev-api-key');
  if (!env.API_KEYS) {
    if (!existsSync(keyFile))
      writeFileSync(keyFile, `dev_${randomBytes(18).toString('base64url')}\n`, { mode: 0o600 });
    devKey = readFileSync(keyFile, 'utf8').trim();
    env.API_KEYS = `dev:${devKey}`;
  }
  // Checked before anything starts, so a mistake costs no Redis start and stop.
  let config: Config = loadConfigOrExit(env);

  // Every service gets a concrete port, so that this script can tell when it answers.
  const apiPort = await servicePort('The API', 'PORT', config.HOST, config.PORT);
  const dashboardPort = await servicePort(
    'The dashboard',
    'DASHBOARD_PORT',
    config.DASHBOARD_HOST,
    config.DASHBOARD_PORT,
  );
  // The worker's /healthz (and /metrics) say when it is ready.
  const workerPort = await servicePort(
    'The worker',
    'WORKER_METRICS_PORT',
    config.WORKER_METRICS_HOST,
    config.WORKER_METRICS_PORT ?? 0,
  );
  env.PORT = String(apiPort);
  env.DASHBOARD_PORT = String(dashboardPort);
  env.WORKER_METRICS_PORT = String(workerPort);

  writeFileSync(startPidFile(dataDir), `${process.pid}\n`);
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  process.on('SIGHUP', () => void stop(0));
  // Whatever happens to this script, its Redis and pid file do not outlive it.
  process.on('exit', () => {
    if (redis?.child && redis.child.exitCode === null) redis.child.kill('SIGTERM');
    rmSync(startPidFile(dataDir), { force: true });
  });

  let redisLine: string;
  if (env.REDIS_URL) {
    externalRedis = true;
    redisLine = `${redactRedisUrl(env.REDIS_URL)}  from REDIS_URL (npm start neither starts nor stops it; npm run reset leaves it alone)`;
  } else {
    const own = await privateRedis(env);
    env.REDIS_URL = own.url;
    redisLine = `${own.url}  ${own.note}`;
    if ((await probeRedis(6379)) && !own.url.endsWith(':6379')) {
      say(
        'a Redis answers on 127.0.0.1:6379: npm start leaves it alone (REDIS_URL=redis://127.0.0.1:6379 npm start would use it)',
      );
    }
  }
  say(`Redis: ${redisLine}`);
  config = loadConfigOrExit(env);

  const tsx = ['--import', 'tsx'];
  run('worker', process.execPath, [...tsx, 'apps/worker/src/main.ts'], env);
  run('API', process.execPath, [...tsx, 'apps/api/src/main.ts'], env);
  const dashboardOpen = !env.DASHBOARD_USER && !env.DASHBOARD_PASSWORD && !env.DASHBOARD_AUTH;
  // A local first run opens the dashboard without a login, and says so; set credentials to close it.
  run('dashboard', process.execPath, [...tsx, 'apps/dashboard/src/main.ts'], {
    ...env,
    ...(dashboardOpen ? { DASHBOARD_AUTH: 'off' } : {}),
  });

  const api = `http://${connectHost(config.HOST)}:${apiPort}`;
  const dashboard = `http://${connectHost(config.DASHBOARD_HOST)}:${dashboardPort}`;
  const worker = `http://${connectHost(config.WORKER_METRICS_HOST)}:${workerPort}`;
  await waitUntilListening([
    { name: 'the worker', base: worker },
    { name: 'the API', base: api },
    { name: 'the dashboard', base: dashboard },
  ]);
  if (stopping) return;

  const lines = [
    '',
    `ready in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    `API        ${api}  (health: /healthz, readiness: /readyz)`,
    `docs       ${api}/docs  (OpenAPI: ${api}/openapi.json, metrics: ${api}/metrics)`,
    `dashboard  ${dashboard}${dashboardOpen ? '  NO LOGIN (DASHBOARD_AUTH=off, for local development; set DASHBOARD_USER and DASHBOARD_PASSWORD to require one)' : ''}`,
    `worker     1 process, ${config.WORKER_CONCURRENCY} jobs at a time  (metrics: ${worker}/metrics)`,
    `Redis      ${redisLine}`,
    `data       ${shown(dataDir)}  (npm run reset deletes it, once this is stopped)`,
    devKey
      ? `API key    ${devKey}  (tenant "dev", kept in ${shown(keyFile)})`
      : 'API key    the keys in API_KEYS',
    `try        curl -H "X-API-Key: ${devKey ?? '<your key>'}" ${api}/v1/datasets`,
    'Ctrl-C stops everything.',
  ];
  for (const line of lines) console.log(line && `[start] ${line}`);
}

main().catch((error: unknown) => {
  console.error(`[start] ${error instanceof Error ? (error.stack ?? error.message) : error}`);
  void stop(1);
});
