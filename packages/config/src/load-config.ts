import type { z } from 'zod';
import { ZEnv } from './config-schema';

type ParsedEnv = z.output<typeof ZEnv>;
export type Config = Omit<ParsedEnv, 'RATE_LIMIT_BURST'> & { RATE_LIMIT_BURST: number };

/** Thrown with a single line naming the variable, what is accepted and what was given. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Reads the environment once. Only each process's main.ts calls it (with process.env);
 * everything else receives the typed result. Empty strings count as unset so that
 * `FOO= npm start` means "default", as in most shells' habits.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const cleaned: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value !== '') cleaned[key] = value;
  }
  const parsed = ZEnv.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue?.path[0] ?? 'environment');
    const given = cleaned[name];
    const shown =
      given === undefined
        ? ''
        : `, got ${JSON.stringify(name.includes('KEY') || name.includes('PASSWORD') ? '<redacted>' : given)}`;
    throw new ConfigError(`Invalid configuration: ${name}: ${issue?.message ?? 'invalid'}${shown}`);
  }
  const { RATE_LIMIT_BURST, ...rest } = parsed.data;
  return { ...rest, RATE_LIMIT_BURST: RATE_LIMIT_BURST ?? rest.RATE_LIMIT_PER_SECOND };
}

/**
 * For a process's main: the configuration, or — when it is invalid — the one line saying
 * why on stderr and exit code 1, never a stack trace.
 */
export function loadConfigOrExit(env: Record<string, string | undefined>): Config {
  try {
    return loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}
