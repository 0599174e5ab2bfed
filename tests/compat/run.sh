#!/usr/bin/env bash
# Runs the compat suite: podman-style scripts that must pass unchanged against rpod and against
# podman 4.3.1 (the oracle). Usage:
#
#   tests/compat/run.sh [--engine podman|PATH] [--jobs N] [SCRIPT[:FILTER]...]
#
# SCRIPT is a file name in tests/compat (rm.sh or rm); FILTER selects tests by substring.
# Scripts run N at a time (default: the number of CPUs; each has its own store, so they are
# independent), and each script's output is printed whole when it ends, in the given order.
# A test rpod is known to fail is listed with its reason in tests/compat/known-differences: it
# is reported as `known`, not failed, and fails if it passes (the list must stay true).
# Prints ok/FAIL per test (a failure with its command log: each command, its output and exit
# code, and expected vs actual), a summary per script and in total; exits 1 on any failure.
#
# Each script gets a private store under /tmp/compat-<engine>-XXXX (ENGINE_ARGS), removed after.
#
# podman on this machine: podman 4.3.1 lowers its own RLIMIT_NPROC to 32768 and then asks the
# runtime for containers.conf's default ulimits; without CAP_SYS_RESOURCE a limit above the hard
# one fails every container ("setrlimit `RLIMIT_NPROC`: Operation not permitted"). The runner
# therefore writes /etc/containers/containers.conf.d/ulimits.conf (a machine setting read by
# podman only, never by rpod) with nofile at the hard limit and nproc at min(hard, 32768), when
# the file is missing. podman's cgroup manager (cgroupfs) and events backend (file) are already
# its defaults here (no systemd, no journald); it also gets a private --tmpdir (lib.sh).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
engine=podman
jobs=$(nproc)
scripts=()
while [ $# -gt 0 ]; do
    case "$1" in
        --engine) engine=$2; shift 2 ;;
        --engine=*) engine=${1#--engine=}; shift ;;
        --jobs | -j) jobs=$2; shift 2 ;;
        -h | --help) sed -n '2,20p' "$0"; exit 0 ;;
        *) scripts+=("$1"); shift ;;
    esac
done
if [ ${#scripts[@]} -eq 0 ]; then
    for f in "$here"/*.sh; do
        case "$(basename "$f")" in lib.sh | run.sh) ;; *) scripts+=("$(basename "$f")") ;; esac
    done
fi
if [ "$engine" != podman ]; then engine=$(realpath "$engine"); fi
command -v "$engine" >/dev/null || { echo "run.sh: no engine at $engine" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "run.sh: the suite needs root (rootful engines)" >&2; exit 2; }
[ -x /bin/busybox ] || { echo "run.sh: needs /bin/busybox (apt install busybox-static)" >&2; exit 2; }

if "$engine" --version 2>/dev/null | grep -q '^podman'; then
    conf=/etc/containers/containers.conf.d/ulimits.conf
    if [ ! -e "$conf" ]; then
        nproc=$(ulimit -Hu)
        [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ] && nproc=32768
        mkdir -p "$(dirname "$conf")"
        printf '[containers]\ndefault_ulimits = ["nofile=%s:%s", "nproc=%s:%s"]\n' \
            "$(ulimit -Hn)" "$(ulimit -Hn)" "$nproc" "$nproc" >"$conf"
        echo "run.sh: wrote $conf for podman"
    fi
fi

images=$(mktemp -d /tmp/compat-images-XXXX) || exit 1
trap 'rm -rf "$images"' EXIT
# shellcheck source=lib.sh
. "$here/lib.sh"
build_images "$images" || { echo "run.sh: cannot build the suite's images" >&2; exit 1; }

total_pass=0 total_fail=0 total_known=0 failed=()
start=$SECONDS
# One script: its own log and its duration in $images/<name>.log / .secs.
run_one() {
    local name=$1 filter=$2 t0=$SECONDS
    ENGINE=$engine ENGINE_ARGS= COMPAT_IMAGES=$images bash "$here/$name" ${filter:+"$filter"} \
        >"$images/$name.log" 2>&1
    echo $((SECONDS - t0)) >"$images/$name.secs"
}
names=()
for s in "${scripts[@]}"; do
    name=${s%%:*}
    filter=
    [[ "$s" == *:* ]] && filter=${s#*:}
    name=${name%.sh}.sh
    names+=("$name")
    [ -f "$here/$name" ] || continue
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
    run_one "$name" "$filter" &
done
wait
for name in "${names[@]}"; do
    [ -f "$here/$name" ] || { echo "run.sh: no script $name" >&2; total_fail=$((total_fail + 1)); failed+=("$name"); continue; }
    cat "$images/$name.log"
    summary=$(grep '^# summary' "$images/$name.log" | tail -1)
    p=$(sed -n 's/.*pass=\([0-9]*\).*/\1/p' <<<"$summary")
    f=$(sed -n 's/.*fail=\([0-9]*\).*/\1/p' <<<"$summary")
    k=$(sed -n 's/.*known=\([0-9]*\).*/\1/p' <<<"$summary")
    if [ -z "$summary" ]; then p=0; f=1; k=0; echo "# $name ended without a summary"; fi
    total_known=$((total_known + k))
    total_pass=$((total_pass + p))
    total_fail=$((total_fail + f))
    [ "$f" -gt 0 ] && failed+=("$name")
    echo "# $name: $p passed, $f failed, $k known differences ($(cat "$images/$name.secs")s)"
done
echo "compat suite against $engine: $total_pass passed, $total_fail failed, $total_known known differences (tests/compat/known-differences) in $((SECONDS - start))s${failed[*]:+ (failures in: ${failed[*]})}"
[ "$total_fail" -eq 0 ]
