#!/usr/bin/env bash
# Consumer test: the packed library in the project a new user has, made by
# `cdk8s init typescript-app` (cdk8s-cli pinned below; cdk8s-plus-33, `lib: ["es2016"]`,
# noUnusedLocals/Parameters, @types/node 14, jest 29 with ts-jest), its files untouched. It
# installs the tarball as the README's install section says, adds every ```ts block of
# README.md and docs/*.md as a file of the project (scripts/consumer-test/recipes.js), compiles
# them with the template's own `npm run compile`, synthesizes each one that synthesizes, runs
# the template's own jest (README/docs blocks that are jest tests included), synthesizes a
# one-construct main.ts with `cdk8s synth` (ts-node, the template's cdk8s.yaml), type-checks
# everything again with node16 resolution (the package's `exports`), and, when the cluster
# kit's API server answers, has it accept every object (`kubectl apply --dry-run=server`).
# Needs the npm registry (a warm npm cache makes it fast); the Kubernetes schema download of
# `cdk8s init` fails offline, which is tolerated (and only that).
#   bash scripts/consumer-test/run.sh          # KEEP_CONSUMER=1 keeps the temp project for a look
set -euo pipefail
CDK8S_CLI=cdk8s-cli@2.207.60   # what `cdk8s init` a user runs today installs; bump deliberately
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/cdk8s-pod-lifecycle-consumer.XXXXXX")"
if [ -z "${KEEP_CONSUMER:-}" ]; then trap 'rm -rf "$work"' EXIT; else echo "consumer project: $work"; fi
step() { printf '\n== consumer: %s (%ss)\n' "$*" "$SECONDS"; }
# The npm cache answers without asking the registry whether it is current: the template's
# packages resolve from it in seconds when they were fetched before.
export npm_config_prefer_offline=true npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false

step "npm pack (prepack builds build/lib)"
tarball="$work/$(cd "$repo" && npm pack --silent --pack-destination "$work" | tail -n 1)"
listing="$(tar -tzf "$tarball")"
for f in package/package.json package/plugin.js package/build/lib/index.js package/build/lib/index.d.ts \
  package/build/lib/testing/index.js package/build/lib/testing/index.d.ts; do
  grep -qx "$f" <<<"$listing" || { echo "missing from the tarball: $f" >&2; exit 1; }
done
if grep -v -E '^package/(package\.json|README\.md|LICENSE|plugin\.js|build/lib/.+\.(js|d\.ts))$' <<<"$listing"; then
  echo "unexpected files in the tarball (above)" >&2
  exit 1
fi

step "cdk8s init typescript-app ($CDK8S_CLI)"
app="$work/app"
mkdir -p "$app"
cd "$app"
# init installs the template's packages, then runs `npm run import` (downloads the Kubernetes
# schema from GitHub), compile, test and synth. Offline only the import fails, and init stops
# there with every file and package in place: tolerate exactly that.
if ! npx -y "$CDK8S_CLI" init typescript-app >"$work/init.log" 2>&1; then
  if ! grep -q 'Command failed: npm run import' "$work/init.log"; then
    cat "$work/init.log" >&2
    echo "cdk8s init failed before its schema import (log above)" >&2
    exit 1
  fi
  echo "cdk8s init: the schema import failed (offline), as tolerated; the template is in place"
fi
node -e '
  const p = require("./package.json"), t = require("./tsconfig.json").compilerOptions;
  const want = { lib: ["es2016"], noUnusedLocals: true, noUnusedParameters: true };
  for (const [k, v] of Object.entries(want)) if (JSON.stringify(t[k]) !== JSON.stringify(v)) throw new Error(`template tsconfig ${k} is ${JSON.stringify(t[k])}`);
  if (!p.dependencies["cdk8s-plus-33"] || !/^\^?14/.test(p.devDependencies["@types/node"])) throw new Error("not the template this test was written for");
  console.log("template:", JSON.stringify({ lib: t.lib, node: p.devDependencies["@types/node"], jest: p.devDependencies.jest, plus: Object.keys(p.dependencies).join(" ") }));
'
cp package.json tsconfig.json "$work/"   # to prove the template's files stay untouched

step "install as the README says"
npm install --loglevel=error "$tarball" cdk8s cdk8s-plus-27 constructs
npm install --loglevel=error -D kubernetes-models@4.3.0 ajv

step "the README's and docs' ts blocks as files of the project"
mkdir -p recipes
for name in $(node "$repo/scripts/consumer-test/recipes.js" "$work/recipes"); do
  # A block that is a jest test runs under the template's jest (ts-jest, its tsconfig).
  if grep -q "^test(" "$work/recipes/$name.ts"; then cp "$work/recipes/$name.ts" "recipes/$name.test.ts"
  else cp "$work/recipes/$name.ts" "recipes/$name.ts"; fi
