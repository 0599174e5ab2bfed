#!/usr/bin/env bash
# A short tour of rpod's seccomp toolbox on podman's default profile and a hand-written one.
set -euo pipefail
rpod=${1:-target/release/rpod}
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
podman_default=$here/profiles/data/default.json
moby_default=$here/profiles/tests/fixtures/moby-default.json

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { step "$*"; "$@"; }

cat > "$work/web.json" <<'JSON'
{
  "defaultAction": "SCMP_ACT_ERRNO",
  "defaultErrnoRet": 38,
  "architectures": ["SCMP_ARCH_X86_64"],
  "syscalls": [
    {"names": ["read", "write", "close", "exit_group", "openat", "fstat", "mmap", "brk", "accept4", "epoll_wait"],
     "action": "SCMP_ACT_ALLOW"},
    {"names": ["socket"], "action": "SCMP_ACT_ALLOW",
     "args": [{"index": 0, "value": 2, "op": "SCMP_CMP_EQ"}], "comment": "AF_INET only"},
    {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
    {"names": ["ptrace"], "action": "SCMP_ACT_KILL_PROCESS"}
  ]
}
JSON

cat > "$work/web.kafel" <<'KAFEL'
// A Kafel-like policy: first match wins per syscall; 32-bit arguments compare their low word.
#define AF_UNIX 1
#define AF_INET 2
ERRNO(1) { mkdir, ptrace }
ALLOW {
  read, close, exit_group, openat, fstat, mmap, brk, accept4, epoll_wait,
  write { fd == 1 || fd == 2 },
  socket(domain, type, protocol) { domain == AF_UNIX || domain == AF_INET }
}
DEFAULT ERRNO(38)
KAFEL

echo "rpod seccomp demo: working in $work"
run "$rpod" seccomp compile "$work/web.kafel" -o "$work/web-kafel.json"
echo "wrote $(grep -c '"names"' "$work/web-kafel.json") OCI rules with the policy's exact meaning"
run "$rpod" seccomp simulate "$work/web-kafel.json" write 1
run "$rpod" seccomp simulate "$work/web-kafel.json" write 5
run "$rpod" seccomp compile "$work/web.kafel" --format bpf -o "$work/web-kafel.bpf"
run "$rpod" seccomp simulate "$work/web-kafel.bpf" socket 10
step "$rpod seccomp decompile $work/web-kafel.json | head -20"
"$rpod" seccomp decompile "$work/web-kafel.json" | head -20
run "$rpod" seccomp validate "$podman_default"
run "$rpod" seccomp lint "$work/web.json" --fail-on never
run "$rpod" seccomp compile "$work/web.json" --format bpf -o "$work/web.bpf"
echo "wrote $(stat -c %s "$work/web.bpf") bytes of BPF"
run "$rpod" seccomp simulate "$work/web.bpf" socket 2 1 0
run "$rpod" seccomp simulate "$work/web.bpf" socket 16 3 9
run "$rpod" seccomp simulate "$work/web.json" ptrace --format json
step "$rpod seccomp disasm $work/web.bpf | head -20"
"$rpod" seccomp disasm "$work/web.bpf" | head -20
step "$rpod seccomp explain $podman_default --cap-add SYS_ADMIN | head -40"
"$rpod" seccomp explain "$podman_default" --cap-add SYS_ADMIN | head -40
step "$rpod seccomp diff $podman_default $moby_default | tail -15"
set +e
"$rpod" seccomp diff "$podman_default" "$moby_default" | tail -15
echo "(exit ${PIPESTATUS[0]}: 1 means the profiles differ)"
set -e
run "$rpod" seccomp merge "$work/web.json" "$podman_default" --arch x86_64 -o "$work/merged.json"
echo "merged profile: $(grep -c '"names"' "$work/merged.json") rules"

if [ "$(id -u)" = 0 ] && command -v runc >/dev/null && [ -x /bin/busybox ]; then
  step "a busybox image from Debian's busybox-static, run under the policy above"
  mkdir -p "$work/rootfs"/{bin,etc,tmp,proc,sys,dev,root}
  cp /bin/busybox "$work/rootfs/bin/" && chroot "$work/rootfs" /bin/busybox --install -s /bin
  echo 'root:x:0:0:root:/root:/bin/sh' > "$work/rootfs/etc/passwd"; echo 'root:x:0:' > "$work/rootfs/etc/group"
  tar -C "$work/rootfs" -cf "$work/busybox.tar" .
  R=("$rpod" --root "$work/store/root" --runroot "$work/store/run")
  run "${R[@]}" import "$work/busybox.tar" busybox
  run "${R[@]}" images
  cat > "$work/nomkdir.kafel" <<'KAFEL'
DEFAULT ALLOW
ERRNO(1) { mkdir, mkdirat }
KAFEL
  run "${R[@]}" run --rm busybox grep Seccomp: /proc/self/status
  run "${R[@]}" run --rm --security-opt "seccomp=$work/nomkdir.kafel" busybox sh -c 'mkdir /tmp/x || echo "mkdir denied as the policy says"; touch /tmp/y && echo "touch still works"'
  id=$("${R[@]}" run -d --name demo busybox sh -c 'echo hello from a detached container; exec sleep 30')
  sleep 0.3
  run "${R[@]}" ps
  run "${R[@]}" logs demo
  run "${R[@]}" rm -f demo

  step "record what 'ls /' does (eBPF), then enforce the recorded profile"
  run "${R[@]}" run --rm --annotation "io.containers.trace-syscall=of:$work/ls.json" busybox ls /
  echo "recorded profile: $(grep -c '^        "' "$work/ls.json") syscalls allowed, default EPERM"
  step "$rpod seccomp explain $work/ls.json | head -25"
  "$rpod" seccomp explain "$work/ls.json" | head -25 || true
  run "${R[@]}" run --rm --security-opt "seccomp=$work/ls.json" busybox ls /
  step "${R[*]} run --rm --security-opt seccomp=$work/ls.json busybox mkdir /tmp/x"
  "${R[@]}" run --rm --security-opt "seccomp=$work/ls.json" busybox mkdir /tmp/x ||
    echo "(exit $?: mkdir was never recorded, so the profile denies it)"
  step "record a host command, with the socket family recorded too"
  step "$rpod seccomp record -o $work/nc.json --args socket -- /bin/busybox sh -c 'echo | nc -w1 127.0.0.1 9 || true'"
  "$rpod" seccomp record -o "$work/nc.json" --args socket -- /bin/busybox sh -c 'echo | nc -w1 127.0.0.1 9 || true'
  step "$rpod seccomp explain $work/nc.json | grep -A1 network   (socket only for the family used)"
  "$rpod" seccomp explain "$work/nc.json" | grep -A1 network || true
else
  echo "(skipping the container part: it needs root, runc and busybox-static)"
fi
echo
echo "demo done"
