import { EXIT } from './cli-context';
import { runCli } from './run-cli';

/** runCli with in-memory output and no key: nothing here reaches the network. */
async function cli(argv: string[], env: { url?: string; apiKey?: string } = {}) {
  let stdout = '';
  let stderr = '';
  const output = (append: (text: string) => void) => ({
    write: (chunk: string | Uint8Array) => {
      append(typeof chunk === 'string' ? chunk : new TextDecoder().decode(chunk));
      return true;
    },
    once: () => undefined,
  });
  const code = await runCli({
    argv,
    env,
    stdout: output((t) => (stdout += t)),
    stderr: output((t) => (stderr += t)),
    signal: new AbortController().signal,
  });
  return { code, stdout, stderr };
}

describe('analytics (no network)', () => {
  it('prints help for the whole tool and for each command', async () => {
    const all = await cli(['--help']);
    expect(all.code).toBe(EXIT.ok);
    expect(all.stdout).toContain('Usage: analytics <command>');
    expect(all.stdout).toContain('Exit codes:');
    for (const [argv, expected] of [
      [['datasets', 'upload', '--help'], 'Usage: analytics datasets upload <file>'],
      [['run', '-h'], 'Usage: analytics run <qry_…>'],
      [['jobs', 'results', '--help'], '--format csv'],
      [['help', 'queries', 'save'], 'Usage: analytics queries save'],
      [['jobs', '--help'], 'Usage: analytics jobs <get|list|wait|cancel|results>'],
    ] as const) {
      const result = await cli([...argv]);
      expect(result.code).toBe(EXIT.ok);
      expect(result.stdout).toContain(expected);
      expect(result.stdout).toContain('--url URL');
    }
  });

  it('answers a missing command with the overview on stderr and exit 2', async () => {
    const result = await cli([]);
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toContain('Usage: analytics <command>');
  });

  it.each([
    [['frobnicate'], 'Unknown command "frobnicate"'],
    [['datasets'], '"datasets" needs an action'],
    [['datasets', 'rename'], 'Unknown action "datasets rename"'],
    [['jobs', 'get'], '"jobs get" needs an id'],
    [['jobs', 'get', 'job_a', '--sql', 'x'], '"jobs get" does not take --sql'],
    [['run', 'qry_a', '--priority', 'urgent'], '--priority is one of interactive, batch'],
    [['run', 'qry_a', '--wait-timeout-ms', 'soon'], '--wait-timeout-ms takes a positive whole number'],
    [['queries', 'save', '--name', 'q'], 'needs --sql SQL or --file FILE'],
    [['run', 'qry_a', '--nope'], "Unknown option '--nope'"],
  ])('refuses %j with exit 2', async (argv, message) => {
    const result = await cli(argv, { apiKey: 'k'.repeat(20) });
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain('--help');
    expect(result.stdout).toBe('');
  });

  it('says where to find a key when there is none', async () => {
    const result = await cli(['datasets', 'list']);
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toContain('ANALYTICS_API_KEY');
  });
});
