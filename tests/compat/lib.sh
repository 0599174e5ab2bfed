# shellcheck shell=bash
# A small bats-like library for the compat suite, in plain bash (no bats dependency: the scripts
# must run on a machine with only bash, coreutils, tar and the engine under test).
#
# The model is podman's own system tests (test/system/helpers.bash in containers/podman):
#   run_engine [EXPECTED_RC] ARGS...   runs "$ENGINE $ENGINE_ARGS ARGS", sets $output (stdout and
#                                      stderr merged, trailing newlines trimmed) and $status, and
#                                      fails the test when the exit code is not EXPECTED_RC
#                                      (default 0; '?' accepts any code).
#   run_engine --separate-stderr ...   the same, $output is stdout only and $stderr is stderr.
#   is ACTUAL EXPECTED [DESCRIPTION]   ACTUAL must match the extended regex EXPECTED, anchored at
#                                      both ends (as podman's `is`); `is_lit` compares literally.
#   assert A OP B [DESCRIPTION]        OP is one of == != =~ !~ -eq -ne -gt -ge -lt -le.
#   wait_for DESCRIPTION COMMAND...    polls COMMAND (a shell function or command) until it
#                                      succeeds, with a deadline; no fixed sleeps.
#
# A script defines functions named test_*, then calls `run_tests "$@"`. Each test runs in a
# subshell with `set -e`; whatever it creates is removed after it (every container, every
# image but the suite's three, every volume), so tests are independent of order. Each script
# gets a private store (--root/--runroot under /tmp/compat-<engine>-XXXX) unless the caller set
# ENGINE_ARGS; nothing touches the host's real store.
#
# Environment: ENGINE (podman, or a path to rpod; default podman), ENGINE_ARGS (extra global
# flags), COMPAT_IMAGES (a directory with base.tar/ro.tar, built here when unset),
# COMPAT_TIMEOUT (seconds per engine command, default 60), COMPAT_VERBOSE=1 (print every
# command's log, not only failures').

ENGINE=${ENGINE:-podman}
COMPAT_TIMEOUT=${COMPAT_TIMEOUT:-60}
COMPAT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

IMAGE=localhost/compat:latest      # the busybox rootfs, no config
IMAGE_RO=localhost/compat:ro       # the same rootfs whose / is mode 0555
IMAGE_CONF=localhost/compat:conf   # with a label, an env var, a workdir and a CMD (import -c)

# podman or rpod: decided once, from `--version` ("podman version 4.3.1" / "rpod ...").
engine_kind() {
    if [ -z "${_ENGINE_KIND:-}" ]; then
        case "$("$ENGINE" --version 2>/dev/null)" in
            podman*) _ENGINE_KIND=podman ;;
            *) _ENGINE_KIND=rpod ;;
        esac
    fi
    echo "$_ENGINE_KIND"
}
is_podman() { [ "$(engine_kind)" = podman ]; }
is_rpod() { [ "$(engine_kind)" = rpod ]; }

# The engine's own name in texts it prints (the `container` env var, .containerenv's engine=).
engine_name() { engine_kind; }

_log() { printf '%s\n' "$*" >>"$_TEST_LOG"; }

die() {
    _log "#/vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"
    _log "#| FAIL: $*"
    _log "#\\^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^"
    exit 1
}

# The engine command with the suite's global flags; use it where a test pipes or redirects.
engine() {
    # shellcheck disable=SC2086 # ENGINE_ARGS is a list of words
    timeout -k 5 "$COMPAT_TIMEOUT" "$ENGINE" $ENGINE_ARGS "$@"
}

