import { execFileSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { REPO_ROOT, runProcess, startStack, type TestStack } from './testing/test-stack';

/**
 * README.md run as written against a real API and worker: the "Walkthrough with curl"
 * section's shell block in bash (its answers checked against the ones the README shows), and
 * the "Client SDK and CLI" section: the CLI's shell block, the TypeScript block with the shell
 * block that runs it (against the package as it would be published), and the Python block
 * (when python3 has httpx).
 */
const README = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
const PACKAGE_DIR = resolve(__dirname, '..');

function section(title: string): string {
  const start = README.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`README.md has no "## ${title}" section`);
  const end = README.indexOf('\n## ', start + 1);
  return README.slice(start, end < 0 ? undefined : end);
}

/** The one ```language block of `text` (holding `marker`, when given). */
function block(text: string, language: string, marker?: string): string {
  const blocks = [...text.matchAll(new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\`\`\`\\n`, 'g'))]
    .map((match) => match[1] ?? '')
    .filter((body) => marker === undefined || body.includes(marker));
  if (blocks.length !== 1) {
    throw new Error(
      `expected one \`\`\`${language} block${marker ? ` with ${marker}` : ''}, found ${blocks.length}`,
    );
  }
  return blocks[0] ?? '';
}

const WALKTHROUGH = section('Walkthrough with curl');
const CLIENT = section('Client SDK and CLI');
/** The walkthrough's sales.csv, from its heredoc. */
const SALES_CSV = /cat > sales\.csv <<'CSV'\n([\s\S]*?\n)CSV\n/.exec(WALKTHROUGH)?.[1] ?? '';

/**
 * The answers a shell block shows: each comment that starts with `# {`, joined with the
 * comment lines right under it that start with `#  ` (its continuation), as a pattern for one
 * line of output in which `…` stands for anything.
 */
function shownAnswers(script: string): RegExp[] {
  const answers: string[] = [];
  let inAnswer = false;
  for (const line of script.split('\n')) {
    if (line.startsWith('# {')) answers.push(line.slice(2));
    else if (inAnswer && line.startsWith('#  ')) answers[answers.length - 1] += line.slice(3).trimStart();
    else {
      inAnswer = false;
      continue;
    }
    inAnswer = true;
  }
  return answers.map(
    (answer) =>
      new RegExp(
        `^${answer
          .split('…')
          .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
          .join('.*')}$`,
      ),
  );
}

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

describe('README.md, run as written', () => {
  let stack: TestStack;
  let dir: string;

  beforeAll(async () => {
    expect(SALES_CSV.split('\n')[0]).toBe('region,revenue,month');
    stack = await startStack();
    dir = mkdtempSync(join(tmpdir(), 'analytics-readme-'));
  });

  afterAll(async () => {
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('Walkthrough with curl: runs as written and answers what it shows', async () => {
    const script = block(WALKTHROUGH, 'sh');
    // The one line a reader changes when the API is elsewhere.
    const apiLine = /^API=http:\/\/127\.0\.0\.1:3000$/m;
    expect(script).toMatch(apiLine);
    // As after `npm start`: the repository's folder, with the development key in .data/dev-api-key.
    const repo = join(dir, 'walkthrough-repo');
    mkdirSync(join(repo, '.data'), { recursive: true });
    writeFileSync(join(repo, '.data', 'dev-api-key'), `${stack.apiKey}\n`);
    const tmp = join(dir, 'walkthrough-tmp'); // where its `mktemp -d` makes the scratch folder
    mkdirSync(tmp);
    const result = await runProcess(
      'bash',
      ['-c', ['set -euo pipefail', script.replace(apiLine, `API=${stack.url}`)].join('\n')],
      { env: { TMPDIR: tmp }, cwd: repo, timeoutMs: 30_000 },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);

    // Each answer printed, on a line of its own, is the one the README shows under its command.
    const printed = result.stdout.split('\n').filter((line) => line !== '');
    const shown = shownAnswers(script);
    expect(shown).toHaveLength(4); // upload, save, run, status
    expect(printed).toHaveLength(shown.length);
    shown.forEach((pattern, i) => {
      expect(printed[i]).toMatch(pattern);
    });
    expect(JSON.parse(printed[3] ?? '')).toMatchObject({
      status: 'succeeded',
      progress: 100,
      results: {
        columns: ['region', 'total_revenue'],
        rows: [
          ['North', 48320.5],
          ['South', 31205],
        ],
      },
      error: null,
    });
    // Nothing was written into the repository's folder: its files are in the scratch folder.
    expect(readdirSync(repo)).toEqual(['.data']);
    expect(readdirSync(join(repo, '.data'))).toEqual(['dev-api-key']);
    const [scratch, ...others] = readdirSync(tmp);
    expect(others).toEqual([]);
    expect(readdirSync(join(tmp, scratch ?? '')).sort()).toEqual([
      'dataset.json',
      'query.json',
      'run.json',
      'sales.csv',
    ]);
  });

  it("CLI: runs as written in the walkthrough's shell", async () => {
    // The walkthrough's scratch folder and variables: REPO (the repository), KEY and API.
    const work = join(dir, 'cli');
    mkdirSync(work);
    writeFileSync(join(work, 'sales.csv'), SALES_CSV);
    const script = ['set -euo pipefail', block(CLIENT, 'sh', 'analytics datasets upload')].join('\n');
    const result = await runProcess('bash', ['-c', script], {
      env: { REPO: REPO_ROOT, KEY: stack.apiKey, API: stack.url },
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

      // The README's commands that run it, in the scratch folder, with REPO a repository whose
      // packages/client is this build (as `npm run build -w @analytics-jobs/client` leaves it).
      const repo = join(dir, 'sdk-repo');
      mkdirSync(join(repo, 'packages'), { recursive: true });
      symlinkSync(pkg, join(repo, 'packages', 'client'), 'dir');
      symlinkSync(join(REPO_ROOT, 'node_modules'), join(repo, 'node_modules'), 'dir');
      const run = await runProcess(
        'bash',
        ['-c', ['set -euo pipefail', block(CLIENT, 'sh', 'quickstart.mts')].join('\n')],
        {
          env: { REPO: repo, ANALYTICS_URL: stack.url, ANALYTICS_API_KEY: stack.apiKey },
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
