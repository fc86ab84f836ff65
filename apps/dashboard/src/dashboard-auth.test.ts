import { resolveDashboardAuth } from './dashboard-auth';

describe('resolveDashboardAuth', () => {
  it('requires both credentials unless auth is explicitly off', () => {
    expect(() => resolveDashboardAuth({ DASHBOARD_AUTH: 'on' })).toThrow(
      /DASHBOARD_USER and DASHBOARD_PASSWORD/,
    );
    expect(() => resolveDashboardAuth({ DASHBOARD_AUTH: 'on', DASHBOARD_USER: 'ops' })).toThrow(
      /DASHBOARD_USER and DASHBOARD_PASSWORD/,
    );
    expect(resolveDashboardAuth({ DASHBOARD_AUTH: 'off' })).toEqual({ kind: 'off' });
  });

  it('refuses a short password', () => {
    expect(() =>
      resolveDashboardAuth({ DASHBOARD_AUTH: 'on', DASHBOARD_USER: 'ops', DASHBOARD_PASSWORD: 'short' }),
    ).toThrow(/at least 12/);
  });

  it('accepts a full login', () => {
    expect(
      resolveDashboardAuth({
        DASHBOARD_AUTH: 'on',
        DASHBOARD_USER: 'ops',
        DASHBOARD_PASSWORD: 'a-long-password',
      }),
    ).toEqual({ kind: 'basic', user: 'ops', password: 'a-long-password' });
  });
});