run_engine() {
    local separate= expected=0
    if [ "${1:-}" = --separate-stderr ]; then separate=1; shift; fi
    case "${1:-}" in
        '?' | [0-9] | [0-9][0-9] | [0-9][0-9][0-9]) expected=$1; shift ;;
    esac
    _log "# \$ $ENGINE_SHORT $*"
    local errf="$_TEST_TMP/stderr" in=/dev/null
    [ -n "${ENGINE_STDIN:-}" ] && in=$ENGINE_STDIN
    if [ -n "$separate" ]; then
        output=$(engine "$@" <"$in" 2>"$errf") && status=0 || status=$?
        stderr=$(cat "$errf")
    else
        output=$(engine "$@" <"$in" 2>&1) && status=0 || status=$?
        stderr=
    fi
    [ -n "$output" ] && _log "$output"
    [ -n "$stderr" ] && _log "$stderr"
    _log "# [rc=$status]"
    if [ "$status" -eq 124 ] && [ "$expected" != 124 ]; then
        die "timed out after ${COMPAT_TIMEOUT}s: $ENGINE_SHORT $*"
    fi
    if [ "$expected" != '?' ] && [ "$status" -ne "$expected" ]; then
        die "exit code is $status; expected $expected: $ENGINE_SHORT $*"
    fi
    return 0
}

_mismatch() {
    _log "#/vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"
    _log "#|     FAIL: $3"
    _log "#| expected: '$2'"
    _log "#|   actual: '$1'"
    _log "#\\^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^"
    exit 1
}

is() {
    local actual=$1 expect=$2 what=${3:-output}
    [[ "$actual" =~ ^($expect)$ ]] || _mismatch "$actual" "$expect" "$what (regex)"
}

is_lit() {
    local actual=$1 expect=$2 what=${3:-output}
    [ "$actual" = "$expect" ] || _mismatch "$actual" "$expect" "$what"
}

assert() {
    local a=$1 op=$2 b=$3 what=${4:-assertion} ok=
    case "$op" in
        ==) [ "$a" = "$b" ] && ok=1 ;;
        !=) [ "$a" != "$b" ] && ok=1 ;;
        =~) [[ "$a" =~ $b ]] && ok=1 ;;
        !~) [[ "$a" =~ $b ]] || ok=1 ;;
        -eq | -ne | -gt | -ge | -lt | -le) [ "$a" "$op" "$b" ] && ok=1 ;;
        *) die "assert: unknown operator $op" ;;
    esac
    [ -n "$ok" ] || _mismatch "$a" "$op $b" "$what"
}

# The number of lines of $1 (0 for an empty string).
lines() { if [ -z "$1" ]; then echo 0; else printf '%s\n' "$1" | wc -l; fi; }

# Line N (1-based) of $1.
line() { printf '%s\n' "$1" | sed -n "${2}p"; }

wait_for() {
    local what=$1 deadline=$((SECONDS + ${WAIT_TIMEOUT:-30}))
    shift
    until "$@" >/dev/null 2>&1; do
        [ "$SECONDS" -lt "$deadline" ] || die "timed out waiting for $what"
        sleep 0.2
    done
}

# A container's state as the engine reports it, without logging.
state_of() { engine inspect --format '{{.State.Status}}' "$1" 2>/dev/null; }
is_running() { [ "$(state_of "$1")" = running ]; }
is_exited() { [ "$(state_of "$1")" = exited ]; }
logs_contain() { engine logs "$1" 2>&1 | grep -q -- "$2"; }

# A name unique to this run, lowercase (podman's container names allow [a-zA-Z0-9_.-]).
random_name() { printf 'c%s%s' "$RANDOM" "$RANDOM"; }

# --- images ---------------------------------------------------------------------------------

# Builds base.tar (busybox-static with a symlink per applet, /etc/passwd, /etc/group) and ro.tar
# (the same, whose / is 0555) into $1, as engine/tests/support builds the busybox image.
#
# Every path below is under $root: a failed mktemp must stop here, not leave $root empty (an
# empty $root once wrote the image's /etc/passwd, /etc/group and /etc/compat-release over the
# host's and chmod-ed the host's / to 0555).
build_images() {
    local out=${1:-} root
    if [ -z "$out" ] || [ ! -d "$out" ]; then
        echo "build_images: the output directory '$out' does not exist" >&2
        return 1
    fi
    root=$(mktemp -d "$out/rootfs-XXXX") || return 1
    case $root in
    "$out"/rootfs-????) ;;
    *)
        echo "build_images: mktemp gave '$root', not a directory under $out" >&2
        return 1
        ;;
    esac
    mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,root,home,tmp,proc,sys,dev,var,srv}
    chmod 1777 "$root/tmp"
    cp /bin/busybox "$root/bin/busybox"
    chroot "$root" /bin/busybox --install -s
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
    printf 'root:x:0:\nwheel:x:10:\nnogroup:x:65534:\n' >"$root/etc/group"
    echo "compat image" >"$root/etc/compat-release"
    chmod 0755 "$root"
    tar --numeric-owner --owner=0 --group=0 -C "$root" -cf "$out/base.tar" .
    chmod 0555 "$root"
    tar --numeric-owner --owner=0 --group=0 -C "$root" -cf "$out/ro.tar" .
    chmod 0755 "$root"
    rm -rf "$root"
}

