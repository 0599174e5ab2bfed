#!/usr/bin/env bash
# What denial reporting (docs/denials.md) costs when nothing is denied, and what complain mode
# costs. Each comparison is between runs that differ only in the annotation: reporting on (the
# default) against `--annotation io.rpod.seccomp.denials=off` (no SECCOMP_FILTER_FLAG_LOG, no
# audit reader), same profile (podman's default), same runtime, timed interleaved in one loop.
#  1. start-up of a container that runs `true`, under runc and crun (crun gets the log flag)
#  2. a syscall-bound loop of raw getppid in a container, which the profile allows
#  3. complain mode: the same loop under a profile without getppid, in complain mode (every
#     call allowed and logged: an audit record each), against the same profile with getppid
#     allowed (enforced, nothing logged); and the start-up of a container in complain mode
#  4. what a denied call costs, reporting on and off: under crun an audit record, under runc a
#     user notification answered by the monitor (docs/denials.md)
#  5. runc: the profile rewrite at create (denials::notify), the first container with a profile
#     (nothing cached) against later ones (cached in the run root)
# Needs root, runc, crun (and its hugetlb mount, docs/host.md), busybox-static, podman's
# /usr/share/containers/seccomp.json (containers-common), audit in the
# kernel. Usage: bench/denials.sh [RUNS] (default 20). RPOD and LOOP name other builds of rpod
# and syscall-loop (default: target/release).
set -euo pipefail
runs=${1:-20}
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
if [ -z "${RPOD:-}" ]; then
  cargo build --release --quiet -p rpod -p rpod-tests --bin rpod --bin syscall-loop
fi
rpod=${RPOD:-$here/target/release/rpod}
loop=${LOOP:-$here/target/release/syscall-loop}
# shellcheck source=bench/lib.sh
. "$here/bench/lib.sh"
scratch
mkdir -p "$work/rootfs"/{bin,etc,tmp,proc,sys,dev,root}
cp /bin/busybox "$work/rootfs/bin/" && chroot "$work/rootfs" /bin/busybox --install -s /bin
echo 'root:x:0:0:root:/root:/bin/sh' > "$work/rootfs/etc/passwd"; echo 'root:x:0:' > "$work/rootfs/etc/group"
cp "$loop" "$work/rootfs/loop"
for lib in $(ldd "$loop" | grep -o '/[^ ]*'); do mkdir -p "$work/rootfs$(dirname "$lib")"; cp "$lib" "$work/rootfs$lib"; done
tar -C "$work/rootfs" -cf "$work/busybox.tar" .
R=("$rpod" --root "$work/s/root" --runroot "$work/s/run")
"${R[@]}" import "$work/busybox.tar" busybox >/dev/null
off=(--annotation io.rpod.seccomp.denials=off)
# podman's default profile, and the same without getppid (for complain mode).
python3 - "$work" <<'PY'
import json, sys
p = json.load(open('/usr/share/containers/seccomp.json'))
json.dump(p, open(sys.argv[1] + '/default.json', 'w'))
for r in p['syscalls']:
    r['names'] = [n for n in r['names'] if n != 'getppid']
json.dump(p, open(sys.argv[1] + '/no-getppid.json', 'w'))
# runc calls getppid itself after installing the filter (docs/trace-syscall.md): the denied
# call of section 4 is getpgrp, which no runtime makes.
p = json.load(open('/usr/share/containers/seccomp.json'))
for r in p['syscalls']:
    r['names'] = [n for n in r['names'] if n != 'getpgrp']
json.dump(p, open(sys.argv[1] + '/no-getpgrp.json', 'w'))
PY
def=(--security-opt "seccomp=$work/default.json")
nog=(--security-opt "seccomp=$work/no-getppid.json")
nopg=(--security-opt "seccomp=$work/no-getpgrp.json")
getpgrp=111 # x86_64

echo "bench/denials.sh $runs: medians of $runs runs, interleaved (each round runs every command once, starting from a different one)"
echo "$(machine)"
echo
echo "1. Start-up of a container that runs \`true\` (podman's default profile)"
echo
step_runc_on() { time_us "${R[@]}" run --rm "${def[@]}" busybox true; }
step_runc_off() { time_us "${R[@]}" run --rm "${def[@]}" "${off[@]}" busybox true; }
step_crun_on() { time_us "${R[@]}" run --rm --runtime crun "${def[@]}" busybox true; }
step_crun_off() { time_us "${R[@]}" run --rm --runtime crun "${def[@]}" "${off[@]}" busybox true; }
interleave "$runs" runc_on runc_off crun_on crun_off
echo "| \`rpod run --rm ... busybox true\` | median | vs reporting off |"
echo "|---|---:|---:|"
a=$(med runc_off); b=$(med runc_on); c=$(med crun_off); d=$(med crun_on)
row "runc, reporting off (\`io.rpod.seccomp.denials=off\`)" "$(ratio "$a" 1000)" ms 1
row "runc, reporting on (audit reader + NOTIFY rewrite, cached, and listener)" "$(ratio "$b" 1000)" ms "$(ratio "$b" "$a")"
row "crun, reporting off" "$(ratio "$c" 1000)" ms 1
row "crun, reporting on (audit reader + SECCOMP_FILTER_FLAG_LOG)" "$(ratio "$d" 1000)" ms "$(ratio "$d" "$c")"

