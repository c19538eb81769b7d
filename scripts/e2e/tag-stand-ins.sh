#!/usr/bin/env bash
# Tags the cluster kit's stand-in images (../shared/cluster, "The stand-in images") with the
# names the library pins today (lib/core/images.ts, IMAGE_PINS), so pods that use the
# default images start on the kit's node, which can pull nothing.
#
# The kit imports its stand-ins under the pins it was built for (httpd:2.4.65,
# alpine/git:2.49.1, busybox:1.36.1). A moved pin gets the same image under its new name:
# `ctr images tag`, no copy. Idempotent (an existing name is re-pointed), harmless, and a
# pin that did not move is left alone. Needs the node half of the kit running
# (`up.sh --node`); it does not start or stop anything.
#   bash scripts/e2e/tag-stand-ins.sh        # KUBE_KIT_DIR moves the kit, as for the kit's scripts
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
kit="${KUBE_KIT_DIR:-/tmp/kube-kit}"
ctr_bin="$kit/node-root/usr/bin/ctr"
socket="$kit/data/node/containerd/containerd.sock"
[ -x "$ctr_bin" ] || { echo "tag-stand-ins: no ctr at $ctr_bin (run the kit's setup.sh)" >&2; exit 1; }
[ -S "$socket" ] || { echo "tag-stand-ins: no containerd socket at $socket (run the kit's up.sh --node)" >&2; exit 1; }
ctr() { "$ctr_bin" --address "$socket" -n k8s.io "$@"; }

# The pin of `key` in IMAGE_PINS, e.g. httpd -> httpd:2.4.69.
pin() {
  local value
  value="$(sed -n "s/^  $1: '\([^']*\)',\$/\1/p" "$repo/lib/core/images.ts")"
  [ -n "$value" ] || { echo "tag-stand-ins: no IMAGE_PINS.$1 in lib/core/images.ts" >&2; exit 1; }
  printf '%s\n' "$value"
}

# How containerd names an image reference: docker.io/library/ for official images.
full_name() {
  case "$1" in
    */*/*) printf '%s\n' "$1" ;;
    */*) printf 'docker.io/%s\n' "$1" ;;
    *) printf 'docker.io/library/%s\n' "$1" ;;
  esac
}

present="$(ctr images ls -q)"
status=0
# IMAGE_PINS key, then the kit's stand-in for it.
for entry in httpd=docker.io/library/httpd:2.4.65 git=docker.io/alpine/git:2.49.1 collector=docker.io/library/busybox:1.36.1; do
  key="${entry%%=*}"
  stand_in="${entry#*=}"
  target="$(full_name "$(pin "$key")")"
  if [ "$target" = "$stand_in" ]; then
    echo "tag-stand-ins: $target is the kit's own name"
    continue
  fi
  if ! grep -qxF "$stand_in" <<<"$present"; then
    echo "tag-stand-ins: the kit has no $stand_in to tag as $target" >&2
    status=1
    continue
  fi
  ctr images tag --force "$stand_in" "$target" >/dev/null
  echo "tag-stand-ins: $stand_in -> $target"
done
exit "$status"
