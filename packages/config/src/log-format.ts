export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** What pino needs of a destination (pino's DestinationStream), without depending on pino here. */
export interface LogDestination {
  write(line: string): void;
}

type PinoPretty = (options: Record<string, unknown>) => LogDestination;

/**
 * `auto` (the default): readable lines when stdout is a terminal, JSON lines otherwise —
 * containers, pipes, files, log shippers and tests always get JSON.
 */
export function prettyLogs(format: LogFormat, stdout: { isTTY?: boolean } = process.stdout): boolean {
  return format === 'pretty' || (format === 'auto' && stdout.isTTY === true);
}

/**
 * The destination a process's pino logger writes to: undefined (pino's own JSON on stdout),
 * or — when `prettyLogs` says so — pino-pretty's stream: local time, level, the process
 * (`app`) and the message, then the line's other fields. Written synchronously, so the last
 * lines before process.exit are not lost. pino-pretty is a development dependency: where
 * it is not installed, LOG_FORMAT=pretty says so once on stderr and JSON is written.
 */
export function logDestination(
  format: LogFormat,
  stdout: { isTTY?: boolean } = process.stdout,
  load: () => PinoPretty = () => require('pino-pretty') as PinoPretty,
): LogDestination | undefined {
  if (!prettyLogs(format, stdout)) return undefined;
  let pretty: PinoPretty;
  try {
    pretty = load();
  } catch {
    if (format === 'pretty')
      process.stderr.write('LOG_FORMAT=pretty: pino-pretty is not installed; logging JSON\n');
    return undefined;
  }
  return pretty({
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,app',
    messageFormat: '{if app}[{app}] {end}{msg}',
    sync: true,
  });
}
