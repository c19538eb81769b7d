/**
 * `npm run test:slow`: the heaviest unit tests, kept out of `npm test` so that it stays quick:
 * real git repositories served over https (clones, fetches by commit, submodules, the sync
 * loop, the incremental sync, silent remotes that must time out), kubectl decoding every synthesized manifest, and
 * the collector draining a large backlog (COLLECTOR_BACKLOG_FILES, default 20,000). CI runs
 * them (.ci/run).
 * @type {import('jest').Config}
 */
const base = require('./jest.config');

module.exports = {
  ...base,
  testMatch: ['**/*.slow.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/e2e/'],
};
