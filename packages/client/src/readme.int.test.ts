import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CLI_BIN, REPO_ROOT, runProcess, startStack, type TestStack } from './testing/test-stack';

/**
 * README.md's "Client SDK and CLI" section, run as written: its shell block (the CLI
 * walkthrough), its TypeScript block (against the package as it would be published) and
 * its Python block (when python3 has httpx), all against a real API and worker.
 */
const README = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
const PACKAGE_DIR = resolve(__dirname, '..');

function section(title: string): string {
  const start = README.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`README.md has no "## ${title}" section`);
  const end = README.indexOf('\n## ', start + 1);
  return README.slice(start, end < 0 ? undefined : end);
}

function block(text: string, language: string): string {
  const blocks = [...text.matchAll(new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\`\`\`\\n`, 'g'))];
  if (blocks.length !== 1) throw new Error(`expected one \`\`\`${language} block, found ${blocks.length}`);
  return blocks[0]?.[1] ?? '';
}

const CLIENT = section('Client SDK and CLI');
/** The walkthrough's sales.csv, from its heredoc. */
const SALES_CSV =
  /cat > sales\.csv <<'CSV'\n([\s\S]*?\n)CSV\n/.exec(section('Walkthrough with curl'))?.[1] ?? '';

/**
 * A Python that can import httpx: the one on PATH, or Debian's (which .ci/run gives
 * python3-httpx when missing; PyPI is not reachable here).
 */
function pythonWithHttpx(): string | null {
  for (const python of ['python3', '/usr/bin/python3']) {
    try {
      execFileSync(python, ['-c', 'import httpx'], { stdio: 'ignore' });
      return python;
    } catch {
      // try the next
    }
  }
  return null;
}

