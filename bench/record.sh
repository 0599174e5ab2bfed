#!/usr/bin/env bash
# What recording syscalls costs. Each comparison is between configurations that differ only in
# the recording: a container recorded with io.containers.trace-syscall runs under an allow-all
# filter (the recording needs one), so its peer is the same container run with
# `--security-opt seccomp=allow-all.json` (the same filter, config.json identical but for the
# annotation), not recorded. Rows marked "for scale" are other configurations, labelled as such.
# Everything in a section is timed interleaved, in one loop; prints medians and ratios against
# the section's peer as the Markdown tables BENCHMARKS.md shows.
#  1. start-up of a container that runs `true`
#  2. per-syscall cost, a loop of raw getppid: on the host (no filter: plain, under
#     `rpod seccomp record`, under `strace -f`, and an unrelated process while a recording
#     runs) and in a container (allow-all filter, recorded or not; podman's default profile
#     for scale)
#  3. a realistic workload: tar | gzip of /usr/share/doc in a container, recorded or not
# Needs root, runc, busybox-static, strace.
# Usage: bench/record.sh [RUNS] [WORKLOAD_RUNS] (defaults 20 and 7: section 3 takes seconds a run)
set -euo pipefail
runs=${1:-20}
wruns=${2:-7}
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
cargo build --release --quiet -p rpod -p rpod-tests --bin rpod --bin syscall-loop
rpod=$here/target/release/rpod
loop=$here/target/release/syscall-loop
# shellcheck source=bench/lib.sh
. "$here/bench/lib.sh"
scratch
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
# The filter rpod installs for a recording, given explicitly to the unrecorded peer.
echo '{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"]}' > "$work/allow-all.json"
allow=(--security-opt "seccomp=$work/allow-all.json")
rec() { echo "io.containers.trace-syscall=of:$work/out-$1.json"; }

echo "bench/record.sh $runs $wruns: medians of $runs runs (section 3: $wruns), interleaved (each round runs every command once, starting from a different one)"
echo
echo "1. Start-up of a container that runs \`true\`"
echo
step_s_allow() { time_us "${R[@]}" run --rm "${allow[@]}" busybox true; }
step_s_rec() { time_us "${R[@]}" run --rm --annotation "$(rec start)" busybox true; }
step_s_default() { time_us "${R[@]}" run --rm busybox true; }
interleave "$runs" s_allow s_rec s_default
a=$(med s_allow); b=$(med s_rec); c=$(med s_default)
echo "| \`rpod run --rm ... busybox true\` | median | vs not recorded |"
echo "|---|---:|---:|"
row "allow-all filter (\`--security-opt seccomp=allow-all.json\`), not recorded" "$(ratio "$a" 1000)" ms 1
row "recorded (\`--annotation io.containers.trace-syscall=of:F\`, same filter)" "$(ratio "$b" 1000)" ms "$(ratio "$b" "$a")"
row "for scale: podman's default profile, not recorded" "$(ratio "$c" 1000)" ms "$(ratio "$c" "$a")"

echo
echo "2. Syscall-bound loop: ns per raw getppid"
echo
n=2000000
ns=2000 # under strace each call costs a context switch or two: fewer calls
mkfifo "$work/ready" "$work/gate"
step_h_plain() { "$loop" $n; }
step_h_rec() { "$rpod" seccomp record -o "$work/loop.json" -- "$loop" $n 2>/dev/null; }
step_h_strace() { strace -f -qq -o /dev/null "$loop" $ns; }
# While a recording of another command runs, every process on the machine passes the hook (and
# is not recorded). The recorded command says it has started (the program is attached before
# it is started) and waits until the loop is done.
step_h_bystander() {
  exec 9<>"$work/gate"
  "$rpod" seccomp record -o "$work/idle.json" -- sh -c "echo > '$work/ready'; cat '$work/gate'" >/dev/null 2>&1 9>&- &
  local pid=$!
  read -r _ < "$work/ready"
  "$loop" $n
  exec 9>&-
  wait "$pid"
}
step_c_allow() { "${R[@]}" run --rm "${allow[@]}" busybox /loop $n; }
step_c_rec() { "${R[@]}" run --rm --annotation "$(rec loop)" busybox /loop $n 2>/dev/null; }
step_c_default() { "${R[@]}" run --rm busybox /loop $n; }
interleave "$runs" h_plain h_rec h_strace h_bystander c_allow c_rec c_default
hp=$(med h_plain); hr=$(med h_rec); hs=$(med h_strace); hb=$(med h_bystander)
ca=$(med c_allow); cr=$(med c_rec); cd=$(med c_default)
echo "| where, what | ns per call | vs not recorded |"
echo "|---|---:|---:|"
row "host (no filter): plain" "$hp" ns 1
row "host (no filter): under \`rpod seccomp record\`" "$hr" ns "$(ratio "$hr" "$hp")"
row "host (no filter): under \`strace -f\` ($ns calls a run)" "$hs" ns "$(ratio "$hs" "$hp")"
row "host (no filter): another process, while a recording runs" "$hb" ns "$(ratio "$hb" "$hp")"
row "container, allow-all filter: not recorded" "$ca" ns 1
row "container, allow-all filter: recorded" "$cr" ns "$(ratio "$cr" "$ca")"
row "for scale: container, podman's default profile, not recorded" "$cd" ns "$(ratio "$cd" "$ca")"

echo
echo "3. Realistic workload: \`tar -cf - /data/doc | gzip -1\` in a container"
echo
work_cmd=(sh -c 'tar -cf - /data/doc | gzip -1 > /dev/null')
step_w_allow() { time_us "${R[@]}" run --rm "${allow[@]}" busybox "${work_cmd[@]}"; }
step_w_rec() { time_us "${R[@]}" run --rm --annotation "$(rec work)" busybox "${work_cmd[@]}"; }
interleave "$wruns" w_allow w_rec
e=$(med w_allow); f=$(med w_rec)
calls=$(python3 -c "import json;c=json.load(open('$work/out-work.counts.json'));print(sum(v['calls'] for v in c['syscalls'].values()))")
echo "| \`rpod run --rm ... busybox sh -c 'tar ... \| gzip -1'\` | median | vs not recorded |"
echo "|---|---:|---:|"
row "allow-all filter, not recorded" "$(ratio "$e" 1000)" ms 1
row "recorded (same filter)" "$(ratio "$f" 1000)" ms "$(ratio "$f" "$e")"
echo
echo "The recorded workload made $calls syscalls on $(du -sh /usr/share/doc | cut -f1) of input."
