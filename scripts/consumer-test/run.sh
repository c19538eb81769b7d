#!/usr/bin/env bash
# Consumer test: installs the packed library into a fresh cdk8s TypeScript project, the way
# a user does, and synthesizes an app that uses every public construct; then into a second
# project on cdk8s-plus-33 (what `cdk8s init typescript-app` installs today), whose app uses
# the constructs and the building blocks' plain data on cdk8s-plus-33 objects. Catches a broken
# `exports`/`types`/`typesVersions`/`files` field and missing peer dependencies, which the
# in-repo tests cannot see. Needs only the npm registry; the npm cache makes reruns fast.
#   bash scripts/consumer-test/run.sh          # KEEP_CONSUMER=1 keeps the temp project for a look
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/cdk8s-pod-lifecycle-consumer.XXXXXX")"
if [ -z "${KEEP_CONSUMER:-}" ]; then trap 'rm -rf "$work"' EXIT; else echo "consumer project: $work"; fi
step() { printf '\n== consumer: %s\n' "$*"; }

step "npm pack (prepack builds build/lib)"
tarball="$work/$(cd "$repo" && npm pack --silent --pack-destination "$work" | tail -n 1)"
listing="$(tar -tzf "$tarball")"
for f in package/package.json package/build/lib/index.js package/build/lib/index.d.ts \
  package/build/lib/testing/index.js package/build/lib/testing/index.d.ts; do
  grep -qx "$f" <<<"$listing" || { echo "missing from the tarball: $f" >&2; exit 1; }
done
if grep -v -E '^package/(package\.json|README\.md|LICENSE|build/lib/.+\.(js|d\.ts))$' <<<"$listing"; then
  echo "unexpected files in the tarball (above)" >&2
  exit 1
fi

step "fresh project"
app="$work/app"
mkdir -p "$app"
cp -r "$repo/scripts/consumer-test/project/." "$app/"
cd "$app"
# What the README's install section says, plus the /testing entry's optional peers and the
# toolchain a cdk8s TypeScript project has.
npm install --no-audit --no-fund --loglevel=error "$tarball" cdk8s cdk8s-plus-27 constructs \
  kubernetes-models@4.3.0 ajv cdk8s-cli typescript@~5.9.0 @types/node@20

step "type-check with classic (node10) and exports-aware (node16) resolution"
npx tsc -p tsconfig.json --noEmit
npx tsc -p tsconfig.node16.json --noEmit

step "compile and cdk8s synth through the project's cdk8s.yaml"
npx tsc -p tsconfig.json
npx cdk8s synth --check-upgrade false

step "check the YAML and the /testing entry"
node check-dist.js
node build/check-testing.js

step "fresh project on cdk8s-plus-33: the constructs and the building blocks' plain data"
app33="$work/app-plus-33"
mkdir -p "$app33"
cp -r "$repo/scripts/consumer-test/project-plus-33/." "$app33/"
cd "$app33"
# cdk8s-plus-27 is the library's peer: the constructs build their objects with it.
npm install --no-audit --no-fund --loglevel=error "$tarball" cdk8s cdk8s-plus-33 cdk8s-plus-27 constructs \
  cdk8s-cli typescript@~5.9.0 @types/node@20
npx tsc -p tsconfig.json
npx cdk8s synth --check-upgrade false
node check-dist.js
echo "consumer test passed"