describe("README's Client SDK and CLI section", () => {
  let stack: TestStack;
  let dir: string;

  beforeAll(async () => {
    expect(SALES_CSV.split('\n')[0]).toBe('region,revenue,month');
    stack = await startStack();
    dir = mkdtempSync(join(tmpdir(), 'analytics-readme-'));
    writeFileSync(join(dir, 'sales.csv'), SALES_CSV);
  });

  afterAll(async () => {
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('CLI walkthrough: works as written', async () => {
    // As after `npm start`: the development key in .data/dev-api-key, the API at ANALYTICS_URL.
    const work = join(dir, 'cli');
    mkdirSync(join(work, '.data'), { recursive: true });
    writeFileSync(join(work, '.data', 'dev-api-key'), `${stack.apiKey}\n`);
    writeFileSync(join(work, 'sales.csv'), SALES_CSV);
    // `npx analytics` is the workspace's bin (checked below); here it runs that file directly.
    const script = [
      'set -euo pipefail',
      `npx() { if [ "$1" = analytics ]; then shift; "${process.execPath}" "${CLI_BIN}" "$@"; else echo "unexpected npx $*" >&2; return 127; fi; }`,
      block(CLIENT, 'sh'),
    ].join('\n');
    const result = await runProcess('bash', ['-c', script], {
      env: { ANALYTICS_URL: stack.url },
      cwd: work,
      timeoutMs: 90_000,
    });
    expect(result.stderr).not.toContain('analytics:');
    expect(result.code).toBe(0);
    const table =
      'region  total_revenue\n------  -------------\nNorth         48320.5\nSouth           31205\n(2 rows)\n';
    expect(result.stdout.split(table)).toHaveLength(4); // run, run --wait, jobs wait
    expect(result.stderr).toMatch(/^job_\S+ succeeded 100%$/m);
    expect(result.stdout).toMatch(/^job_id +status +progress/m);
    expect(readFileSync(join(work, 'result.csv'), 'utf8')).toBe(
      'region,total_revenue\r\nNorth,48320.5\r\nSouth,31205\r\n',
    );
  });

  it('`npx analytics` runs the workspace command from the repository folder', async () => {
    // --yes=false: npx must find it locally, never fetch a package of that name.
    const result = await runProcess('npx', ['--yes=false', 'analytics', '--help'], {
      env: {},
      cwd: REPO_ROOT,
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: analytics <command> [options]');
  });

  describe('the package as published', () => {
    let pkg: string;
    let consumer: string;

    beforeAll(async () => {
      // The build into a folder of this test's own, laid out as `npm pack` would ship it.
      pkg = join(dir, 'package');
      mkdirSync(pkg, { recursive: true });
      const manifest = JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8'));
      for (const file of manifest.files as string[]) {
        if (file !== 'dist') cpSync(join(PACKAGE_DIR, file), join(pkg, file), { recursive: true });
      }
      cpSync(join(PACKAGE_DIR, 'package.json'), join(pkg, 'package.json'));
      const build = await runProcess(
        process.execPath,
        [require.resolve('tsup/dist/cli-default.js'), '--out-dir', join(pkg, 'dist')],
        { env: {}, cwd: PACKAGE_DIR, timeoutMs: 120_000 },
      );
      expect(build.code).toBe(0);
      consumer = join(dir, 'consumer');
      mkdirSync(join(consumer, 'node_modules', '@analytics-jobs'), { recursive: true });
      symlinkSync(pkg, join(consumer, 'node_modules', '@analytics-jobs', 'client'), 'dir');
      writeFileSync(join(consumer, 'sales.csv'), SALES_CSV);
    });

    it('is public, depends on nothing, and ships no server code, private import or process.env', () => {
      const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
      expect(manifest.private).toBeUndefined();
      expect(manifest.dependencies).toBeUndefined();
      expect(manifest.exports['.']).toBeDefined();
      for (const file of ['index.js', 'index.mjs', 'index.d.ts', 'index.d.mts']) {
        const text = readFileSync(join(pkg, 'dist', file), 'utf8');
        expect(text).not.toMatch(/(from|import|require\()\s*['"]/);
        expect(text).not.toContain('@repo/');
        expect(text).not.toMatch(/process\.(env|argv|stdout|exit)/);
      }
      expect(readFileSync(join(pkg, 'dist', 'index.d.ts'), 'utf8')).toContain(
        'declare class AnalyticsClient',
      );
    });

    it('SDK example: type-checks against the published types and runs as written', async () => {
      writeFileSync(join(consumer, 'quickstart.mts'), block(CLIENT, 'ts'));
      const typecheck = await runProcess(
        process.execPath,
        [
          require.resolve('typescript/bin/tsc'),
          '--noEmit',
          '--strict',
          '--target',
          'es2022',
          '--module',
          'nodenext',
          '--moduleResolution',
          'nodenext',
          '--types',
          'node',
          '--typeRoots',
          join(REPO_ROOT, 'node_modules', '@types'),
          'quickstart.mts',
        ],
        { env: {}, cwd: consumer, timeoutMs: 120_000 },
      );
      expect(typecheck.stdout).toBe('');
      expect(typecheck.code).toBe(0);

      const run = await runProcess(
        process.execPath,
        ['--import', pathToFileURL(require.resolve('tsx')).href, 'quickstart.mts'],
        {
          env: { ANALYTICS_URL: stack.url, ANALYTICS_API_KEY: stack.apiKey },
          cwd: consumer,
          timeoutMs: 60_000,
        },
      );
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^succeeded 100%$/m);
      expect(run.stdout.trim().split('\n').at(-1)).toBe("[ [ 'North', 48320.5 ], [ 'South', 31205 ] ]");

      const required = await runProcess(
        process.execPath,
        [
          '-e',
          "const { AnalyticsClient } = require('@analytics-jobs/client'); console.log(typeof AnalyticsClient)",
        ],
        { env: {}, cwd: consumer },
      );
      expect(required).toMatchObject({ code: 0, stdout: 'function\n' });
    });

    it('runs the analytics command from the build (no src/ shipped)', async () => {
      const result = await runProcess(
        process.execPath,
        [join(pkg, 'bin', 'analytics.cjs'), 'datasets', 'list', '--json'],
        {
          env: { ANALYTICS_URL: stack.url, ANALYTICS_API_KEY: stack.apiKey },
          cwd: consumer,
        },
      );
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout).data.map((d: { name: string }) => d.name)).toContain('sales');
    });
  });

  const python = pythonWithHttpx();
  const withHttpx = python !== null;
  (withHttpx ? it : it.skip)(
    withHttpx
      ? 'Python example: runs as written with httpx'
      : 'Python example: SKIPPED, python3 cannot import httpx on this machine (PyPI is not reachable here to install it)',
    async () => {
      const work = join(dir, 'python');
      mkdirSync(work, { recursive: true });
      writeFileSync(join(work, 'sales.csv'), SALES_CSV);
      writeFileSync(join(work, 'quickstart.py'), block(CLIENT, 'python'));
      const result = await runProcess(python ?? 'python3', ['quickstart.py'], {
        env: { ANALYTICS_URL: stack.url, ANALYTICS_API_KEY: stack.apiKey },
        cwd: work,
      });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toBe("[['North', 48320.5], ['South', 31205]]\n");
    },
  );
});
