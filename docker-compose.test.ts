import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '@repo/config';
import { parse } from 'yaml';

interface Service {
  image?: string;
  build?: string;
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  restart?: string;
  stop_grace_period?: string;
  healthcheck?: { test: string[] };
  deploy?: { replicas?: number };
}

/** No Docker engine runs here, so the compose file is checked by reading it. */
describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(join(__dirname, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, Service>;
    volumes: Record<string, unknown>;
  };
  const services = compose.services;
  const names = Object.keys(services);
  const apis = names.filter((name) => name.startsWith('api'));
  const workers = names.filter((name) => name.startsWith('worker'));
  const env = (name: string): Record<string, string> => services[name]?.environment ?? {};
  /** The named volume mounted at `path`, e.g. `api-1-data` of `api-1-data:/data`. */
  const volumeAt = (name: string, path: string) =>
    (services[name]?.volumes ?? []).find((v) => v.split(':')[1] === path)?.split(':')[0];

  it('runs Redis with AOF (everysec) and noeviction', () => {
    const command = services.redis?.command ?? [];
    expect(command).toEqual(expect.arrayContaining(['--appendonly', 'yes', '--appendfsync', 'everysec']));
    expect(command[command.indexOf('--maxmemory-policy') + 1]).toBe('noeviction');
  });

  it('caps Redis memory, so that a full Redis refuses new work (503) instead of being killed', () => {
    const command = services.redis?.command ?? [];
    expect(command[command.indexOf('--maxmemory') + 1]).toMatch(/^\$\{REDIS_MAXMEMORY:-1gb\}$/);
  });

  it('restarts every long-running process, retries the one-shot bucket set-up until it succeeds, and gives workers longer to stop than their grace period', () => {
    for (const [name, service] of Object.entries(services)) {
      const expected = name === 'minio-init' ? 'on-failure' : 'unless-stopped';
      expect({ name, restart: service.restart }).toEqual({ name, restart: expected });
    }
    // WORKER_SHUTDOWN_GRACE_MS defaults to 30 s: running jobs finish or are handed back before the SIGKILL.
    const seconds = (period: string | undefined) => Number(/^(\d+)s$/.exec(period ?? '')?.[1]);
    for (const name of workers) expect(seconds(services[name]?.stop_grace_period)).toBeGreaterThan(30);
    for (const name of apis) expect(seconds(services[name]?.stop_grace_period)).toBeGreaterThan(10);
  });

  it('pins every image to a tag, MinIO and its client to dated releases', () => {
    for (const [name, service] of Object.entries(services)) {
      if (service.image === undefined) continue;
      expect({ name, image: service.image }).toEqual({
        name,
        image: expect.stringMatching(/^[^:@]+:[^:]+$/),
      });
      expect(service.image.endsWith(':latest')).toBe(false);
    }
    const dated = /:RELEASE\.\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z$/;
    expect(services.minio?.image).toMatch(/^minio\/minio:/);
    expect(services.minio?.image).toMatch(dated);
    expect(services['minio-init']?.image).toMatch(/^minio\/mc:/);
    expect(services['minio-init']?.image).toMatch(dated);
  });

  it('runs MinIO on a volume of its own, with a health check and administrator credentials it requires', () => {
    const minio = services.minio as Service;
    expect(minio.command).toEqual(['server', '/data', '--console-address', ':9001']);
    expect(volumeAt('minio', '/data')).toBe('minio');
    expect(minio.healthcheck?.test.length).toBeGreaterThan(1);
    expect(env('minio').MINIO_ROOT_USER).toMatch(/^\$\{MINIO_ROOT_USER:\?/);
    expect(env('minio').MINIO_ROOT_PASSWORD).toMatch(/^\$\{MINIO_ROOT_PASSWORD:\?/);
  });

  it('has two API and two worker processes, each with a data volume of its own', () => {
    expect(apis).toHaveLength(2);
    expect(workers).toHaveLength(2);
    for (const name of [...apis, ...workers]) {
      const service = services[name] as Service;
      expect(service.deploy?.replicas ?? 1).toBe(1); // replicas would share the volume
      expect(env(name).REDIS_URL).toBe('redis://redis:6379');
      expect(env(name).DATA_DIR).toBe('/data');
      const volume = volumeAt(name, '/data');
      expect({ name, volume }).toEqual({ name, volume: expect.any(String) });
      expect(Object.keys(compose.volumes)).toContain(volume);
    }
    for (const name of workers)
      expect(services[name]?.command?.join(' ')).toContain('apps/worker/src/main.ts');
    // No named volume is mounted by two services (MinIO's and Redis's included).
    const mounts = names.flatMap((name) =>
      (services[name]?.volumes ?? []).map((v) => ({ name, volume: v.split(':')[0] as string })),
    );
    for (const { name, volume } of mounts) {
      expect({ volume, users: mounts.filter((m) => m.volume === volume).map((m) => m.name) }).toEqual({
        volume,
        users: [name],
      });
    }
  });

  it('points every API and worker at the bucket, with credentials, once the bucket exists', () => {
    for (const name of [...apis, ...workers]) {
      const e = env(name);
      expect(e.OBJECT_STORE_URL).toBe('s3://analytics/prod');
      expect(e.S3_ENDPOINT).toBe('http://minio:9000');
      expect(e.S3_FORCE_PATH_STYLE).toBe('true');
      expect(e.AWS_REGION).toBe('us-east-1');
      expect(e.AWS_ACCESS_KEY_ID).toMatch(/^\$\{OBJECT_STORE_ACCESS_KEY:-\w/);
      expect(e.AWS_SECRET_ACCESS_KEY).toMatch(/^\$\{OBJECT_STORE_SECRET_KEY:\?/);
      expect(services[name]?.depends_on).toEqual({
        redis: { condition: 'service_healthy' },
        'minio-init': { condition: 'service_completed_successfully' },
      });
      // The values pass the services' own validation.
      const config = loadConfig({
        OBJECT_STORE_URL: e.OBJECT_STORE_URL,
        S3_ENDPOINT: e.S3_ENDPOINT,
        S3_FORCE_PATH_STYLE: e.S3_FORCE_PATH_STYLE,
        DATA_DIR: e.DATA_DIR,
        REDIS_URL: e.REDIS_URL,
      });
      expect(config.S3_FORCE_PATH_STYLE).toBe(true);
    }
  });

  it('creates the bucket and a user that may only touch objects under the prefix', () => {
    const init = services['minio-init'] as Service;
    expect(init.depends_on).toEqual({ minio: { condition: 'service_healthy' } });
    expect(init.entrypoint).toEqual(['/bin/sh', '-c']);
    const script = init.command?.[0] ?? '';
    expect(script).toMatch(/^set -e$/m);
    expect(script).toContain('mc mb --ignore-existing local/analytics');
    expect(script).toContain('mc admin user add local "$$APP_ACCESS_KEY" "$$APP_SECRET_KEY"');
    expect(script).toContain('mc admin policy attach local analytics-app --user "$$APP_ACCESS_KEY"');
    // Compose would substitute a lone `$`: every shell variable is written `$$`.
    expect(script.replace(/\$\$/g, '')).not.toContain('$');
    expect(env('minio-init').APP_ACCESS_KEY).toBe(env('api-1').AWS_ACCESS_KEY_ID);
    expect(env('minio-init').APP_SECRET_KEY).toBe(env('api-1').AWS_SECRET_ACCESS_KEY);

    const policyText = /<<'POLICY'\n([\s\S]*?)\nPOLICY\n/.exec(script)?.[1];
    const policy = JSON.parse(policyText ?? 'null') as {
      Statement: { Effect: string; Action: string[]; Resource: string[] }[];
    };
    const granted = (resource: string) =>
      policy.Statement.filter((s) => s.Effect === 'Allow' && s.Resource.includes(resource)).flatMap(
        (s) => s.Action,
      );
    expect(granted('arn:aws:s3:::analytics')).toEqual(['s3:ListBucket']);
    expect(granted('arn:aws:s3:::analytics/prod/*').sort()).toEqual([
      's3:AbortMultipartUpload',
      's3:DeleteObject',
      's3:GetObject',
      's3:PutObject',
    ]);
    expect(policy.Statement.flatMap((s) => s.Resource).sort()).toEqual([
      'arn:aws:s3:::analytics',
      'arn:aws:s3:::analytics/prod/*',
    ]);
  });

  it('runs the dashboard behind credentials it requires, on Redis alone', () => {
    const dashboard = services.dashboard as Service;
    expect(dashboard.command?.join(' ')).toContain('apps/dashboard/src/main.ts');
    expect(env('dashboard').DASHBOARD_USER).toMatch(/^\$\{DASHBOARD_USER:\?/);
    expect(env('dashboard').DASHBOARD_PASSWORD).toMatch(/^\$\{DASHBOARD_PASSWORD:\?/);
    expect(env('dashboard').DASHBOARD_AUTH).toBeUndefined();
    expect(dashboard.volumes).toBeUndefined();
    expect(Object.keys(dashboard.depends_on ?? {})).toEqual(['redis']);
  });
});

/** The image installs dependencies from every workspace's package.json, copied before `npm ci`. */
describe('Dockerfile', () => {
  it('copies the package.json of every workspace before installing', () => {
    const dockerfile = readFileSync(join(__dirname, 'Dockerfile'), 'utf8');
    const workspaces = ['apps', 'packages'].flatMap((root) =>
      readdirSync(join(__dirname, root), { withFileTypes: true })
        .filter(
          (entry) => entry.isDirectory() && existsSync(join(__dirname, root, entry.name, 'package.json')),
        )
        .map((entry) => `${root}/${entry.name}`),
    );
    const install = dockerfile.indexOf('RUN npm ci');
    expect(workspaces.length).toBeGreaterThan(5);
    for (const workspace of workspaces) {
      const copy = dockerfile.indexOf(`COPY ${workspace}/package.json ${workspace}/`);
      expect({ workspace, copied: copy >= 0 && copy < install }).toEqual({ workspace, copied: true });
    }
  });
});