echo
echo "2. Syscall-bound loop in a container: ns per raw getppid (allowed by the profile)"
echo
n=2000000
step_l_runc_on() { "${R[@]}" run --rm "${def[@]}" busybox /loop $n 2>/dev/null; }
step_l_runc_off() { "${R[@]}" run --rm "${def[@]}" "${off[@]}" busybox /loop $n 2>/dev/null; }
step_l_crun_on() { "${R[@]}" run --rm --runtime crun "${def[@]}" busybox /loop $n 2>/dev/null; }
step_l_crun_off() { "${R[@]}" run --rm --runtime crun "${def[@]}" "${off[@]}" busybox /loop $n 2>/dev/null; }
interleave "$runs" l_runc_on l_runc_off l_crun_on l_crun_off
echo "| where, what | ns per call | vs reporting off |"
echo "|---|---:|---:|"
a=$(med l_runc_off); b=$(med l_runc_on); c=$(med l_crun_off); d=$(med l_crun_on)
row "runc, reporting off" "$a" ns 1
row "runc, reporting on" "$b" ns "$(ratio "$b" "$a")"
row "crun, reporting off" "$c" ns 1
row "crun, reporting on (filter with SECCOMP_FILTER_FLAG_LOG)" "$d" ns "$(ratio "$d" "$c")"

echo
echo "3. Complain mode: ns per raw getppid, a profile without getppid in complain mode (every call allowed and logged) against the profile with it, enforced"
echo
m=20000
step_c_enforced() { "${R[@]}" run --rm --runtime crun "${def[@]}" busybox /loop $m 2>/dev/null; }
step_c_complain() { "${R[@]}" run --rm --runtime crun "${nog[@]}" --annotation io.rpod.seccomp.mode=complain busybox /loop $m 2>/dev/null; }
step_cs_enforced() { time_us "${R[@]}" run --rm --runtime crun "${def[@]}" busybox true; }
step_cs_complain() { time_us "${R[@]}" run --rm --runtime crun "${def[@]}" --annotation io.rpod.seccomp.mode=complain busybox true; }
interleave "$runs" c_enforced c_complain cs_enforced cs_complain
echo "| crun, what | median | vs enforced |"
echo "|---|---:|---:|"
a=$(med c_enforced); b=$(med c_complain); c=$(med cs_enforced); d=$(med cs_complain)
row "getppid loop ($m calls), enforced, allowed" "$a" ns 1
row "getppid loop ($m calls), complain mode, each call logged" "$b" ns "$(ratio "$b" "$a")"
row "start-up, \`true\`, enforced" "$(ratio "$c" 1000)" ms 1
row "start-up, \`true\`, complain mode (nothing logged)" "$(ratio "$d" 1000)" ms "$(ratio "$d" "$c")"

echo
echo "4. What a denied call costs: ns per raw getpgrp under podman's default profile without it (ERRNO)"
echo
step_d_off() { "${R[@]}" run --rm --runtime crun "${nopg[@]}" "${off[@]}" busybox /loop $m $getpgrp 2>/dev/null; }
step_d_on() { "${R[@]}" run --rm --runtime crun "${nopg[@]}" busybox /loop $m $getpgrp 2>/dev/null; }
step_dr_off() { "${R[@]}" run --rm "${nopg[@]}" "${off[@]}" busybox /loop $m $getpgrp 2>/dev/null; }
step_dr_on() { "${R[@]}" run --rm "${nopg[@]}" busybox /loop $m $getpgrp 2>/dev/null; }
interleave "$runs" d_off d_on dr_off dr_on
echo "| each call denied | ns per call | vs reporting off |"
echo "|---|---:|---:|"
a=$(med d_off); b=$(med d_on); c=$(med dr_off); d=$(med dr_on)
row "crun, reporting off: ERRNO, nothing logged" "$a" ns 1
row "crun, reporting on: ERRNO, an audit record each, read by the monitor" "$b" ns "$(ratio "$b" "$a")"
row "runc, reporting off: ERRNO in the kernel" "$c" ns 1
row "runc, reporting on: NOTIFY, answered by the monitor with the original's errno" "$d" ns "$(ratio "$d" "$c")"

echo
echo "5. runc: the profile rewrite at create (podman's default profile), \`rpod create\` then \`rm\`"
echo
cache="$work/s/run/seccomp-notify"
step_w_cold() { rm -rf "$cache"; time_us "${R[@]}" create --name w "${def[@]}" busybox true; "${R[@]}" rm w >/dev/null; }
step_w_warm() { time_us "${R[@]}" create --name w "${def[@]}" busybox true; "${R[@]}" rm w >/dev/null; }
step_w_off() { time_us "${R[@]}" create --name w "${def[@]}" "${off[@]}" busybox true; "${R[@]}" rm w >/dev/null; }
interleave "$runs" w_off w_warm w_cold
echo "| \`rpod create\`, runc | median | vs reporting off |"
echo "|---|---:|---:|"
a=$(med w_off); b=$(med w_warm); c=$(med w_cold)
row "reporting off" "$(ratio "$a" 1000)" ms 1
row "reporting on, rewrite cached (every container after the first with a profile)" "$(ratio "$b" 1000)" ms "$(ratio "$b" "$a")"
row "reporting on, nothing cached (the first container with a profile)" "$(ratio "$c" 1000)" ms "$(ratio "$c" "$a")"
echo
echo "kernel log lines of type 1326 now: $(dmesg | grep -c 'type=1326' || true) (printk-limited; the reader got every record)"
echo "(load average after it: $(cut -d' ' -f1-3 /proc/loadavg))"
