import { once } from 'node:events';
import { loadConfigOrExit, logDestination } from '@repo/config';
import { checkRedisPolicy } from '@repo/queue';
import { createApp } from './app';
import { connectDeps } from './connect-deps';
import { createHttpServer } from './http-server';
import { createApiLogger } from './telemetry/request-logger';

async function main(): Promise<void> {
  const config = loadConfigOrExit(process.env);
  const logger = createApiLogger(config.LOG_LEVEL, logDestination(config.LOG_FORMAT));
  if (config.API_KEYS.length === 0) {
    logger.info('API_KEYS is empty: only keys made with `npm run keys` are accepted');
  }
  const { deps, close } = await connectDeps(config, logger);
  const policy = await checkRedisPolicy(deps.redis).catch(() => null);
  for (const warning of policy?.warnings ?? []) {
    logger.warn({ maxmemoryPolicy: policy?.maxmemoryPolicy, appendonly: policy?.appendonly }, warning);
  }
  const server = createHttpServer(createApp(deps), config).listen(config.PORT, config.HOST);
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  logger.info(
    { host: config.HOST, port },
    `API listening on http://${config.HOST}:${port} (reference: /docs, metrics: /metrics)`,
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => process.exit(1), 10_000).unref();
    server.close();
    server.closeIdleConnections();
    await close();
    clearTimeout(deadline);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
