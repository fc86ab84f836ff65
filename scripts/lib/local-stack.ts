/**
 * What `npm start` and `npm run reset` share: where the local state lives, and how to tell
 * whether the stack that made it is still running.
 *
 * DATA_DIR (default .data/) holds everything `npm start` makes:
 *   redis/             the private redis-server's AOF and snapshot, its log, pid file and
 *                      `port` (the port it was given, so the next start and reset find it)
 *   dev-api-key        the development key, made once when API_KEYS is not set
 *   npm-start.pid      the running `npm start`'s process id, removed when it stops
 *   everything else    datasets and results (the services' own layout)
 */
import { existsSync, readFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer, Socket } from 'node:net';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '..', '..');

/** The port a private redis-server gets unless START_REDIS_PORT says otherwise or it is taken. */
export const DEFAULT_PRIVATE_REDIS_PORT = 6390;

/** As the services resolve it: DATA_DIR (relative to the working directory), else .data in the repository. */
export function dataDirOf(env: NodeJS.ProcessEnv, root = REPO_ROOT): string {
  return resolve(env.DATA_DIR || join(root, '.data'));
}

export const privateRedisDir = (dataDir: string) => join(dataDir, 'redis');
export const privateRedisPortFile = (dataDir: string) => join(privateRedisDir(dataDir), 'port');
export const startPidFile = (dataDir: string) => join(dataDir, 'npm-start.pid');

function readNumber(file: string): number | null {
  if (!existsSync(file)) return null;
  const n = Number(readFileSync(file, 'utf8').trim());
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

/** The port the last private redis-server of this DATA_DIR was given, if any. */
export const recordedRedisPort = (dataDir: string) => readNumber(privateRedisPortFile(dataDir));

/** The `npm start` running with this DATA_DIR, if its pid file names a live process. */
export function runningStartPid(dataDir: string): number | null {
  const pid = readNumber(startPidFile(dataDir));
  if (pid === null || pid === process.pid) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (error) {
    // EPERM: alive, another user's.
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? pid : null;
  }
}

/** A host a client can connect to: the loopback address for a server bound to every interface. */
export function connectHost(host: string): string {
  return host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host;
}

export interface RedisProbe {
  /** The server's data directory; null when CONFIG is refused. */
  dir: string | null;
  /** The server's process id (INFO server); null when INFO is refused. */
  pid: number | null;
}

type Reply = string | Error | null | Reply[];

/** Parses one RESP reply at `at`: the reply and where the next begins, or null when incomplete. */
function parseReply(buffer: Buffer, at: number): [Reply, number] | null {
  const eol = buffer.indexOf('\r\n', at);
  if (eol === -1) return null;
  const type = String.fromCharCode(buffer[at] ?? 0);
  const line = buffer.toString('utf8', at + 1, eol);
  const next = eol + 2;
  if (type === '+' || type === ':') return [line, next];
  if (type === '-') return [new Error(line), next];
  if (type === '$') {
    const length = Number(line);
    if (length < 0) return [null, next];
    if (buffer.length < next + length + 2) return null;
    return [buffer.toString('utf8', next, next + length), next + length + 2];
  }
  if (type === '*') {
    const items: Reply[] = [];
    let position = next;
    for (let i = 0; i < Number(line); i++) {
      const item = parseReply(buffer, position);
      if (!item) return null;
      items.push(item[0]);
      position = item[1];
    }
    return [items, position];
  }
  throw new Error('not RESP');
}

const command = (...args: string[]) =>
  `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;

/**
 * What answers PING on host:port, or null when nothing (or no Redis, or a Redis that wants a
 * password or is still loading) does within half a second. One connection, three commands.
 */
export function probeRedis(port: number, host = '127.0.0.1'): Promise<RedisProbe | null> {
  return new Promise((done) => {
    const socket = new Socket();
    let buffer = Buffer.alloc(0);
    const finish = (probe: RedisProbe | null) => {
      socket.destroy();
      done(probe);
    };
    socket.setTimeout(500, () => finish(null));
    socket.once('error', () => finish(null));
    socket.once('close', () => finish(null));
    socket.connect(port, host, () =>
      socket.write(command('PING') + command('CONFIG', 'GET', 'dir') + command('INFO', 'server')),
    );
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      const replies: Reply[] = [];
      try {
        for (let at = 0; replies.length < 3; ) {
          const parsed = parseReply(buffer, at);
          if (!parsed) return;
          replies.push(parsed[0]);
          at = parsed[1];
        }
      } catch {
        return finish(null);
      }
      const [pong, config, info] = replies;
      if (pong !== 'PONG') return finish(null);
      const dir = Array.isArray(config) && typeof config[1] === 'string' ? config[1] : null;
      const pid = typeof info === 'string' ? Number(/^process_id:(\d+)/m.exec(info)?.[1]) || null : null;
      finish({ dir, pid });
    });
  });
}

/** True when the Redis probed is this DATA_DIR's private one (or may be: CONFIG refused). */
export function isPrivateRedisOf(probe: RedisProbe, dataDir: string): boolean {
  return probe.dir === null || resolve(probe.dir) === resolve(privateRedisDir(dataDir));
}

/**
 * True when one of this project's HTTP services answers at `base`: its /healthz says
 * {"status":"ok"} (the API, a worker's metrics port, an open dashboard), or the dashboard
 * asks for its login. Anything else on the port (another project's server) is not ours.
 */
export function serviceAnswers(base: string, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((done) => {
    // No keep-alive (agent: false): a check leaves no socket behind.
    const req = get(`${base}/healthz`, { agent: false, timeout: timeoutMs }, (res) => {
      if (res.statusCode === 401) {
        res.resume();
        done(/Analytics queues/.test(res.headers['www-authenticate'] ?? ''));
        return;
      }
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < 1_000) body += chunk;
      });
      res.on('end', () => {
        try {
          done(res.statusCode === 200 && (JSON.parse(body) as { status?: unknown }).status === 'ok');
        } catch {
          done(false);
        }
      });
      res.on('error', () => done(false));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => done(false));
  });
}

/** True when nothing listens on host:port (a listen there succeeds). */
export function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => done(true)));
  });
}

/** A port the operating system says is free on host now. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

/** A Redis URL fit to print: its password replaced. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '<REDIS_URL>';
  }
}

/** The same default as packages/config's, read without validating everything else. */
export const queuePrefixOf = (env: NodeJS.ProcessEnv) => env.QUEUE_PREFIX || '{analytics}';

/** HTTP bases where `npm start`'s API and dashboard listen for this environment (defaults as packages/config's). */
export function serviceBases(env: NodeJS.ProcessEnv): { name: string; base: string }[] {
  const at = (host: string | undefined, port: string | undefined, fallback: number) =>
    `http://${connectHost(host || '127.0.0.1')}:${port || fallback}`;
  // Port 0 (a free port each start) cannot be looked for.
  return [
    { name: 'the API', base: at(env.HOST, env.PORT, 3000), port: env.PORT },
    {
      name: 'the dashboard',
      base: at(env.DASHBOARD_HOST, env.DASHBOARD_PORT, 3001),
      port: env.DASHBOARD_PORT,
    },
  ]
    .filter((service) => service.port !== '0')
    .map(({ name, base }) => ({ name, base }));
}

