#!/usr/bin/env bash
# Benchmarks whose figures go into BENCHMARKS.md; each prints ratios against its peer.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "bench: cargo bench -p profiles (compile time, instructions per syscall)"
cargo bench -p profiles --bench compile --quiet
echo "bench: cargo bench -p kafel-dsl (Kafel-like policy: compile time, instructions per syscall)"
cargo bench -p kafel-dsl --bench compile --quiet
