#!/usr/bin/env bash
# Importing and loading an image of many small files (issue 12): `rpod import` of a root
# filesystem tar against `podman import` of it, `rpod load` of an oci-archive of the same image
# against `podman load`, `umoci unpack` of the same image as an OCI layout, and `tar -x` of the
# tar (the floor: the files written, nothing else). Each step starts from an empty store (or
# directory), not timed; all are timed interleaved, in the same loop. Prints medians and ratios
# against tar as the Markdown table BENCHMARKS.md shows.
# Needs root, podman, skopeo and umoci (Debian packages). Usage: bench/import.sh [RUNS] [FILES]
set -euo pipefail
runs=${1:-3}
files=${2:-100000}
here=$(cd "$(dirname "$0")/.." && pwd)
rpod=${RPOD:-$here/target/release/rpod}
[ -x "$rpod" ] || (cd "$here" && cargo build --release --quiet -p rpod --bin rpod)
for tool in podman skopeo umoci; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is not installed (apt-get install $tool)" >&2; exit 1; }
done
# shellcheck source=bench/lib.sh
. "$here/bench/lib.sh"
scratch

# The image: FILES files of 128 bytes in directories of 1000, as a plain tar.
python3 - "$work/rootfs" "$files" <<'EOF'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(root, "d%03d" % (i // 1000))
    if i % 1000 == 0:
        os.makedirs(d)
    with open(os.path.join(d, "f%04d" % (i % 1000)), "wb") as f:
        f.write(os.urandom(64).hex().encode())
EOF
tar -C "$work/rootfs" -cf "$work/rootfs.tar" .
rm -rf "$work/rootfs"
# The same image as an oci-archive (podman's, as `podman save` writes it) and an OCI layout.
P0=(podman --root "$work/p0/root" --runroot "$work/p0/run" --storage-driver overlay)
"${P0[@]}" import -q "$work/rootfs.tar" localhost/bench:latest >/dev/null
"${P0[@]}" save -q --format oci-archive -o "$work/image.tar" localhost/bench:latest
rm -rf "$work/p0"
skopeo copy -q "oci-archive:$work/image.tar" "oci:$work/layout:bench"

fresh() { rm -rf "$work/s" "$work/p" "$work/bundle" "$work/x"; sync; }
R=("$rpod" --root "$work/s/root" --runroot "$work/s/run")
P=(podman --root "$work/p/root" --runroot "$work/p/run" --storage-driver overlay)
step_tar() { fresh; mkdir "$work/x"; time_us tar -C "$work/x" -xf "$work/rootfs.tar"; }
step_rpod_import() { fresh; time_us "${R[@]}" import "$work/rootfs.tar" bench; }
step_podman_import() { fresh; time_us "${P[@]}" import -q "$work/rootfs.tar" bench; }
step_rpod_load() { fresh; time_us "${R[@]}" load -i "$work/image.tar"; }
step_podman_load() { fresh; time_us "${P[@]}" load -q -i "$work/image.tar"; }
step_umoci() { fresh; time_us umoci unpack --image "$work/layout:bench" "$work/bundle"; }

steps=(tar rpod_import podman_import rpod_load podman_load umoci)
interleave "$runs" "${steps[@]}"
fresh

echo "$(machine)"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ), rpod $(cd "$here" && git rev-parse --short HEAD), $runs runs, $files files of 128 bytes, $(du -m "$work/rootfs.tar" | cut -f1) MB tar"
echo
echo "| command | median | vs tar -x |"
echo "|---|---|---|"
t=$(med tar)
for s in "${steps[@]}"; do
  m=$(med "$s")
  row "$s" "$(echo "$m / 1000000" | bc -l)" s "$(ratio "$m" "$t")"
done
