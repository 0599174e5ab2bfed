#!/usr/bin/env bash
# Installs what rpod needs to build and test on Debian 12, idempotently, saying what it does.
set -euo pipefail

packages=(
  libseccomp-dev   # libseccomp, which compiles profiles to BPF the way runc does
  pkg-config       # lets the libseccomp crate find it
  busybox-static   # /bin/busybox for the busybox image the tests build (engine/tests/images.rs)
  runc             # the default OCI runtime
  crun             # the other OCI runtime rpod drives
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
