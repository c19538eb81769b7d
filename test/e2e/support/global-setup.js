// jest globalSetup of the end-to-end suite: without a reachable cluster, say so on one line
// and exit non-zero before any test file starts. Then it installs the Ctrl-C handler of the
// run (in the real main process: test files cannot receive signals inside jest's sandbox).
'use strict';
const { spawnSync } = require('node:child_process');
const { existsSync, mkdtempSync, rmSync } = require('node:fs');
const { cleanupRecorded } = require('./run-state');

function kubectl() {
  if (process.env.KUBECTL) return process.env.KUBECTL;
  const onPath = spawnSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' });
  if (onPath.status === 0 && onPath.stdout.trim()) return onPath.stdout.trim();
  return existsSync('/tmp/kube-kit/bin/kubectl') ? '/tmp/kube-kit/bin/kubectl' : 'kubectl';
}

function fail(reason) {
  process.stdout.write(`\ne2e: no reachable cluster: ${reason}\n`);
  process.exit(1);
}

module.exports = async function globalSetup() {
  // Never fall back to ~/.kube/config: the suite creates namespaces and hostPath pods, so
  // the cluster must be named on purpose.
  if (!process.env.KUBECONFIG) fail('KUBECONFIG is not set (for the kit: out=$(../shared/cluster/up.sh --node) && eval "$out")');
  const bin = kubectl();
  const ready = spawnSync(bin, ['get', '--raw', '/readyz', '--request-timeout=5s'], { encoding: 'utf8', timeout: 15_000 });
  if (ready.error) fail(`${bin}: ${ready.error.message}`);
  if (ready.status !== 0) fail(`KUBECONFIG=${process.env.KUBECONFIG}: ${(ready.stderr || ready.stdout).trim().split('\n').pop()}`);
  const nodes = spawnSync(
    bin,
    ['get', 'nodes', '-o', 'jsonpath={.items[*].status.conditions[?(@.type=="Ready")].status}', '--request-timeout=10s'],
    {
      encoding: 'utf8',
      timeout: 20_000,
    },
  );
  if (nodes.status !== 0 || !nodes.stdout.split(/\s+/).includes('True')) {
    fail(`KUBECONFIG=${process.env.KUBECONFIG}: the API server answers but no node is Ready (the kit: up.sh --node)`);
  }
  process.env.KUBECTL = bin;
  // Workers (and the in-band sandbox) inherit the environment: they record what they create.
  process.env.E2E_RUN_DIR = mkdtempSync('/tmp/e2e-run-');
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      process.stderr.write(`\ne2e: ${signal}: deleting what the suite created\n`);
      cleanupRecorded(bin, (line) => process.stderr.write(`e2e: ${line}\n`));
      rmSync(process.env.E2E_RUN_DIR, { recursive: true, force: true });
      process.exit(130);
    });
  }
};