done
ls recipes

step "a one-construct main.ts, as a user writes it (the template's chart, one construct in it)"
node "$repo/scripts/consumer-test/main-ts.js" main.ts

step "compile with the template's tsconfig (npm run compile: tsc --build)"
npm run --silent compile

step "type-check both entry points again with node16 resolution (the package's exports map)"
printf "import { HttpdWithPostStart } from 'cdk8s-pod-lifecycle';\nimport { synthSnapshot } from 'cdk8s-pod-lifecycle/testing';\nexport const used = [HttpdWithPostStart, synthSnapshot];\n" >"$work/node16.ts"
printf '{ "extends": "%s/tsconfig.json", "compilerOptions": { "module": "node16", "moduleResolution": "node16", "noEmit": true, "skipLibCheck": true }, "include": ["node16.ts"] }\n' "$app" >"$work/tsconfig.node16.json"
ln -s "$app/node_modules" "$work/node_modules"
npx tsc -p "$work/tsconfig.node16.json"

step "synthesize every block that synthesizes (node, compiled JS) and main.ts (cdk8s synth, ts-node)"
# One node process runs them all, each into dist/<name>, its stderr kept apart: recipes are
# quiet (a block that shows a warning acknowledges it), so any output fails the test.
node "$repo/scripts/consumer-test/synth-recipes.js" recipes dist
npx cdk8s synth --check-upgrade false -o dist/main
node "$repo/scripts/consumer-test/check-dist.js" dist

step "the template's own jest (with the README/docs blocks that are jest tests)"
# As `cdk8s init` does after its own synth: the template's snapshot test records the chart.
npx jest --silent -u

step "the template's files are untouched"
cmp package.json "$work/package.json" 2>/dev/null || node -e '
  // npm install adds the installed packages to package.json; nothing else may change.
  const a = require(process.argv[1]), b = require("./package.json");
  for (const k of Object.keys(a)) if (!["dependencies", "devDependencies"].includes(k) && JSON.stringify(a[k]) !== JSON.stringify(b[k])) throw new Error(`package.json ${k} changed`);
  for (const s of ["dependencies", "devDependencies"]) for (const [n, v] of Object.entries(a[s])) if (b[s][n] !== v && !["cdk8s", "constructs"].includes(n)) throw new Error(`${s} ${n} changed to ${b[s][n]}`);
' "$work/package.json"
cmp tsconfig.json "$work/tsconfig.json"

# The validation plugin set up as docs/plugin.md says (its first ```yaml block with
# `validations:`), run by `cdk8s synth` on main.ts. Until that page exists, skipped.
step "the cdk8s synth plugin, as docs/plugin.md sets it up"
if node "$repo/scripts/consumer-test/plugin-yaml.js" "$repo/docs/plugin.md" >"$work/validations.yaml"; then
  cp cdk8s.yaml "$work/cdk8s.yaml"
  cat "$work/validations.yaml" >>cdk8s.yaml
  npx cdk8s synth --check-upgrade false -o dist/main-plugin
  cp "$work/cdk8s.yaml" cdk8s.yaml
else
  echo "SKIPPED: docs/plugin.md has no validations block yet"
fi

step "the API server accepts every object (kubectl apply --dry-run=server), when the kit is up"
kubectl="${KUBECTL:-$(command -v kubectl || echo /tmp/kube-kit/bin/kubectl)}"
if [ -n "${KUBECONFIG:-}" ] && [ -x "$kubectl" ] && "$kubectl" get --raw /readyz >/dev/null 2>&1; then
  ns="consumer-$RANDOM$RANDOM"
  "$kubectl" create namespace "$ns" >/dev/null
  created=("$ns")
  trap '"$kubectl" delete namespace "${created[@]}" --wait=false >/dev/null 2>&1 || true; [ -n "${KEEP_CONSUMER:-}" ] || rm -rf "$work"' EXIT
  for f in dist/*/*.k8s.yaml; do
    # A block that names its namespaces (a chart's `namespace`) gets them, made for the test.
    named=$(sed -n 's/^  namespace: \([a-z0-9-]*\)$/\1/p' "$f" | sort -u)
    for n in $named; do
      "$kubectl" get namespace "$n" >/dev/null 2>&1 || { "$kubectl" create namespace "$n" >/dev/null && created+=("$n"); }
    done
    target=(-n "$ns")
    [ -z "$named" ] || target=()
    "$kubectl" apply --dry-run=server --validate=strict "${target[@]}" -f "$f" >/dev/null || { echo "the API server refused $f" >&2; exit 1; }
  done
  echo "accepted: $(ls dist/*/*.k8s.yaml | wc -l) files"
else
  echo "SKIPPED: no reachable API server (KUBECONFIG unset or /readyz does not answer)"
fi
echo "consumer test passed in ${SECONDS}s"
