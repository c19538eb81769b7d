// What a run of the end-to-end suite created, recorded on disk so that the jest main process
// can delete it on Ctrl-C. Test files run inside jest's sandbox, whose `process` never
// receives signals; globalSetup and globalTeardown run in the real main process.
//
// $E2E_RUN_DIR/created holds one line per item: `namespace <name>`, `path <dir>`, `pid <n>`
// (a child such as a port-forward) and `pid-done <n>` once it exited (never kill a PID the
// system may have reused).
'use strict';
const { spawnSync } = require('node:child_process');
const { appendFileSync, existsSync, readFileSync, rmSync } = require('node:fs');
const { join } = require('node:path');

function registry() {
  const dir = process.env.E2E_RUN_DIR;
  return dir ? join(dir, 'created') : undefined;
}

/** Records an item; a no-op outside a run started by globalSetup. */
function record(kind, value) {
  const file = registry();
  if (file) appendFileSync(file, `${kind} ${value}\n`);
}

/**
 * Deletes everything recorded: kills the recorded children, deletes the namespaces (without
 * waiting for them), removes the paths. Synchronous and bounded, for a signal handler.
 */
function cleanupRecorded(kubectl, log = () => undefined) {
  const file = registry();
  if (!file || !existsSync(file)) return;
  const items = readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)]);
  const exited = new Set(items.filter(([k]) => k === 'pid-done').map(([, v]) => v));
  for (const [kind, value] of items) {
    if (kind !== 'pid' || exited.has(value)) continue;
    try {
      process.kill(Number(value), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  const namespaces = [...new Set(items.filter(([k]) => k === 'namespace').map(([, v]) => v))];
  if (namespaces.length) {
    const r = spawnSync(kubectl, ['delete', 'namespace', '--wait=false', '--ignore-not-found', ...namespaces], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    log(`deleted namespaces ${namespaces.join(' ')}: ${(r.stdout + r.stderr).trim().split('\n').length} answered`);
  }
  for (const [kind, value] of items) {
    if (kind === 'path' && value.startsWith('/tmp/e2e-')) rmSync(value, { recursive: true, force: true });
  }
}

module.exports = { record, cleanupRecorded };
