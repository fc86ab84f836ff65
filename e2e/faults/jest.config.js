/**
 * The fault-injection suite (`npm run test:faults`): each scenario starts its own
 * redis-server(s) and real API and worker processes, then breaks something. Scenarios
 * run one at a time (they load the machine and some measure recovery), each bounded.
 */
module.exports = {
  rootDir: '../..',
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.base.json' }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testMatch: ['<rootDir>/e2e/faults/**/*.faults.test.ts'],
  testTimeout: 300_000,
  maxWorkers: 1,
  globalSetup: '<rootDir>/e2e/faults/harness/global-setup.ts',
  globalTeardown: '<rootDir>/e2e/faults/harness/global-teardown.ts',
};
