import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/** No Docker engine runs here, so the compose file is checked by reading it. */
describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(join(__dirname, 'docker-compose.yml'), 'utf8'), { merge: true });

  it('runs Redis with AOF (everysec) and noeviction', () => {
    const command: string[] = compose.services.redis.command;
    expect(command).toEqual(expect.arrayContaining(['--appendonly', 'yes', '--appendfsync', 'everysec']));
    expect(command[command.indexOf('--maxmemory-policy') + 1]).toBe('noeviction');
  });

  it('caps Redis memory, so that a full Redis refuses new work (503) instead of being killed', () => {
    const command: string[] = compose.services.redis.command;
    expect(command[command.indexOf('--maxmemory') + 1]).toMatch(/^\$\{REDIS_MAXMEMORY:-1gb\}$/);
  });

  it('restarts every process, and gives workers longer to stop than their grace period', () => {
    for (const [name, service] of Object.entries<{ restart?: string }>(compose.services)) {
      expect({ name, restart: service.restart }).toEqual({ name, restart: 'unless-stopped' });
    }
    // WORKER_SHUTDOWN_GRACE_MS defaults to 30 s: running jobs finish or are handed back before the SIGKILL.
    const seconds = (period: string) => Number(/^(\d+)s$/.exec(period)?.[1]);
    expect(seconds(compose.services.worker.stop_grace_period)).toBeGreaterThan(30);
    for (const name of ['api-1', 'api-2']) {
      expect(seconds(compose.services[name].stop_grace_period)).toBeGreaterThan(10);
    }
  });

  it('has two API and two worker replicas on one shared data volume', () => {
    const apis = Object.keys(compose.services).filter((name) => name.startsWith('api'));
    expect(apis).toHaveLength(2);
    expect(compose.services.worker.deploy.replicas).toBe(2);
    for (const name of [...apis, 'worker']) {
      expect(compose.services[name].volumes).toContain('data:/data');
      expect(compose.services[name].environment.REDIS_URL).toBe('redis://redis:6379');
    }
    expect(compose.services.worker.command.join(' ')).toContain('apps/worker/src/main.ts');
  });

  it('runs the dashboard behind credentials it requires', () => {
    const dashboard = compose.services.dashboard;
    expect(dashboard.command.join(' ')).toContain('apps/dashboard/src/main.ts');
    expect(dashboard.environment.DASHBOARD_USER).toMatch(/^\$\{DASHBOARD_USER:\?/);
    expect(dashboard.environment.DASHBOARD_PASSWORD).toMatch(/^\$\{DASHBOARD_PASSWORD:\?/);
    expect(dashboard.environment.DASHBOARD_AUTH).toBeUndefined();
  });
});
