/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The library's warnings are printed by every synth; tests read them with warningsOf instead.
  setupFiles: ['<rootDir>/test/support/silence-warnings.ts'],
  // test/e2e needs a cluster: jest.e2e.config.js runs it.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/e2e/'],
  // One worker per core: jest's default (cores - 1) runs everything in one process on a
  // 2-core machine; each file pays ~1 s of module and schema loading, so two run at once.
  maxWorkers: '100%',
  // swc strips types without checking them (fast); `npm run typecheck` checks them.
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }] },
};
