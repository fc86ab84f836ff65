import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, parse, relative, resolve } from 'node:path';
import {
  DEFAULT_PRIVATE_REDIS_PORT,
  dataDirOf,
  isPrivateRedisOf,
  probeRedis,
  queuePrefixOf,
  REPO_ROOT,
  recordedRedisPort,
  redactRedisUrl,
  runningStartPid,
  serviceAnswers,
  serviceBases,
} from './local-stack';

export interface ResetOptions {
  env: NodeJS.ProcessEnv;
  /** The repository (DATA_DIR's default is its .data). */
  root?: string;
  /** --yes: no question asked. */
  yes: boolean;
  /** Asks the question and resolves with the answer; absent when stdin is not a terminal. */
  ask?: (question: string) => Promise<string>;
  out?: (line: string) => void;
}

/** Why the stack looks alive, or null when nothing of it answers. */
export async function stackRunning(env: NodeJS.ProcessEnv, dataDir: string): Promise<string | null> {
  const startPid = runningStartPid(dataDir);
  if (startPid !== null) {
    return `npm start is running (pid ${startPid}, from ${join(dataDir, 'npm-start.pid')})`;
  }
  const ports = new Set<number>();
  const recorded = recordedRedisPort(dataDir);
  if (recorded !== null) ports.add(recorded);
  const fixed = Number(env.START_REDIS_PORT);
  ports.add(Number.isSafeInteger(fixed) && fixed > 0 ? fixed : DEFAULT_PRIVATE_REDIS_PORT);
  for (const port of ports) {
    const probe = await probeRedis(port);
    if (probe && isPrivateRedisOf(probe, dataDir)) {
      return `the private redis-server of ${dataDir} answers on 127.0.0.1:${port}${probe.pid ? ` (pid ${probe.pid})` : ''}`;
    }
  }
  for (const { name, base } of serviceBases(env)) {
    if (await serviceAnswers(base)) return `${name} answers on ${base}`;
  }
  return null;
}

/** Directories reset never deletes whatever DATA_DIR says: /, the home directory, the repository or above. */
function unsafeTarget(dataDir: string, root: string): boolean {
  const home = homedir();
  return (
    dataDir === parse(dataDir).root ||
    dataDir === home ||
    !relative(dataDir, root).startsWith('..') ||
    dataDir === dirname(home)
  );
}

function describe(dataDir: string): string[] {
  const known: Record<string, string> = {
    redis: "the private Redis's data (queued and finished jobs, API keys made with npm run keys)",
    'dev-api-key': 'the development API key',
    'npm-start.pid': "a stopped npm start's pid file",
    tenants: "every tenant's datasets, uploads and results",
    datasets: 'datasets of an older layout',
    results: 'results of an older layout',
    'dataset-cache': "the workers' copies of datasets from object storage",
    '.duckdb-tmp': "DuckDB's spill files",
  };
  return readdirSync(dataDir)
    .sort()
    .map((name) => {
      const dir = statSync(join(dataDir, name)).isDirectory();
      return `  ${name}${dir ? '/' : ''}${known[name] ? `  ${known[name]}` : ''}`;
    });
}

/**
 * `npm run reset`: deletes the local state `npm start` made (DATA_DIR, default .data/), once
 * nothing of the stack answers. A Redis named by REDIS_URL is never touched: reset says how
 * to clear this project's keys there instead. Resolves with the exit code.
 */
export async function reset(options: ResetOptions): Promise<number> {
  const { env, yes, ask } = options;
  const out = options.out ?? ((line: string) => console.log(line));
  const root = resolve(options.root ?? REPO_ROOT);
  const dataDir = dataDirOf(env, root);

  if (unsafeTarget(dataDir, root)) {
    out(
      `reset: refusing to delete ${dataDir}: DATA_DIR must be a directory of its own, not / , home or the repository`,
    );
    return 1;
  }
  const running = await stackRunning(env, dataDir);
  if (running) {
    out(`reset: ${running}. Stop it first (Ctrl-C in the terminal running npm start), then run reset again.`);
    if (running.startsWith('npm start is running')) {
      out(
        `reset: (if no npm start is running, that pid is another program's: delete ${join(dataDir, 'npm-start.pid')})`,
      );
    }
    return 1;
  }

  const external = env.REDIS_URL ? redactRedisUrl(env.REDIS_URL) : null;
  const redisNote = () => {
    if (!external) return;
    const prefix = queuePrefixOf(env);
    out(`reset: REDIS_URL names a Redis of yours (${external}): reset leaves it alone. To delete this`);
    out(`       project's keys there (every job, result page and key made with npm run keys):`);
    out(
      `         redis-cli -u "$REDIS_URL" --scan --pattern '${prefix}*' | xargs redis-cli -u "$REDIS_URL" del`,
    );
    out('       or start afresh beside them with another QUEUE_PREFIX.');
  };
  if (env.OBJECT_STORE_URL) {
    out(
      `reset: OBJECT_STORE_URL is set: datasets and results in ${env.OBJECT_STORE_URL} are left alone (only local caches go).`,
    );
  }

  if (!existsSync(dataDir)) {
    out(`reset: nothing to delete: ${dataDir} does not exist.`);
    redisNote();
    return 0;
  }
  out(`reset: this deletes ${dataDir} and everything in it:`);
  for (const line of describe(dataDir)) out(line);
  if (!yes) {
    if (!ask) {
      out(
        'reset: not a terminal, so nothing was asked and nothing deleted: run `npm run reset -- --yes` to confirm.',
      );
      return 1;
    }
    const answer = (await ask('Delete it? [y/N] ')).trim().toLowerCase();
    if (answer !== 'y' && answer !== 'yes') {
      out('reset: nothing deleted.');
      return 1;
    }
  }
  rmSync(dataDir, { recursive: true, force: true });
  out(
    `reset: deleted ${dataDir}. The next npm start begins afresh (${external ? 'a new development key' : 'an empty private Redis, a new development key'}).`,
  );
  redisNote();
  return 0;
}
