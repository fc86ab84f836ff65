/**
 * The `analytics` command's entry: the one file of the package that reads the process
 * (argv, ANALYTICS_URL / ANALYTICS_API_KEY, stdout, signals). Everything else is runCli.
 */
import { runCli } from './run-cli';

const interrupt = new AbortController();
process.on('SIGINT', () => {
  // The first Ctrl-C stops waiting (the command says what goes on); a second one ends at once.
  if (interrupt.signal.aborted) process.exit(130);
  interrupt.abort();
});
// `analytics … | head` closes stdout early: that is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

runCli({
  argv: process.argv.slice(2),
  env: { url: process.env.ANALYTICS_URL || undefined, apiKey: process.env.ANALYTICS_API_KEY || undefined },
  stdout: process.stdout,
  stderr: process.stderr,
  signal: interrupt.signal,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `analytics: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : error}\n`,
    );
    process.exitCode = 70;
  },
);
