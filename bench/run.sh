#!/usr/bin/env bash
# Start-up cost of `rpod run --rm busybox true` against `runc run` of a prepared bundle (the
# floor: what rpod drives) and, when installed, `podman run --rm`. Prints medians and ratios.
# With BASELINE (another rpod binary, e.g. one built from the previous commit), that binary is
# timed in the same loop, plain and recording, with a store of its own: a same-run comparison.
# Needs root, runc and busybox-static. Usage: bench/run.sh [RUNS] [BASELINE]
set -euo pipefail
runs=${1:-30}
baseline=${2:-}
here=$(cd "$(dirname "$0")/.." && pwd)
rpod=$here/target/release/rpod
[ -x "$rpod" ] || (cd "$here" && cargo build --release --quiet)
work=$(mktemp -d)
trap 'umount -l "$work"/*/root/containers/*/merged 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/rootfs"/{bin,etc,tmp,proc,sys,dev,root}
cp /bin/busybox "$work/rootfs/bin/" && chroot "$work/rootfs" /bin/busybox --install -s /bin
echo 'root:x:0:0:root:/root:/bin/sh' > "$work/rootfs/etc/passwd"; echo 'root:x:0:' > "$work/rootfs/etc/group"
tar -C "$work/rootfs" -cf "$work/busybox.tar" .
R=("$rpod" --root "$work/s/root" --runroot "$work/s/run")
"${R[@]}" import "$work/busybox.tar" busybox >/dev/null
# The bare bundle: rpod's own config.json for the same container (default seccomp profile,
# capabilities, masked paths), so runc does the same work.
id=$("${R[@]}" create busybox true)
mkdir -p "$work/bundle"
cp "$work/s/run/containers/$id/config.json" "$work/bundle/"
rootfs=$("${R[@]}" mount "$id")

# shellcheck source=bench/lib.sh
. "$here/bench/lib.sh"

if [ -n "$baseline" ]; then
  B=("$baseline" --root "$work/b/root" --runroot "$work/b/run")
  "${B[@]}" import "$work/busybox.tar" busybox >/dev/null
fi
trace=(--annotation "io.containers.trace-syscall=of:$work/trace.json")

bare=(); ours=(); pod=(); base=(); ours_t=(); base_t=()
for i in $(seq "$runs"); do
  bare+=("$(time_us runc run --bundle "$work/bundle" "bench-$i")")
  if [ -n "$baseline" ] && ! (( i % 2 )); then
    # Which binary runs first alternates, so neither gains from the order.
    base+=("$(time_us "${B[@]}" run --rm busybox true)")
    ours+=("$(time_us "${R[@]}" run --rm busybox true)")
  else
    ours+=("$(time_us "${R[@]}" run --rm busybox true)")
    [ -z "$baseline" ] || base+=("$(time_us "${B[@]}" run --rm busybox true)")
  fi
  if [ -n "$baseline" ]; then
    if (( i % 2 )); then
      ours_t+=("$(time_us "${R[@]}" run --rm "${trace[@]}" busybox true)")
      base_t+=("$(time_us "${B[@]}" run --rm "${trace[@]}" busybox true)")
    else
      base_t+=("$(time_us "${B[@]}" run --rm "${trace[@]}" busybox true)")
      ours_t+=("$(time_us "${R[@]}" run --rm "${trace[@]}" busybox true)")
    fi
  fi
done
if command -v podman >/dev/null; then
  podman load -i "$work/busybox.tar" >/dev/null 2>&1 || podman import "$work/busybox.tar" busybox >/dev/null
  for i in $(seq "$runs"); do pod+=("$(time_us podman run --rm busybox true)"); done
fi
b=$(printf '%s\n' "${bare[@]}" | median); o=$(printf '%s\n' "${ours[@]}" | median)
echo "runs: $runs, median wall time (ms) of starting and removing a container that runs 'true'"
printf '%-40s %8.1f ms  %6s\n' "runc run (prepared bundle)" "$(echo "$b/1000" | bc -l)" "1.00x"
printf '%-40s %8.1f ms  %6.2fx\n' "rpod run --rm busybox true" "$(echo "$o/1000" | bc -l)" "$(echo "$o/$b" | bc -l)"
if [ -n "$baseline" ]; then
  for pair in "base:baseline run --rm busybox true" "ours_t:rpod run --rm (recording)" "base_t:baseline run --rm (recording)"; do
    var=${pair%%:*}; label=${pair#*:}
    declare -n arr=$var
    m=$(printf '%s\n' "${arr[@]}" | median)
    printf '%-40s %8.1f ms  %6.2fx\n' "$label" "$(echo "$m/1000" | bc -l)" "$(echo "$m/$b" | bc -l)"
  done
  nb=$(printf '%s\n' "${base[@]}" | median); ot=$(printf '%s\n' "${ours_t[@]}" | median); bt=$(printf '%s\n' "${base_t[@]}" | median)
  printf 'rpod against the baseline, same run: plain %.2fx, recording %.2fx\n' "$(echo "$o/$nb" | bc -l)" "$(echo "$ot/$bt" | bc -l)"
fi
if [ ${#pod[@]} -gt 0 ]; then
  p=$(printf '%s\n' "${pod[@]}" | median)
  printf '%-40s %8.1f ms  %6.2fx\n' "podman run --rm busybox true" "$(echo "$p/1000" | bc -l)" "$(echo "$p/$b" | bc -l)"
else
  echo "podman: not installed (apt-get install podman to compare)"
fi
"${R[@]}" rm "$id" >/dev/null
