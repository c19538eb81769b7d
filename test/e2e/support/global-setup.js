// jest globalSetup of the end-to-end suite: without a reachable cluster, say so on one line
// and exit non-zero before any test file starts.
'use strict';
const { spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');

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
};
