/**
 * Two projects: `unit` (*.test.ts, no I/O) and `int` (*.int.test.ts, real Redis,
 * DuckDB and worker processes). The int project starts one private redis-server
 * for the whole run (globalSetup) and each test file uses its own key prefix.
 */
const transform = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.base.json' }],
};
const common = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform,
  moduleFileExtensions: ['ts', 'js', 'json'],
  testPathIgnorePatterns: ['/node_modules/', '/.data/'],
};
module.exports = {
  // Integration tests run real processes; unit tests never come near this.
  testTimeout: 60000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/{apps,packages}/*/src/**/*.test.ts', '<rootDir>/*.test.ts', '!**/*.int.test.ts'],
    },
    {
      ...common,
      displayName: 'int',
      testMatch: ['<rootDir>/{apps,packages}/*/src/**/*.int.test.ts'],
      globalSetup: '<rootDir>/packages/test-utils/src/global-setup.ts',
      globalTeardown: '<rootDir>/packages/test-utils/src/global-teardown.ts',
    },
  ],
};