# Imports the suite's images (no -q: rpod's import has none; the output is shown on a failure).
import_images() {
    local out
    out=$(engine import "$COMPAT_IMAGES/base.tar" "$IMAGE" 2>&1) &&
        out=$(engine import "$COMPAT_IMAGES/ro.tar" "$IMAGE_RO" 2>&1) &&
        out=$(engine import -c 'LABEL compat.label=imagelabel' -c 'ENV COMPAT_ENV=fromimage' \
            -c 'WORKDIR /srv' -c 'CMD ["/bin/sh"]' "$COMPAT_IMAGES/base.tar" "$IMAGE_CONF" 2>&1) ||
        { echo "$out" >&2; return 1; }
}

# --- store setup and cleanup ----------------------------------------------------------------

_setup_store() {
    _own_store=
    if [ -z "${ENGINE_ARGS:-}" ]; then
        _own_store=$(mktemp -d "/tmp/compat-$(engine_kind)-XXXX")
        ENGINE_ARGS="--root $_own_store/root --runroot $_own_store/run"
        # podman keeps its events log, locks and exit files under --tmpdir (/run/libpod by
        # default, shared with every podman on the machine): a private one keeps `events` ours.
        if is_podman; then ENGINE_ARGS+=" --tmpdir $_own_store/tmp"; fi
    fi
    if [ -z "${COMPAT_IMAGES:-}" ]; then
        _own_images=$(mktemp -d /tmp/compat-images-XXXX) || exit 1
        build_images "$_own_images" || exit 1
        COMPAT_IMAGES=$_own_images
    fi
    export ENGINE ENGINE_ARGS COMPAT_IMAGES
    ENGINE_SHORT=$(basename "$ENGINE")
    [ -e /run/containers ] && _run_containers=kept || _run_containers=ours
    import_images || { echo "Bail out! cannot import the suite's images with $ENGINE" >&2; return 1; }
    _KEEP_IDS=$(_image_ids)
}

# Removes what a test left: containers (forced), volumes, images other than the suite's.
cleanup_store() {
    local ids
    ids=$(engine ps -a -q 2>/dev/null) || true
    # shellcheck disable=SC2086
    [ -n "$ids" ] && { engine rm -f -t 0 $ids >/dev/null 2>&1 || engine rm -f $ids >/dev/null 2>&1; }
    ids=$(engine volume ls -q 2>/dev/null) || true
    # shellcheck disable=SC2086
    [ -n "$ids" ] && engine volume rm -f $ids >/dev/null 2>&1
    # Images: the common case (the suite's three and nothing else) costs one command.
    local now img
    now=$(_image_ids)
    [ "$now" = "$_KEEP_IDS" ] && return 0
    # names first (a test's tag may name one of the suite's images), then unnamed images
    while read -r img; do
        case "$img" in "" | "<none>:<none>" | "$IMAGE" | "$IMAGE_RO" | "$IMAGE_CONF") continue ;; esac
        engine rmi "$img" >/dev/null 2>&1
    done < <(engine images --format '{{.Repository}}:{{.Tag}}' 2>/dev/null)
    while read -r img; do
        [ -z "$img" ] && continue
        grep -q "$img" <<<"$_KEEP_IDS" || engine rmi -f "$img" >/dev/null 2>&1
    done < <(engine images -q --no-trunc 2>/dev/null | sort -u)
    # a test that removed one of the suite's images: import it again for the next test
    for img in "$IMAGE" "$IMAGE_RO" "$IMAGE_CONF"; do
        engine image exists "$img" 2>/dev/null || { import_images; _KEEP_IDS=$(_image_ids); break; }
    done
    true
}

