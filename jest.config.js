/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The library's warnings are printed by every synth; tests read them with warningsOf instead.
  setupFiles: ['<rootDir>/test/support/silence-warnings.ts'],
  // The end-to-end suite needs a cluster: `npm run test:e2e` (jest.e2e.config.js) runs it.
  // `npm run test:slow` (jest.slow.config.js) runs the *.slow.test.ts files: real git over
  // https, kubectl decoding every manifest, a large collector backlog.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/e2e/', '\\.slow\\.test\\.ts$'],
  // One worker per core: jest's default (cores - 1) runs everything in one process on a
  // 2-core machine; each file pays ~1 s of module and schema loading, so two run at once.
  maxWorkers: '100%',
  // swc strips types without checking them (fast); `npm run typecheck` checks them.
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }] },
};
