import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planPrivateRedis } from './scripts/lib/local-stack';
import { reset } from './scripts/lib/reset';

/**
 * `npm run reset` and `npm start`'s choice of Redis (scripts/), against a temporary root
 * with a made-up .data, a stand-in Redis (enough RESP for PING, CONFIG GET dir and INFO)
 * and stand-in HTTP services on loopback: no redis-server, no stack.
 */

const servers: (Server | HttpServer)[] = [];
const children: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function listen<T extends Server | HttpServer>(server: T, port = 0): Promise<number> {
  servers.push(server);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
}

const freePort = async () => {
  const server = createServer();
  const port = await listen(server);
  await new Promise((r) => server.close(r));
  servers.splice(servers.indexOf(server), 1);
  return port;
};

/** A stand-in Redis: PING, CONFIG GET dir (refused when `dir` is null) and INFO server. */
function fakeRedis(dir: string | null, port = 0): Promise<number> {
  const server = createServer((socket) => {
    let buffer = '';
    socket.on('data', (chunk) => {
      buffer += chunk.toString();
      for (;;) {
        const head = /^\*(\d+)\r\n/.exec(buffer);
        if (!head) return;
        let at = head[0].length;
        const args: string[] = [];
        for (let i = 0; i < Number(head[1]); i++) {
          const bulk = /^\$(\d+)\r\n/.exec(buffer.slice(at));
          if (!bulk || buffer.length < at + bulk[0].length + Number(bulk[1]) + 2) return;
          at += bulk[0].length;
          args.push(buffer.slice(at, at + Number(bulk[1])));
          at += Number(bulk[1]) + 2;
        }
        buffer = buffer.slice(at);
        const command = args.map((a) => a.toUpperCase()).join(' ');
        const bulkString = (s: string) => `$${s.length}\r\n${s}\r\n`;
        if (command === 'PING') socket.write('+PONG\r\n');
        else if (command === 'CONFIG GET DIR' && dir !== null)
          socket.write(`*2\r\n${bulkString('dir')}${bulkString(dir)}`);
        else if (command.startsWith('INFO')) socket.write(bulkString('# Server\r\nprocess_id:4242\r\n'));
        else socket.write("-NOPERM this user has no permissions to run the 'config|get' command\r\n");
      }
    });
  });
  return listen(server, port);
}

/** One of this project's services answering /healthz, or another program's server. */
function fakeService(kind: 'api' | 'dashboard-login' | 'other'): Promise<number> {
  const server = createHttpServer((req, res) => {
    if (kind === 'api' && req.url === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"status":"ok"}');
    } else if (kind === 'dashboard-login') {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="Analytics queues", charset="UTF-8"' }).end();
    } else {
      res.writeHead(404).end('not found');
    }
  });
  return listen(server);
}

/** A repository root with the .data an npm start leaves, and something beside it that is not its. */
function fakeRoot(): { root: string; data: string } {
  const root = mkdtempSync(join(tmpdir(), 'reset-root-'));
  dirs.push(root);
  const data = join(root, '.data');
  mkdirSync(join(data, 'redis', 'appendonlydir'), { recursive: true });
  writeFileSync(join(data, 'redis', 'appendonlydir', 'appendonly.aof.1.incr.aof'), '');
  mkdirSync(join(data, 'tenants', 'dev', 'datasets'), { recursive: true });
  writeFileSync(join(data, 'tenants', 'dev', 'datasets', 'dset_a.parquet'), 'PAR1');
  writeFileSync(join(data, 'dev-api-key'), 'dev_abcdefghijklmnopqrstuvwx\n');
  writeFileSync(join(root, 'keep.txt'), 'not .data');
  return { root, data };
}

/** Ports where nothing of a stack listens, so that a real npm start on this machine is not looked at. */
async function quietEnv(extra: NodeJS.ProcessEnv = {}): Promise<NodeJS.ProcessEnv> {
  return {
    PORT: String(await freePort()),
    DASHBOARD_PORT: String(await freePort()),
    START_REDIS_PORT: String(await freePort()),
    ...extra,
  };
}

async function runReset(
  root: string,
  env: NodeJS.ProcessEnv,
  options: { yes?: boolean; answer?: string } = {},
) {
  const lines: string[] = [];
  const code = await reset({
    env,
    root,
    yes: options.yes ?? false,
    ask: options.answer === undefined ? undefined : async () => options.answer as string,
    out: (line) => lines.push(line),
  });
  return { code, output: lines.join('\n') };
}