# What identifies the store's images: each name with its image's ID.
_image_ids() { engine images --no-trunc --format '{{.ID}} {{.Repository}}:{{.Tag}}' 2>/dev/null | sort -u; }

_teardown_store() {
    [ -n "${_own_store:-}" ] || return 0
    engine rm -a -f >/dev/null 2>&1
    engine rmi -a -f >/dev/null 2>&1
    local m
    # Whatever the engine left mounted under the private store, deepest first.
    for m in $(awk -v d="$_own_store" '$5 ~ "^"d {print $5}' /proc/self/mountinfo | sort -r); do
        umount -l "$m" 2>/dev/null
    done
    rm -rf "$_own_store"
    _own_store=
    [ -n "${_own_images:-}" ] && rm -rf "$_own_images" && _own_images=
    if [ "$_run_containers" = ours ]; then
        rmdir /run/containers/networks /run/containers 2>/dev/null || true
    fi
}

# --- the test loop --------------------------------------------------------------------------

# The reason rpod is known to fail test $2 of script $1 (tests/compat/known-differences), or
# nothing. Only rpod has known differences: podman, the oracle, passes every test.
_known_difference() {
    is_rpod || return 0
    awk -v s="$1" -v t="${2#test_}" '$1 == s && $2 == t { $1 = ""; $2 = ""; sub(/^ +/, ""); print; exit }' \
        "$(dirname "${BASH_SOURCE[0]}")/known-differences"
}

run_tests() {
    local script want tests=() t n=0 pass=0 fail=0 known=0 why
    script=$(basename "$0")
    # Tests in the order the script defines them; arguments select by substring.
    while read -r t; do
        if [ $# -eq 0 ]; then tests+=("$t"); continue; fi
        for want in "$@"; do [[ "$t" == *"$want"* ]] && tests+=("$t") && break; done
    done < <(grep -oE '^test_[A-Za-z0-9_]+' "$0")
    trap '_teardown_store; rm -rf "${_TEST_TMP:-}"' EXIT
    trap 'exit 130' INT TERM
    _setup_store || { echo "# summary $script pass=0 fail=${#tests[@]}"; return 1; }
    _TEST_TMP=$(mktemp -d /tmp/compat-test-XXXX)
    for t in "${tests[@]}"; do
        n=$((n + 1))
        _TEST_LOG=$_TEST_TMP/log
        : >"$_TEST_LOG"
        local started=$SECONDS rc=0
        # Not inside an `if`: bash ignores set -e in a condition, even in a subshell.
        (set -e; cd "$_TEST_TMP"; "$t") || rc=$?
        why=$(_known_difference "$script" "$t")
        if [ -n "$why" ] && [ "$rc" -ne 0 ]; then
            known=$((known + 1))
            echo "known $n ${script%.sh}: ${t#test_}: $why"
        elif [ -n "$why" ]; then
            # A fixed difference must leave the list, so the list stays true.
            fail=$((fail + 1))
            echo "FAIL $n ${script%.sh}: ${t#test_} passes but is listed in tests/compat/known-differences: remove it there"
        elif [ "$rc" -eq 0 ]; then
            pass=$((pass + 1))
            echo "ok $n ${script%.sh}: ${t#test_} ($((SECONDS - started))s)"
            [ -n "${COMPAT_VERBOSE:-}" ] && sed 's/^/    /' "$_TEST_LOG"
        else
            fail=$((fail + 1))
            echo "FAIL $n ${script%.sh}: ${t#test_}"
            sed 's/^/    /' "$_TEST_LOG"
        fi
        cleanup_store
        find "$_TEST_TMP" -mindepth 1 -maxdepth 1 ! -name log -exec rm -rf {} +
    done
    rm -rf "$_TEST_TMP"
    _teardown_store
    echo "# summary $script pass=$pass fail=$fail known=$known"
    [ "$fail" -eq 0 ]
}
