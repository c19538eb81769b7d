/** @type {import('jest').Config} */
// End-to-end tests against a real cluster (see test/e2e): `npx jest -c jest.e2e.config.js`.
// `npm test` (jest.config.js) never runs them: its testMatch is *.test.ts under test/ minus test/e2e.
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/e2e'],
  testMatch: ['**/*.e2e.test.ts'],
  testTimeout: 300_000,
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }] },
};
