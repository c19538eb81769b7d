/**
 * `npm run test:e2e`: the end-to-end suite against the cluster KUBECONFIG points at (see
 * docs/operating.md). `npm test` (jest.config.js) never runs these files.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/e2e'],
  testMatch: ['**/*.e2e.test.ts'],
  // Checks the cluster before any test file starts (one clear line and exit 1 without one)
  // and handles Ctrl-C for the whole run.
  globalSetup: '<rootDir>/test/e2e/support/global-setup.js',
  setupFiles: ['<rootDir>/test/support/silence-warnings.ts'],
  // Deletes anything a file left behind (an afterAll that could not finish).
  globalTeardown: '<rootDir>/test/e2e/support/global-teardown.js',
  // The files share one small node: two at a time keep it busy without starving it.
  maxWorkers: 2,
  // Each test bounds its own waits; this is the backstop.
  testTimeout: 240_000,
  slowTestThreshold: 60,
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }] },
};
