#!/usr/bin/env bash
# Builds the real-workload images of engine/tests/workloads.rs (nginx, redis, python3, postgres)
# from Debian packages with mmdebstrap, once per machine, and prints the path of each rootfs tar.
#
#   scripts/test-images.sh [--cache DIR] NAME...      NAME: nginx redis python3 postgres
#
# Each image is a tar of a Debian 12 root file system (mmdebstrap's `essential` variant plus the
# server's packages, without docs, man pages and locales), cached as DIR/NAME-HASH.tar where
# HASH is a hash of this script and the name: editing the script (a recipe) builds new images,
# a fresh clone on the same machine reuses the old ones. DIR defaults to $RPOD_TEST_IMAGES or
# /var/cache/rpod-test-images. Concurrent runs are serialised by a lock on DIR/.lock; a tar is
# renamed into place only when complete, so a reader never sees half an image. Idempotent: a
# cached image is printed without building. The tests import the tar with `rpod import`.
#
# Needs root (mmdebstrap's root mode) and the Debian archive (apt's sources); about 1-2 min and
# 10-90 MB per image (docs/workloads.md has the figures measured).
set -euo pipefail

usage() { echo "usage: $0 [--cache DIR] nginx|redis|python3|postgres..." >&2; exit 2; }

cache=${RPOD_TEST_IMAGES:-/var/cache/rpod-test-images}
names=()
while (($#)); do
  case $1 in
    --cache) (($# >= 2)) || usage; cache=$2; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    nginx|redis|python3|postgres) names+=("$1"); shift ;;
    *) echo "test-images: unknown image or option: $1" >&2; usage ;;
  esac
done
((${#names[@]})) || usage

suite=bookworm
mirror=http://deb.debian.org/debian
# A fixed time stamp: mmdebstrap then clamps file times, and leaves out machine-id and logs,
# so two builds of one recipe from the same archive state give the same files.
export SOURCE_DATE_EPOCH=1700000000
# No locale in a fresh root: perl (debconf) would warn about the host's.
export LC_ALL=C.UTF-8 LANGUAGE=

# The packages of each image.
packages() {
  case $1 in
    nginx) echo nginx-light ;;
    redis) echo redis-server ;;
    python3) echo python3-minimal ;;
    postgres) echo postgresql-15 ;;
  esac
}

# What is never needed to run a server in a test.
dpkgopts=(
  --dpkgopt='path-exclude=/usr/share/doc/*'
  --dpkgopt='path-exclude=/usr/share/man/*'
  --dpkgopt='path-exclude=/usr/share/info/*'
  --dpkgopt='path-exclude=/usr/share/locale/*'
  --dpkgopt='path-exclude=/usr/share/lintian/*'
  # locales-all (postgresql-15 depends on it; the cluster is initialised --no-locale)
  --dpkgopt='path-exclude=/usr/lib/locale/*'
  --dpkgopt='path-include=/usr/lib/locale/C.utf8/*'
  # LLVM, only for postgres' optional JIT (without llvmjit.so the server runs with jit off)
  --dpkgopt='path-exclude=/usr/lib/llvm-14/*'
  --dpkgopt='path-exclude=/usr/lib/x86_64-linux-gnu/libLLVM-14*'
  --dpkgopt='path-exclude=/usr/lib/x86_64-linux-gnu/libz3.so*'
  --dpkgopt='path-exclude=/usr/lib/postgresql/15/lib/llvmjit*'
  --dpkgopt='path-exclude=/usr/lib/postgresql/15/lib/bitcode/*'
)

# Per-image steps after the packages are installed, run by mmdebstrap with the root as $1.
customize() {
  case $1 in
    nginx)
      # Logs to the container's stdout/stderr; no daemon mode (the tests' config says so too).
      echo 'rm -f "$1"/var/log/nginx/*.log; ln -sf /dev/stdout "$1"/var/log/nginx/access.log; ln -sf /dev/stderr "$1"/var/log/nginx/error.log' ;;
    postgres)
      # A data directory owned by the non-root user `postgres` (the package made it),
      # initialised once here so a test records the server, not initdb. Trust on loopback
      # only: the image exists for tests. 1 MB WAL segments instead of 16: a smaller image.
      echo 'chroot "$1" su postgres -s /bin/sh -c "/usr/lib/postgresql/15/bin/initdb -D /var/lib/postgresql/data --auth=trust --username=postgres --no-locale --encoding=UTF8 --wal-segsize=1 >/dev/null"' ;;
    *) echo 'true' ;;
  esac
}

# Before the packages: postgresql-common's postinst would create a cluster "main" nobody uses.
essential() {
  case $1 in
    postgres) echo 'mkdir -p "$1"/etc/postgresql-common/createcluster.d && echo "create_main_cluster = false" > "$1"/etc/postgresql-common/createcluster.d/rpod-test.conf' ;;
    *) echo 'true' ;;
  esac
}

recipe_hash() {
  { cat "$0"; echo "$1"; } | sha256sum | cut -c1-16
}

# The work is in a function, read whole before it runs: editing the script while a build runs
# (a build takes minutes) must not make bash read the rest from the edited file.
main() {
if [ "$(id -u)" -ne 0 ]; then
  echo "test-images: needs root (mmdebstrap builds in root mode)" >&2
  exit 1
fi
if ! command -v mmdebstrap >/dev/null; then
  echo "test-images: mmdebstrap is not installed (scripts/setup.sh installs it)" >&2
  exit 1
fi
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9

for name in "${names[@]}"; do
  tar="$cache/$name-$(recipe_hash "$name").tar"
  if [ -f "$tar" ]; then
    echo "$tar"
    continue
  fi
  tmp="$tar.tmp.$$"
  trap 'rm -f "$tmp"' EXIT
  echo "test-images: building $name ($(packages "$name")) into $tar with mmdebstrap" >&2
  start=$(date +%s)
  # merged-usr: the /usr symlinks made by the hook, so apt does not install usrmerge and
  # with it perl (40 MB). mmdebstrap copies the host's /etc/hostname and /etc/resolv.conf in:
  # the last hook takes them out (the image must not depend on the machine that built it).
  if ! mmdebstrap --quiet --mode=root --variant=essential --format=tar \
      --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
      --include="$(packages "$name")" "${dpkgopts[@]}" \
      --essential-hook="$(essential "$name")" \
      --customize-hook="$(customize "$name")" \
      --customize-hook='rm -f "$1"/etc/hostname "$1"/etc/resolv.conf' \
      "$suite" "$tmp" "$mirror" >&2; then
    echo "test-images: mmdebstrap failed for $name" >&2
    exit 1
  fi
  mv "$tmp" "$tar"
  trap - EXIT
  # Older recipes' tars of this image are stale: a machine keeps one per image.
  for old in "$cache/$name"-*.tar; do
    [ "$old" = "$tar" ] || rm -f "$old"
  done
  echo "test-images: built $name in $(($(date +%s) - start)) s, $(($(stat -c %s "$tar") / 1024 / 1024)) MB" >&2
  echo "$tar"
done
}

main; exit
