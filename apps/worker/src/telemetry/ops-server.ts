import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { checkRedisPolicy, type RedisClient } from '@repo/queue';
import type { Registry } from 'prom-client';

/**
 * The worker's own small HTTP face for operators: /metrics (Prometheus), /healthz (the
 * process is alive), /readyz (Redis answers within a second). Plain node:http — a worker
 * speaks no HTTP to clients, and needs no framework for three routes.
 */
export async function startOpsServer(options: {
  host: string;
  port: number;
  registry: Registry;
  redis: RedisClient;
}): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
      res.end(body);
    };
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') return send(405, 'text/plain', 'method not allowed\n');
    if (path === '/healthz') return send(200, 'application/json', '{"status":"ok"}');
    if (path === '/metrics') {
      options.registry.metrics().then(
        (text) => send(200, options.registry.contentType, text),
        () => send(500, 'text/plain', 'metrics unavailable\n'),
      );
      return;
    }
    if (path === '/readyz') {
      const deadline = new Promise<null>((resolve) => setTimeout(resolve, 1_000, null).unref());
      Promise.race([options.redis.ping().then(() => checkRedisPolicy(options.redis)), deadline]).then(
        (policy) =>
          policy
            ? send(
                200,
                'application/json',
                JSON.stringify({
                  status: 'ready',
                  redis: 'ok',
                  maxmemory_policy: policy.maxmemoryPolicy,
                  ...(policy.warning ? { warning: policy.warning } : {}),
                }),
              )
            : send(503, 'application/json', '{"status":"unavailable","redis":"unreachable"}'),
        () => send(503, 'application/json', '{"status":"unavailable","redis":"unreachable"}'),
      );
      return;
    }
    send(404, 'text/plain', 'not found\n');
  });
  server.listen(options.port, options.host);
  await once(server, 'listening');
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : options.port };
}
