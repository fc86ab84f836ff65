import { once } from 'node:events';
import { loadConfigOrExit, logDestination } from '@repo/config';
import { ALL_QUEUE_NAMES, createRedisClient, whenReady } from '@repo/queue';
import { Queue } from 'bullmq';
import pino from 'pino';
import { dashboardAuthFailures } from './basic-auth';
import { createDashboardApp } from './create-dashboard-app';
import { resolveDashboardAuth } from './dashboard-auth';

async function main(): Promise<void> {
  const config = loadConfigOrExit(process.env);
  let auth: ReturnType<typeof resolveDashboardAuth>;
  try {
    auth = resolveDashboardAuth(config);
  } catch (error) {
    // One line saying why, and no start: an open dashboard is never the fallback.
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
  const logger = pino(
    { level: config.LOG_LEVEL, base: { app: 'dashboard', pid: process.pid } },
    logDestination(config.LOG_FORMAT),
  );
  if (auth.kind === 'off') {
    logger.warn('DASHBOARD_AUTH=off: the dashboard has no login. Use this for local development only.');
  }
  const connection = createRedisClient(config, 'blocking', (error) =>
    logger.warn({ err: error.message }, 'redis connection error'),
  );
  // Logins are counted on a connection that fails fast, as the API's requests do: a
  // login never waits on a Redis that is away (the count falls back to memory meanwhile).
  const requests =
    auth.kind === 'basic' && config.AUTH_FAILURES_PER_IP > 0
      ? createRedisClient(config, 'request', (error) =>
          logger.warn({ err: error.message }, 'redis connection error (logins)'),
        )
      : null;
  const authFailures = requests ? dashboardAuthFailures(requests, config) : null;
  // Until this connection is up each replica counts failed logins alone, in memory.
  if (requests) {
    await whenReady(requests).catch(() =>
      logger.warn('redis not reachable yet: failed logins are counted by this process alone until it is'),
    );
  }
  const queues = ALL_QUEUE_NAMES.map((name) => new Queue(name, { connection, prefix: config.QUEUE_PREFIX }));
  const app = createDashboardApp({ queues, auth, authFailures, readOnly: config.DASHBOARD_READ_ONLY });
  const server = app.listen(config.DASHBOARD_PORT, config.DASHBOARD_HOST);
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.DASHBOARD_PORT;
  logger.info(
    { readOnly: config.DASHBOARD_READ_ONLY, auth: auth.kind, authFailuresPerIp: authFailures?.failures ?? 0 },
    `dashboard listening on http://${config.DASHBOARD_HOST}:${port}`,
  );
  const stop = async () => {
    server.close();
    server.closeAllConnections();
    await Promise.all(queues.map((queue) => queue.close()));
    connection.disconnect();
    requests?.disconnect();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
