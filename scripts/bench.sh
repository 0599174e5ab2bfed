#!/usr/bin/env bash
# `make bench`: every benchmark whose figures BENCHMARKS.md quotes, with their default run
# counts, printed as the Markdown tables BENCHMARKS.md shows (each with ratios against the peer
# measured in the same run), with the machine and its load before and after each one.
# About 10 minutes on the 2-core development machine, once built (half of it bench/import.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
start=$(date +%s)
echo "make bench, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
machine
step() {
  echo
  echo "## $1"
  echo
  echo "\$ $2"
  echo
}
after() { echo; echo "(load average after it: $(cut -d' ' -f1-3 /proc/loadavg))"; }

step "Compiling podman's default profile; instructions per syscall" \
  "cargo bench -p profiles --bench compile"
cargo bench -p profiles --bench compile --quiet
after
step "Kafel-like policy: compile time, instructions per syscall, agreement" \
  "cargo bench -p kafel-dsl --bench compile"
cargo bench -p kafel-dsl --bench compile --quiet
after
missing=()
if [ "$(id -u)" = 0 ] && command -v runc >/dev/null && [ -x /bin/busybox ]; then
  step "Container start" "bench/run.sh"
  bench/run.sh
  after
else
  missing+=("bench/run.sh (needs root, runc and busybox-static)")
fi
if [ "$(id -u)" = 0 ] && command -v runc >/dev/null && [ -x /bin/busybox ] && command -v strace >/dev/null; then
  step "Recording syscalls" "bench/record.sh"
  bench/record.sh
  after
else
  missing+=("bench/record.sh (needs root, runc, busybox-static and strace)")
fi
if [ "$(id -u)" = 0 ] && command -v runc >/dev/null && command -v crun >/dev/null && [ -x /bin/busybox ] && [ -f /usr/share/containers/seccomp.json ]; then
  step "Denial reporting and complain mode" "bench/denials.sh"
  bench/denials.sh
  after
else
  missing+=("bench/denials.sh (needs root, runc, crun, busybox-static and containers-common's seccomp.json)")
fi
if [ "$(id -u)" = 0 ] && command -v podman >/dev/null && command -v skopeo >/dev/null && command -v umoci >/dev/null; then
  step "Importing and loading 100,000 small files" "bench/import.sh"
  bench/import.sh
  after
else
  missing+=("bench/import.sh (needs root, podman, skopeo and umoci)")
fi
echo
echo "bench: done in $(( ($(date +%s) - start) / 60 )) min $(( ($(date +%s) - start) % 60 )) s"
if [ ${#missing[@]} -gt 0 ]; then
  echo "bench: not every figure of BENCHMARKS.md was regenerated; not run:" >&2
  printf '  %s\n' "${missing[@]}" >&2
  exit 1
fi
