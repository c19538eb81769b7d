#!/usr/bin/env bash
# Synth time in the cdk8s template: `cdk8s synth` (ts-node, which type-checks main.ts and every
# declaration it reaches) of the template's empty chart, of the chart with one cdk8s-plus-27
# Pod (what any cdk8s-plus-27 construct brings), and of the chart with one HttpdWithPostStart.
# Runs interleaved; prints the median wall and CPU (user+sys, children included) of each.
#   KEEP_CONSUMER=1 npm run test:consumer        # prints "consumer project: DIR"
#   bash scripts/consumer-test/synth-time.sh DIR/app [RUNS]
set -euo pipefail
app="$1"
runs="${2:-5}"
cd "$app"
template="$(sed 's/{{ \$base }}/app/' node_modules/cdk8s-cli/templates/typescript-app/main.ts)"
marker='    // define resources here'
variant() {
  case "$1" in
    empty) printf '%s\n' "$template" ;;
    plus27) printf "import * as kplus from 'cdk8s-plus-27';\n%s\n" "${template/"$marker"/"$marker
    new kplus.Pod(this, 'pod', { containers: [{ image: 'httpd:2.4.69' }] });"}" ;;
    construct) printf "import { HttpdWithPostStart } from 'cdk8s-pod-lifecycle';\n%s\n" "${template/"$marker"/"$marker
    new HttpdWithPostStart(this, 'web');"}" ;;
  esac
}
cp main.ts "$app/../main.ts.saved"
trap 'cp "$app/../main.ts.saved" "$app/main.ts"' EXIT
declare -A wall cpu
for ((i = 0; i < runs; i++)); do
  for v in empty plus27 construct; do
    variant "$v" >main.ts
    /usr/bin/time -f '%e %U %S' -o "$app/../time.out" npx cdk8s synth --check-upgrade false -o "$app/../synth-time-dist" >/dev/null 2>&1
    read -r e u s <"$app/../time.out"
    wall[$v]+="$e "
    cpu[$v]+="$(echo "$u + $s" | bc) "
  done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf '%-10s %10s %10s   (%s runs each, %s cores, load %s)\n' variant 'wall s' 'cpu s' "$runs" "$(nproc)" "$(cut -d' ' -f1 /proc/loadavg)"
for v in empty plus27 construct; do
  printf '%-10s %10s %10s\n' "$v" "$(median <<<"${wall[$v]}")" "$(median <<<"${cpu[$v]}")"
done
