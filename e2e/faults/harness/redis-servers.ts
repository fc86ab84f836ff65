import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, type PrivateRedis, startRedis, waitFor } from '@repo/test-utils';

const run = promisify(execFile);

/** Redis persistence as docs/README recommend for production: AOF, fsync every second. */
export const AOF_ARGS = ['--appendonly', 'yes', '--appendfsync', 'everysec'];

/**
 * One private redis-server whose data folder outlives the process, so that a scenario
 * can stop it (gracefully, by SIGKILL, or freeze it) and start it again on the same port
 * with the same files — what a Redis restart looks like to the product.
 */
export class RestartableRedis {
  private server: PrivateRedis | null = null;
  readonly dir = mkdtempSync(join(tmpdir(), 'faults-redis-'));

  private constructor(
    readonly port: number,
    private readonly args: string[],
  ) {}

  /** `args` follow startRedis's own (maxmemory-policy noeviction among them), so they may override them. */
  static async start(args: string[] = []): Promise<RestartableRedis> {
    const redis = new RestartableRedis(await freePort(), args);
    await redis.restart();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.server !== null;
  }

  /** Starts it again with its files (`--dir` given last wins over startRedis's own folder). */
  async restart(): Promise<void> {
    if (this.server) throw new Error('redis-server is already running');
    this.server = await startRedis([...this.args, '--dir', this.dir], this.port);
  }

  /** SIGTERM: Redis flushes its AOF and exits, as on `redis-cli shutdown`. */
  async stopGracefully(): Promise<void> {
    await this.server?.stop();
    this.server = null;
  }

  /** SIGKILL: whatever Redis had not yet written to its AOF is gone. */
  async kill(): Promise<void> {
    const server = this.server;
    if (!server) return;
    const exited = new Promise<void>((resolve) => server.process.once('exit', () => resolve()));
    server.process.kill('SIGKILL');
    await exited;
    await server.stop();
    this.server = null;
  }

  /** SIGSTOP/SIGCONT: Redis keeps its sockets open but answers nothing (a hung server). */
  freeze(): void {
    this.server?.process.kill('SIGSTOP');
  }

  thaw(): void {
    this.server?.process.kill('SIGCONT');
  }

  async cli(...args: string[]): Promise<string> {
    const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(this.port), ...args]);
    return stdout.trim();
  }

  async dispose(): Promise<void> {
    this.thaw();
    await this.stopGracefully();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A Redis Cluster of `masters` masters and no replicas on loopback ports, made the way
 * an operator makes one: `redis-server --cluster-enabled yes` per node, then
 * `redis-cli --cluster create`.
 */
export class PrivateCluster {
  private constructor(
    readonly nodes: PrivateRedis[],
    private readonly dirs: string[],
  ) {}

  static async start(masters = 3): Promise<PrivateCluster> {
    const dirs = Array.from({ length: masters }, () => mkdtempSync(join(tmpdir(), 'faults-cluster-')));
    const nodes = await Promise.all(
      dirs.map((dir) =>
        startRedis([
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(dir, 'nodes.conf'),
          '--cluster-node-timeout',
          '5000',
          '--dir',
          dir,
        ]),
      ),
    );
    const cluster = new PrivateCluster(nodes, dirs);
    await run('redis-cli', [
      '--cluster',
      'create',
      ...nodes.map((node) => `127.0.0.1:${node.port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    await waitFor(
      'every cluster node to report cluster_state:ok',
      async () => {
        const states = await Promise.all(nodes.map((node) => cluster.cli(node.port, 'cluster', 'info')));
        return states.every((info) => info.includes('cluster_state:ok'));
      },
      30_000,
      200,
    );
    return cluster;
  }

  /** The node clients are pointed at (REDIS_URL); they discover the others from it. */
  get url(): string {
    return this.nodes[0]?.url ?? '';
  }

  async cli(port: number, ...args: string[]): Promise<string> {
    const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args]);
    return stdout.trim();
  }

  /** The port of the master serving a key's slot. */
  async masterOf(key: string): Promise<number> {
    const slot = Number(await this.cli(this.nodes[0]?.port ?? 0, 'cluster', 'keyslot', key));
    const slots = await this.cli(this.nodes[0]?.port ?? 0, '--json', 'cluster', 'slots');
    const ranges = JSON.parse(slots) as [number, number, [string, number]][];
    const range = ranges.find(([from, to]) => slot >= from && slot <= to);
    if (!range) throw new Error(`no master serves slot ${slot}`);
    return range[2][1];
  }

  async dispose(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.stop()));
    for (const dir of this.dirs) rmSync(dir, { recursive: true, force: true });
  }
}
