import type { Config } from '@repo/config';

export type DashboardAuth = { kind: 'basic'; user: string; password: string } | { kind: 'off' };

/**
 * The dashboard never starts open by accident: credentials are required unless
 * DASHBOARD_AUTH=off says, explicitly, that this is a local development run.
 */
export function resolveDashboardAuth(
  config: Pick<Config, 'DASHBOARD_AUTH' | 'DASHBOARD_USER' | 'DASHBOARD_PASSWORD'>,
): DashboardAuth {
  if (config.DASHBOARD_AUTH === 'off') return { kind: 'off' };
  if (!config.DASHBOARD_USER || !config.DASHBOARD_PASSWORD) {
    throw new Error(
      'The dashboard needs credentials: set DASHBOARD_USER and DASHBOARD_PASSWORD (or DASHBOARD_AUTH=off, for local development only).',
    );
  }
  if (config.DASHBOARD_PASSWORD.length < 12) {
    throw new Error('DASHBOARD_PASSWORD must be at least 12 characters.');
  }
  return { kind: 'basic', user: config.DASHBOARD_USER, password: config.DASHBOARD_PASSWORD };
}
