import { AnalyticsApiError } from '../analytics-api-error';
import { AnalyticsClient } from '../analytics-client';
import { flag, type ParsedArgs, parseCommandLine, stringOption, UsageError } from './cli-args';
import { type CliContext, EXIT, type Output } from './cli-context';
import { datasetsCommand } from './datasets.command';
import { helpFor } from './help-text';
import { jobsCommand } from './jobs.command';
import { queriesCommand } from './queries.command';
import { runCommand } from './run.command';

export const DEFAULT_URL = 'http://127.0.0.1:3000';

export interface CliIo {
  argv: readonly string[];
  /** ANALYTICS_URL and ANALYTICS_API_KEY, read by the entry file. */
  env: { url?: string; apiKey?: string };
  stdout: Output;
  stderr: Output;
  signal: AbortSignal;
}

const COMMANDS: Record<string, (ctx: CliContext, args: ParsedArgs) => Promise<number>> = {
  datasets: datasetsCommand,
  queries: queriesCommand,
  run: runCommand,
  jobs: jobsCommand,
};

/** The help topic the words name: `datasets upload`, `jobs`, `run`, or '' for the overview. */
function helpTopic(positionals: string[]): string {
  const [command, action] = positionals;
  if (command === undefined || !(command in COMMANDS)) return '';
  if (command === 'run' || action === undefined) return command;
  return `${command} ${action}`;
}

/** Runs one command line; resolves with the exit code. Never calls process.exit. */
export async function runCli(io: CliIo): Promise<number> {
  let args: ParsedArgs;
  try {
    args = parseCommandLine(io.argv);
  } catch (error) {
    io.stderr.write(`analytics: ${(error as Error).message}\nTry "analytics --help".\n`);
    return EXIT.usage;
  }
  const [command] = args.positionals;
  if (flag(args, 'help') || command === 'help' || command === undefined) {
    const topic = command === 'help' ? helpTopic(args.positionals.slice(1)) : helpTopic(args.positionals);
    (command === undefined && !flag(args, 'help') ? io.stderr : io.stdout).write(helpFor(topic));
    return command === undefined && !flag(args, 'help') ? EXIT.usage : EXIT.ok;
  }

  const handler = COMMANDS[command];
  const url = stringOption(args, 'url') ?? io.env.url ?? DEFAULT_URL;
  const apiKey = stringOption(args, 'key') ?? io.env.apiKey;
  let client: AnalyticsClient | undefined;
  const ctx: CliContext = {
    client() {
      if (!apiKey) {
        throw new UsageError(
          'No API key: pass --key KEY or set ANALYTICS_API_KEY (npm start prints one and keeps it in .data/dev-api-key).',
        );
      }
      client ??= new AnalyticsClient({ baseUrl: url, apiKey });
      return client;
    },
    stdout: io.stdout,
    stderr: io.stderr,
    signal: io.signal,
    json: flag(args, 'json'),
    quiet: flag(args, 'quiet'),
  };

  try {
    if (!handler) throw new UsageError(`Unknown command "${command}".`);
    return await handler(ctx, args);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(
        `analytics: ${error.message}\nTry "analytics ${helpTopic(args.positionals)} --help".\n`.replace(
          '  ',
          ' ',
        ),
      );
      return EXIT.usage;
    }
    if (error instanceof AnalyticsApiError) {
      if (error.code === 'unreachable') {
        io.stderr.write(`analytics: ${error.message} Is it running? (--url or ANALYTICS_URL)\n`);
        return EXIT.unreachable;
      }
      if (error.code === 'aborted') {
        io.stderr.write('analytics: interrupted.\n');
        return EXIT.interrupted;
      }
      const details = error.details.length > 0 ? ` [${error.details.join(', ')}]` : '';
      const request = error.requestId ? ` (request ${error.requestId})` : '';
      io.stderr.write(
        `analytics: ${error.status ?? ''} ${error.code}: ${error.message}${details}${request}\n`,
      );
      return EXIT.refused;
    }
    throw error;
  }
}