export type PrivateRedisPlan =
  /** A private redis-server of this DATA_DIR left running by an npm start that did not stop cleanly. */
  | { kind: 'adopt'; port: number; pid: number | null }
  | { kind: 'start'; port: number; why: string }
  | { kind: 'refuse'; message: string };

/**
 * Where `npm start`'s private redis-server listens: START_REDIS_PORT if given (it must be
 * free), else the port it had last time, else 6390 — and when that port is taken by
 * anything but this DATA_DIR's own Redis, a free port. Never someone else's Redis.
 */
export async function planPrivateRedis(env: NodeJS.ProcessEnv, dataDir: string): Promise<PrivateRedisPlan> {
  const fixed = env.START_REDIS_PORT ? Number(env.START_REDIS_PORT) : null;
  if (fixed !== null && !(Number.isSafeInteger(fixed) && fixed > 0 && fixed < 65536)) {
    return {
      kind: 'refuse',
      message: `START_REDIS_PORT must be a port number, got ${JSON.stringify(env.START_REDIS_PORT)}`,
    };
  }
  const recorded = recordedRedisPort(dataDir);
  const preferred = fixed ?? recorded ?? DEFAULT_PRIVATE_REDIS_PORT;
  const probe = await probeRedis(preferred);
  // Ours says so (CONFIG GET dir): a Redis that will not say is never taken for ours.
  if (probe?.dir && isPrivateRedisOf(probe, dataDir))
    return { kind: 'adopt', port: preferred, pid: probe.pid };
  if (await portIsFree(preferred)) {
    const why = fixed !== null ? 'START_REDIS_PORT' : recorded !== null ? 'as last time' : 'the default';
    return { kind: 'start', port: preferred, why };
  }
  if (fixed !== null) {
    return {
      kind: 'refuse',
      message: `START_REDIS_PORT=${fixed} is taken by another program${probe ? ' (a Redis that is not this one)' : ''}: choose another port, or leave START_REDIS_PORT unset for a free one. To use that Redis instead, name it: REDIS_URL=redis://127.0.0.1:${fixed} npm start`,
    };
  }
  return { kind: 'start', port: await freePort(), why: `${preferred} is taken` };
}
