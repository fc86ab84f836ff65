import { parseArgs } from 'node:util';
import type { ParameterValue } from '../types';

/** A mistake in the command line: exit 2 with the message and a pointer to --help. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Every option any command takes; each command then says which of them it accepts. */
const OPTIONS = {
  url: { type: 'string' },
  key: { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
  name: { type: 'string' },
  'content-type': { type: 'string' },
  sql: { type: 'string' },
  file: { type: 'string' },
  dataset: { type: 'string' },
  description: { type: 'string' },
  param: { type: 'string', multiple: true },
  async: { type: 'boolean' },
  wait: { type: 'boolean' },
  priority: { type: 'string' },
  'timeout-ms': { type: 'string' },
  'wait-timeout-ms': { type: 'string' },
  'idempotency-key': { type: 'string' },
  status: { type: 'string' },
  query: { type: 'string' },
  limit: { type: 'string' },
  cursor: { type: 'string' },
  format: { type: 'string' },
  all: { type: 'boolean' },
} as const;

export type OptionName = keyof typeof OPTIONS;
export const GLOBAL_OPTIONS: readonly OptionName[] = ['url', 'key', 'json', 'quiet', 'help'];

export interface ParsedArgs {
  positionals: string[];
  values: Partial<Record<OptionName, string | boolean | string[]>>;
}

export function parseCommandLine(argv: readonly string[]): ParsedArgs {
  try {
    const { positionals, values } = parseArgs({
      args: [...argv],
      options: OPTIONS,
      allowPositionals: true,
      strict: true,
    });
    return { positionals, values: values as ParsedArgs['values'] };
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message.split('\n')[0] : String(error));
  }
}

/** Refuses options the command does not take (beyond the global ones). */
export function allowOnly(args: ParsedArgs, command: string, allowed: readonly OptionName[]): void {
  for (const name of Object.keys(args.values) as OptionName[]) {
    if (!GLOBAL_OPTIONS.includes(name) && !allowed.includes(name)) {
      throw new UsageError(`"${command}" does not take --${name}.`);
    }
  }
}

export function stringOption(args: ParsedArgs, name: OptionName): string | undefined {
  const value = args.values[name];
  return typeof value === 'string' ? value : undefined;
}

export function flag(args: ParsedArgs, name: OptionName): boolean {
  return args.values[name] === true;
}

export function positiveInteger(args: ParsedArgs, name: OptionName): number | undefined {
  const value = stringOption(args, name);
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new UsageError(`--${name} takes a positive whole number (got ${JSON.stringify(value)}).`);
  }
  return Number(value);
}

export function oneOf<T extends string>(
  args: ParsedArgs,
  name: OptionName,
  choices: readonly T[],
): T | undefined {
  const value = stringOption(args, name);
  if (value === undefined) return undefined;
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(`--${name} is one of ${choices.join(', ')} (got ${JSON.stringify(value)}).`);
  }
  return value as T;
}

/** The single id argument of `get`, `delete`, …, checked for its prefix. */
export function idArgument(args: ParsedArgs, index: number, prefix: string, command: string): string {
  const id = args.positionals[index];
  if (id === undefined) throw new UsageError(`"${command}" needs an id (${prefix}_…).`);
  if (!id.startsWith(`${prefix}_`))
    throw new UsageError(`"${command}" takes a ${prefix}_… id (got ${JSON.stringify(id)}).`);
  if (args.positionals.length > index + 1) {
    throw new UsageError(
      `"${command}" takes one id; unexpected ${JSON.stringify(args.positionals[index + 1])}.`,
    );
  }
  return id;
}

/**
 * `--param month=2024-05`: a value that reads as a JSON number, true/false/null, array or
 * "quoted string" is sent as that JSON value; anything else as the text itself.
 * (`--param n=250` is the number 250; `--param 'zip="01234"'` is the string "01234".)
 */
export function parameterValue(text: string): ParameterValue {
  if (/^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null|\[.*\]|".*")$/s.test(text.trim())) {
    try {
      return JSON.parse(text) as ParameterValue;
    } catch {
      // not JSON after all: the text itself
    }
  }
  return text;
}

export function parameters(args: ParsedArgs): Record<string, ParameterValue> {
  const result: Record<string, ParameterValue> = {};
  const given = args.values.param;
  for (const entry of Array.isArray(given) ? given : []) {
    const equals = entry.indexOf('=');
    if (equals < 1) throw new UsageError(`--param takes name=value (got ${JSON.stringify(entry)}).`);
    result[entry.slice(0, equals)] = parameterValue(entry.slice(equals + 1));
  }
  return result;
}
