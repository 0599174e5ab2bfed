#!/usr/bin/env bash
# Benchmarks whose figures go into BENCHMARKS.md; each prints ratios against its peer.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "bench: cargo bench -p profiles (compile time, instructions per syscall)"
cargo bench -p profiles --bench compile --quiet
echo "bench: cargo bench -p kafel-dsl (Kafel-like policy: compile time, instructions per syscall)"
cargo bench -p kafel-dsl --bench compile --quiet
if [ "$(id -u)" = 0 ] && command -v runc >/dev/null && [ -x /bin/busybox ]; then
  echo "bench: bench/run.sh (rpod run against runc run)"
  bench/run.sh
  echo "bench: bench/record.sh (what recording syscalls costs, strace -f for scale)"
  bench/record.sh
else
  echo "bench: skipping bench/run.sh and bench/record.sh (they need root, runc and busybox-static)"
fi
