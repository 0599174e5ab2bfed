#!/usr/bin/env bash
# Installs what rpod needs to build and test on Debian 12, idempotently, saying what it does.
set -euo pipefail

packages=(
  libseccomp-dev   # libseccomp, which compiles profiles to BPF the way runc does
  pkg-config       # lets the libseccomp crate find it
  busybox-static   # /bin/busybox for the busybox image the tests build (engine/tests/images.rs)
  runc             # the default OCI runtime
  crun             # the other OCI runtime rpod drives
  strace           # the reference the syscall recorder is tested against (engine/tests/trace.rs)
  skopeo           # writes the image archives rpod must load as the real tools write them
  podman           # the reference for what the default profile denies (engine/tests/engine.rs)
  umoci            # a peer of rpod import/load in make bench (bench/import.sh)
  catatonit        # the init `run --init` binds at /run/podman-init, for rpod and for podman in tests/compat
  mmdebstrap       # builds the real-workload images (scripts/test-images.sh, engine/tests/workloads.rs)
  postgresql-client # psql, the host-side client of the postgres workload (engine/tests/workloads.rs)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]} (apt-get)"
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "setup: system packages present (${packages[*]})"
fi

if ! command -v cargo >/dev/null; then
  echo "setup: cargo not found; install Rust (rustup) first" >&2
  exit 1
fi
echo "setup: $(cargo --version)"

# The eBPF syscall recorder (ebpf/) is built by tracer/build.rs with the nightly toolchain,
# its rust-src (for -Z build-std=core) and bpf-linker 0.10.0, the last release that links with
# the nightly toolchain's own LLVM (no system LLVM needed). See docs/host.md.
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  echo "setup: installing the nightly toolchain (rustup) for the eBPF program"
  rustup toolchain install nightly --profile minimal
fi
if ! rustup component list --toolchain nightly --installed 2>/dev/null | grep -q '^rust-src'; then
  echo "setup: adding rust-src to the nightly toolchain (rustup)"
  rustup component add rust-src --toolchain nightly
fi
if ! bpf-linker --version 2>/dev/null | grep -q ' 0\.10\.'; then
  echo "setup: installing bpf-linker 0.10.0 (cargo install, about 1.5 min)"
  cargo +nightly install bpf-linker@0.10.0 --locked --force --quiet
fi
echo "setup: eBPF toolchain: $(rustup run nightly rustc --version), $(bpf-linker --version)"

# The fuzz targets (fuzz/, scripts/fuzz.sh) build with cargo-fuzz and the same nightly toolchain.
if ! cargo fuzz --version 2>/dev/null | grep -q ' 0\.13\.'; then
  echo "setup: installing cargo-fuzz 0.13.2 (cargo install, about 1 min)"
  cargo install cargo-fuzz@0.13.2 --locked --quiet
fi
echo "setup: fuzzing: $(cargo fuzz --version)"

# A fresh build of the workspace, its tests and the fuzz targets takes about 5 GB; a full disk
# shows up as link errors far from the cause, so say it first.
target_dir=${CARGO_TARGET_DIR:-target}
mkdir -p "$target_dir"
free_kb=$(df -Pk "$target_dir" | awk 'NR == 2 { print $4 }')
if [ "$free_kb" -lt $((6 * 1024 * 1024)) ]; then
  echo "setup: warning: only $((free_kb / 1024)) MB free under $target_dir; a fresh build and test run needs about 6 GB (free space, or set CARGO_TARGET_DIR elsewhere)" >&2
else
  echo "setup: $((free_kb / 1024 / 1024)) GB free under $target_dir"
fi
