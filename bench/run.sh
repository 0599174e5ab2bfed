#!/usr/bin/env bash
# Start-up cost of `rpod run --rm busybox true` against `runc run` of a prepared bundle (the
# floor: what rpod drives) and, when installed, `podman run --rm` (runc, no network, as rpod).
# All are timed interleaved, in the same loop; prints medians and ratios against runc as the
# Markdown table BENCHMARKS.md shows.
# With BASELINE (another rpod binary, e.g. one built from the previous commit), that binary is
# timed in the same loop too, plain and recording, with a store of its own: a same-run
# comparison. Needs root, runc and busybox-static. Usage: bench/run.sh [RUNS] [BASELINE]
set -euo pipefail
runs=${1:-30}
baseline=${2:-}
here=$(cd "$(dirname "$0")/.." && pwd)
rpod=$here/target/release/rpod
[ -x "$rpod" ] || (cd "$here" && cargo build --release --quiet)
# shellcheck source=bench/lib.sh
. "$here/bench/lib.sh"
scratch
P=(podman --root "$work/p/root" --runroot "$work/p/run" --storage-driver overlay)
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
"${R[@]}" mount "$id" >/dev/null

steps=(runc rpod)
step_runc() { time_us runc run --bundle "$work/bundle" "bench-$1"; }
step_rpod() { time_us "${R[@]}" run --rm busybox true; }
if [ -n "$baseline" ]; then
  B=("$baseline" --root "$work/b/root" --runroot "$work/b/run")
  "${B[@]}" import "$work/busybox.tar" busybox >/dev/null
  trace=(--annotation "io.containers.trace-syscall=of:$work/trace.json")
  step_base() { time_us "${B[@]}" run --rm busybox true; }
  step_rpod_t() { time_us "${R[@]}" run --rm "${trace[@]}" busybox true; }
  step_base_t() { time_us "${B[@]}" run --rm "${trace[@]}" busybox true; }
  steps+=(base rpod_t base_t)
fi
if command -v podman >/dev/null; then
  # podman 4.3 asks for rlimits above this machine's hard limits (no CAP_SYS_RESOURCE), so it
  # gets a containers.conf of its own for this run (docs/host.md, "Resource limits"), which
  # also keeps its state under the scratch directory: the host is not touched. Same runtime
  # and network as rpod's defaults.
  hn=$(ulimit -Hn); hu=$(ulimit -Hu); [ "$hu" = unlimited ] || [ "$hu" -gt 32768 ] && hu=32768
  cat > "$work/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$hn:$hn", "nproc=$hu:$hu"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
tmp_dir = "$work/p/tmp"
[network]
network_config_dir = "$work/p/networks"
EOF
  export CONTAINERS_CONF=$work/containers.conf
  "${P[@]}" import "$work/busybox.tar" busybox >/dev/null 2>&1
  step_podman() { time_us "${P[@]}" run --rm --network none busybox true; }
  steps+=(podman)
fi

interleave "$runs" "${steps[@]}"

b=$(med runc); o=$(med rpod)
echo "bench/run.sh $runs${baseline:+ BASELINE}: medians of $runs runs, interleaved (each round runs every command once, starting from a different one)"
echo
echo "| command | median | vs runc |"
echo "|---|---:|---:|"
row '`runc run` (prepared bundle)' "$(ratio "$b" 1000)" ms 1
row '`rpod run --rm busybox true`' "$(ratio "$o" 1000)" ms "$(ratio "$o" "$b")"
if [ -n "$baseline" ]; then
  nb=$(med base); ot=$(med rpod_t); bt=$(med base_t)
  row 'baseline `run --rm busybox true`' "$(ratio "$nb" 1000)" ms "$(ratio "$nb" "$b")"
  row '`rpod run --rm` (recording)' "$(ratio "$ot" 1000)" ms "$(ratio "$ot" "$b")"
  row 'baseline `run --rm` (recording)' "$(ratio "$bt" 1000)" ms "$(ratio "$bt" "$b")"
fi
if command -v podman >/dev/null; then
  p=$(med podman)
  row '`podman run --rm --network none busybox true`' "$(ratio "$p" 1000)" ms "$(ratio "$p" "$b")"
  echo
  printf 'rpod against podman, same run: %.2fx (podman %s, runc for both)\n' "$(ratio "$o" "$p")" "$(podman --version | cut -d' ' -f3)"
else
  echo
  echo "podman: not installed, so not compared (apt-get install podman to compare)"
fi
if [ -n "$baseline" ]; then
  printf 'rpod against the baseline, same run: plain %.2fx, recording %.2fx\n' "$(ratio "$o" "$nb")" "$(ratio "$ot" "$bt")"
fi
"${R[@]}" rm "$id" >/dev/null
