#!/usr/bin/env bash
# What recording costs, measured in one run against the same work unrecorded, with strace -f
# for scale. Prints medians and ratios; BENCHMARKS.md has a copy of the output.
#  1. start-up: `rpod run --rm busybox true` with and without io.containers.trace-syscall
#  2. per-syscall cost for the traced process: a loop of raw getppid, on the host
#     (plain / `rpod seccomp record` / `strace -f`) and in a container (default profile /
#     recorded under the allow-all filter); and an unrelated process while a recording runs
#  3. a realistic workload: tar | gzip of /usr/share/doc in a container, recorded or not
# Needs root, runc, busybox-static, strace. Usage: bench/record.sh [RUNS]
set -euo pipefail
runs=${1:-20}
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
cargo build --release --quiet -p rpod -p rpod-tests --bin rpod --bin syscall-loop
rpod=$here/target/release/rpod
loop=$here/target/release/syscall-loop
work=$(mktemp -d)
trap 'umount -l "$work"/s/root/containers/*/merged 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/rootfs"/{bin,etc,tmp,proc,sys,dev,root,data}
cp /bin/busybox "$work/rootfs/bin/" && chroot "$work/rootfs" /bin/busybox --install -s /bin
echo 'root:x:0:0:root:/root:/bin/sh' > "$work/rootfs/etc/passwd"; echo 'root:x:0:' > "$work/rootfs/etc/group"
# syscall-loop and its libraries, for the in-container loop.
cp "$loop" "$work/rootfs/loop"
for lib in $(ldd "$loop" | grep -o '/[^ ]*'); do mkdir -p "$work/rootfs$(dirname "$lib")"; cp "$lib" "$work/rootfs$lib"; done
cp -r /usr/share/doc "$work/rootfs/data/doc"
tar -C "$work/rootfs" -cf "$work/busybox.tar" .
R=("$rpod" --root "$work/s/root" --runroot "$work/s/run")
"${R[@]}" import "$work/busybox.tar" busybox >/dev/null
rec() { echo "io.containers.trace-syscall=of:$work/out-$1.json"; }

# shellcheck source=bench/lib.sh
. "$here/bench/lib.sh"
ratio() { echo "$1 / $2" | bc -l; }
row() { printf '  %-54s %10.1f %-3s %6.2fx\n' "$1" "$2" "$3" "$4"; }

echo "rpod record benchmark: $runs runs each, medians; $(nproc) cores, $(uname -r)"
echo
echo "1. start-up of a container that runs 'true' (ms)"
plain=(); traced=()
for i in $(seq "$runs"); do
  plain+=("$(time_us "${R[@]}" run --rm busybox true)")
  traced+=("$(time_us "${R[@]}" run --rm --annotation "$(rec start)" busybox true)")
done
p=$(printf '%s\n' "${plain[@]}" | median); t=$(printf '%s\n' "${traced[@]}" | median)
row "rpod run --rm busybox true" "$(ratio "$p" 1000)" ms 1
row "... --annotation io.containers.trace-syscall=of:F" "$(ratio "$t" 1000)" ms "$(ratio "$t" "$p")"

echo
echo "2. syscall-bound loop: ns per getppid for the traced process"
n=2000000
hp=(); hr=(); cp=(); cr=()
for i in $(seq "$runs"); do
  hp+=("$("$loop" $n)")
  hr+=("$("$rpod" seccomp record -o "$work/loop.json" -- "$loop" $n 2>/dev/null)")
  cp+=("$("${R[@]}" run --rm busybox /loop $n)")
  cr+=("$("${R[@]}" run --rm --annotation "$(rec loop)" busybox /loop $n 2>/dev/null)")
done
st=$(strace -f -qq -o /dev/null "$loop" 20000)
a=$(printf '%s\n' "${hp[@]}" | median); b=$(printf '%s\n' "${hr[@]}" | median)
c=$(printf '%s\n' "${cp[@]}" | median); d=$(printf '%s\n' "${cr[@]}" | median)
row "host: plain" "$a" ns 1
row "host: rpod seccomp record" "$b" ns "$(ratio "$b" "$a")"
row "host: strace -f (one run, 20k calls)" "$st" ns "$(ratio "$st" "$a")"
row "container: default profile (podman's)" "$c" ns 1
row "container: recorded (allow-all filter + recorder)" "$d" ns "$(ratio "$d" "$c")"
# While a recording runs, every process on the machine passes the hook (and is not recorded).
bystander=()
for i in $(seq 5); do
  "$rpod" seccomp record -o "$work/idle.json" -- sleep 2 2>/dev/null & rec_pid=$!
  sleep 0.5
  bystander+=("$("$loop" $n)")
  wait "$rec_pid"
done
g=$(printf '%s\n' "${bystander[@]}" | median)
row "host: another process, while a recording runs (5 runs)" "$g" ns "$(ratio "$g" "$a")"

echo
echo "3. realistic workload: tar -c /data/doc | gzip -1 in a container (ms)"
wp=(); wr=()
work_cmd=(sh -c 'tar -cf - /data/doc | gzip -1 > /dev/null')
for i in $(seq "$runs"); do
  wp+=("$(time_us "${R[@]}" run --rm busybox "${work_cmd[@]}")")
  wr+=("$(time_us "${R[@]}" run --rm --annotation "$(rec work)" busybox "${work_cmd[@]}")")
done
e=$(printf '%s\n' "${wp[@]}" | median); f=$(printf '%s\n' "${wr[@]}" | median)
row "rpod run (default profile)" "$(ratio "$e" 1000)" ms 1
row "rpod run, recorded" "$(ratio "$f" 1000)" ms "$(ratio "$f" "$e")"
calls=$(python3 -c "import json;c=json.load(open('$work/out-work.counts.json'));print(sum(v['calls'] for v in c['syscalls'].values()))")
echo "  (the recorded workload made $calls syscalls; $(du -sh /usr/share/doc | cut -f1) of input)"
