import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '@repo/config';
import { createRedisClient, whenReady } from '@repo/queue';
import { type ApiKeyInfo, ApiKeyStore, keyIdOf, TENANT_NAME } from './stores/api-key-store';

const USAGE = `Manage API keys (stored in the Redis of REDIS_URL, under QUEUE_PREFIX).

  npm run -s keys -- create --tenant <tenant> [--name <label>]
      Prints the new key on stdout, once: it is stored only as a hash.
  npm run -s keys -- list [--tenant <tenant>] [--json]
  npm run -s keys -- revoke <key id | key>
      Every API replica refuses the key within a second.

Exit codes: 0 done, 1 no such key, 2 usage error, 3 Redis unreachable.`;

class UsageError extends Error {}

function when(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function table(infos: ApiKeyInfo[]): string {
  const rows = [
    ['ID', 'TENANT', 'NAME', 'CREATED', 'REVOKED'],
    ...infos.map((i) => [`ak_${i.id}`, i.tenant, i.name || '-', when(i.created_ms), when(i.revoked_ms)]),
  ];
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((row) => (row[col] ?? '').length))) ?? [];
  return rows.map((row) => row.map((cell, col) => cell.padEnd(widths[col] ?? 0)).join('  ')).join('\n');
}

async function run(argv: string[], store: ApiKeyStore): Promise<number> {
  const [command, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    options: { tenant: { type: 'string' }, name: { type: 'string' }, json: { type: 'boolean' } },
    allowPositionals: true,
  });
  switch (command) {
    case 'create': {
      if (!values.tenant || !TENANT_NAME.test(values.tenant)) {
        throw new UsageError('create needs --tenant <tenant>: 1-64 letters, digits, _ or -.');
      }
      const { key, info } = await store.create(values.tenant, values.name ?? '');
      process.stderr.write(
        `Created ak_${info.id} for tenant ${info.tenant}. The key is shown this once; store it now.\n`,
      );
      process.stdout.write(`${key}\n`);
      return 0;
    }
    case 'list': {
      const infos = await store.list(values.tenant);
      process.stdout.write(`${values.json ? JSON.stringify(infos) : table(infos)}\n`);
      return 0;
    }
    case 'revoke': {
      const id = positionals[0] === undefined ? null : keyIdOf(positionals[0]);
      if (id === null) throw new UsageError('revoke needs the key id (ak_<16 hex digits>) or the key.');
      const info = await store.revoke(id);
      if (!info) {
        process.stderr.write(`No key ak_${id}.\n`);
        return 1;
      }
      process.stderr.write(`Revoked ak_${id} (tenant ${info.tenant}) at ${when(info.revoked_ms)}.\n`);
      return 0;
    }
    default:
      throw new UsageError(command ? `Unknown command ${JSON.stringify(command)}.` : 'Give a command.');
  }
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return argv.length === 0 ? 2 : 0;
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const redis = createRedisClient(config, 'request', () => undefined);
  try {
    try {
      await whenReady(redis, 5_000);
    } catch {
      process.stderr.write(`Redis at ${new URL(config.REDIS_URL).host} is not reachable.\n`);
      return 3;
    }
    return await run(argv, new ApiKeyStore(redis, config.QUEUE_PREFIX));
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
      return 2;
    }
    throw error;
  } finally {
    redis.disconnect();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
