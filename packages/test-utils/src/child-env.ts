/**
 * The environment for a process a test starts: `env` alone, plus what any program needs
 * to run (PATH, HOME) taken from the test run's own. The one place the harness passes its
 * environment on; the product's configuration is read only by packages/config.
 */
export function childEnv(env: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env };
}
