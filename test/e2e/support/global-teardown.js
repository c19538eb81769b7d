// jest globalTeardown of the end-to-end suite: whatever a test file left behind (an afterAll
// that could not finish) is deleted now; then the run's record goes.
'use strict';
const { rmSync } = require('node:fs');
const { cleanupRecorded } = require('./run-state');

module.exports = async function globalTeardown() {
  if (!process.env.E2E_RUN_DIR) return;
  cleanupRecorded(process.env.KUBECTL || 'kubectl');
  rmSync(process.env.E2E_RUN_DIR, { recursive: true, force: true });
};