describe('npm run reset', () => {
  it('deletes .data (what npm start made) with --yes, says what it was, and nothing beside it', async () => {
    const { root, data } = fakeRoot();
    const { code, output } = await runReset(root, await quietEnv(), { yes: true });
    expect(code).toBe(0);
    expect(existsSync(data)).toBe(false);
    expect(readdirSync(root)).toEqual(['keep.txt']);
    expect(output).toContain(`deletes ${data}`);
    expect(output).toMatch(/redis\/ +the private Redis's data/);
    expect(output).toMatch(/dev-api-key +the development API key/);
    expect(output).toMatch(/tenants\/ +every tenant's datasets/);
    expect(output).toContain(`deleted ${data}`);
    expect(output).not.toContain('REDIS_URL');
  });

  it('deletes DATA_DIR when it is set, not the default', async () => {
    const { root, data } = fakeRoot();
    const other = mkdtempSync(join(tmpdir(), 'reset-data-'));
    dirs.push(other);
    writeFileSync(join(other, 'dev-api-key'), 'x');
    const { code } = await runReset(root, await quietEnv({ DATA_DIR: other }), { yes: true });
    expect(code).toBe(0);
    expect(existsSync(other)).toBe(false);
    expect(existsSync(data)).toBe(true);
  });

  it('asks on a terminal: anything but y keeps everything', async () => {
    const { root, data } = fakeRoot();
    const env = await quietEnv();
    const no = await runReset(root, env, { answer: '' });
    expect(no.code).toBe(1);
    expect(no.output).toContain('nothing deleted');
    expect(existsSync(data)).toBe(true);
    const yes = await runReset(root, env, { answer: 'y' });
    expect(yes.code).toBe(0);
    expect(existsSync(data)).toBe(false);
  });

  it('without a terminal and without --yes, deletes nothing and says to add --yes', async () => {
    const { root, data } = fakeRoot();
    const { code, output } = await runReset(root, await quietEnv());
    expect(code).toBe(1);
    expect(output).toContain('npm run reset -- --yes');
    expect(existsSync(join(data, 'dev-api-key'))).toBe(true);
  });

  it('refuses while the private Redis answers on its recorded port, and goes on once it is gone', async () => {
    const { root, data } = fakeRoot();
    const port = await fakeRedis(join(data, 'redis'));
    writeFileSync(join(data, 'redis', 'port'), `${port}\n`);
    const env = await quietEnv();
    const refused = await runReset(root, env, { yes: true });
    expect(refused.code).toBe(1);
    expect(refused.output).toContain(
      `private redis-server of ${data} answers on 127.0.0.1:${port} (pid 4242)`,
    );
    expect(refused.output).toContain('Stop it first');
    expect(existsSync(join(data, 'redis', 'appendonlydir'))).toBe(true);

    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
    expect((await runReset(root, env, { yes: true })).code).toBe(0);
    expect(existsSync(data)).toBe(false);
  });

  it('refuses for a Redis on START_REDIS_PORT that does not say its directory, but not for one of another directory', async () => {
    const { root, data } = fakeRoot();
    const mute = await fakeRedis(null);
    const refused = await runReset(root, await quietEnv({ START_REDIS_PORT: String(mute) }), { yes: true });
    expect(refused.code).toBe(1);
    expect(refused.output).toContain(`answers on 127.0.0.1:${mute}`);

    const elsewhere = await fakeRedis('/var/lib/redis');
    writeFileSync(join(data, 'redis', 'port'), `${elsewhere}\n`);
    const { code } = await runReset(root, await quietEnv(), { yes: true });
    expect(code).toBe(0);
  });

  it.each([
    ['PORT', 'api', 'the API answers on'],
    ['DASHBOARD_PORT', 'dashboard-login', 'the dashboard answers on'],
  ] as const)('refuses while a service answers on %s', async (variable, kind, said) => {
    const { root, data } = fakeRoot();
    const port = await fakeService(kind);
    const { code, output } = await runReset(root, await quietEnv({ [variable]: String(port) }), {
      yes: true,
    });
    expect(code).toBe(1);
    expect(output).toContain(`${said} http://127.0.0.1:${port}`);
    expect(existsSync(data)).toBe(true);
  });

  it("is not stopped by another program's server on those ports", async () => {
    const { root, data } = fakeRoot();
    const port = await fakeService('other');
    const { code } = await runReset(root, await quietEnv({ PORT: String(port) }), { yes: true });
    expect(code).toBe(0);
    expect(existsSync(data)).toBe(false);
  });

  it("refuses while npm start's pid file names a live process", async () => {
    const { root, data } = fakeRoot();
    const sleeper = spawn('sleep', ['30']);
    children.push(sleeper);
    writeFileSync(join(data, 'npm-start.pid'), `${sleeper.pid}\n`);
    const env = await quietEnv();
    const refused = await runReset(root, env, { yes: true });
    expect(refused.code).toBe(1);
    expect(refused.output).toContain(`npm start is running (pid ${sleeper.pid}`);

    sleeper.kill('SIGKILL');
    await new Promise((r) => sleeper.once('exit', r));
    expect((await runReset(root, env, { yes: true })).code).toBe(0);
  });

  it('leaves a Redis named by REDIS_URL alone, and says how to clear this project there', async () => {
    const { root, data } = fakeRoot();
    const env = await quietEnv({ REDIS_URL: 'redis://:s3cret@127.0.0.1:6399', QUEUE_PREFIX: '{acme}' });
    const { code, output } = await runReset(root, env, { yes: true });
    expect(code).toBe(0);
    expect(existsSync(data)).toBe(false);
    expect(output).toContain(
      'REDIS_URL names a Redis of yours (redis://:***@127.0.0.1:6399): reset leaves it alone',
    );
    expect(output).toContain(
      `redis-cli -u "$REDIS_URL" --scan --pattern '{acme}*' | xargs redis-cli -u "$REDIS_URL" del`,
    );
    expect(output).toContain('QUEUE_PREFIX');
    expect(output).not.toContain('s3cret');
  });

  it('has nothing to do when DATA_DIR does not exist', async () => {
    const { root, data } = fakeRoot();
    rmSync(data, { recursive: true });
    const { code, output } = await runReset(root, await quietEnv(), { yes: true });
    expect(code).toBe(0);
    expect(output).toContain('nothing to delete');
  });

  it.each([
    ['/', '/'],
    ['the repository', '<root>'],
  ])('never deletes %s, whatever DATA_DIR says', async (_what, dataDir) => {
    const { root } = fakeRoot();
    const env = await quietEnv({ DATA_DIR: dataDir === '<root>' ? root : dataDir });
    const { code, output } = await runReset(root, env, { yes: true });
    expect(code).toBe(1);
    expect(output).toContain('refusing to delete');
    expect(existsSync(join(root, 'keep.txt'))).toBe(true);
  });

  it('runs as `npm run reset`: --yes deletes; without a terminal it needs --yes; other arguments are refused', async () => {
    const { data } = fakeRoot();
    const env = await quietEnv({ DATA_DIR: data });
    const cli = (args: string[]) =>
      new Promise<{ code: number | null; output: string }>((resolve) => {
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', join(__dirname, 'scripts', 'reset.ts'), ...args],
          {
            env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
            stdio: ['pipe', 'pipe', 'pipe'],
          },
        );
        children.push(child);
        let output = '';
        child.stdout.on('data', (c: Buffer) => {
          output += c.toString();
        });
        child.stderr.on('data', (c: Buffer) => {
          output += c.toString();
        });
        child.once('exit', (code) => resolve({ code, output }));
      });
    const unknown = await cli(['--force']);
    expect(unknown).toEqual({ code: 2, output: expect.stringContaining('unknown argument --force') });
    const asked = await cli([]);
    expect(asked.code).toBe(1);
    expect(asked.output).toContain('npm run reset -- --yes');
    expect(existsSync(data)).toBe(true);
    const confirmed = await cli(['--yes']);
    expect(confirmed.code).toBe(0);
    expect(existsSync(data)).toBe(false);
  });
});

describe("npm start's Redis", () => {
  const dataDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'start-data-'));
    dirs.push(dir);
    mkdirSync(join(dir, 'redis'));
    return dir;
  };

  it('starts its own on START_REDIS_PORT, or refuses when another program has that port', async () => {
    const data = dataDir();
    const port = await freePort();
    expect(await planPrivateRedis({ START_REDIS_PORT: String(port) }, data)).toEqual({
      kind: 'start',
      port,
      why: 'START_REDIS_PORT',
    });
    const taken = await fakeRedis('/var/lib/redis');
    expect(await planPrivateRedis({ START_REDIS_PORT: String(taken) }, data)).toEqual({
      kind: 'refuse',
      message: expect.stringContaining(
        `START_REDIS_PORT=${taken} is taken by another program (a Redis that is not this one)`,
      ),
    });
    expect(await planPrivateRedis({ START_REDIS_PORT: 'six' }, data)).toEqual({
      kind: 'refuse',
      message: 'START_REDIS_PORT must be a port number, got "six"',
    });
  });

  it('never uses a Redis that merely answers on its port: it takes a free port of its own and says why', async () => {
    const data = dataDir();
    const someoneElses = await fakeRedis('/var/lib/redis');
    writeFileSync(join(data, 'redis', 'port'), `${someoneElses}\n`);
    const plan = await planPrivateRedis({}, data);
    expect(plan).toEqual({ kind: 'start', port: expect.any(Number), why: `${someoneElses} is taken` });
    expect(plan.kind === 'start' && plan.port).not.toBe(someoneElses);
    // Nor one that will not say where its data is.
    const mute = await fakeRedis(null);
    writeFileSync(join(data, 'redis', 'port'), `${mute}\n`);
    expect(await planPrivateRedis({}, data)).toEqual({
      kind: 'start',
      port: expect.any(Number),
      why: `${mute} is taken`,
    });
  });

  it('keeps the port it had last time when that is free', async () => {
    const data = dataDir();
    const port = await freePort();
    writeFileSync(join(data, 'redis', 'port'), `${port}\n`);
    expect(await planPrivateRedis({}, data)).toEqual({ kind: 'start', port, why: 'as last time' });
  });

  it('uses again its own private Redis left running by an npm start that did not stop cleanly', async () => {
    const data = dataDir();
    const port = await fakeRedis(join(data, 'redis'));
    writeFileSync(join(data, 'redis', 'port'), `${port}\n`);
    expect(await planPrivateRedis({}, data)).toEqual({ kind: 'adopt', port, pid: 4242 });
  });
});
