#!/usr/bin/env bash
# Behaviour to match (issue 13): an exec's exit code is not the container's; mount of an exited
# container; / keeps the image's mode; a workdir that cannot be used is 126; /run/.containerenv,
# the `container` variable and socket activation (LISTEN_*); podman's error wording and exit
# codes.
. "$(dirname "$0")/lib.sh"

test_exec_exit_code_is_not_recorded_as_the_containers() {
    run_engine run -d --name ec $IMAGE sh -c 'while [ ! -e /tmp/go ]; do sleep 0.1; done; exit 0'
    run_engine 127 exec ec nosuchcmd
    run_engine 127 exec ec sh -c 'exit 127'
    run_engine exec ec touch /tmp/go
    run_engine wait ec
    is "$output" 0 "wait reports the container's code, not the exec's"
    run_engine inspect ec --format '{{.State.ExitCode}}'
    is "$output" 0
}

test_mount_of_an_exited_container_mounts_its_root() {
    run_engine run --name mx $IMAGE sh -c 'echo changed >/marker'
    run_engine mount mx
    local dir=$output
    is "$dir" "/.*" "an absolute path"
    [ -f "$dir/etc/compat-release" ] || die "$dir/etc/compat-release: the image's files are not there"
    is "$(cat "$dir/marker")" changed "the container's own layer is there"
    run_engine umount mx
    is "$output" mx
    run_engine 125 mount nosuch
    is "$output" 'Error: no container with name or ID "nosuch" found: no such container'
}

test_root_keeps_the_image_mode_0555() {
    run_engine run --rm $IMAGE_RO stat -c %a /
    is "$output" 555
}

test_workdir_that_cannot_be_used_exits_126() {
    run_engine 126 run --rm -w /etc/compat-release/sub $IMAGE true
    is "$output" 'Error: .*workdir "?/etc/compat-release/sub"?.*'
    run_engine 126 run --rm -w /etc/passwd $IMAGE true
    is "$output" 'Error: workdir "/etc/passwd" exists on container [0-9a-f]{64}, but is not a directory'
}

test_workdir_on_the_command_line_is_not_created() {
    # podman 4.3.1 creates an image's WORKDIR, not one given with -w (126 "does not exist")
    run_engine 126 run --rm -w /newdir $IMAGE true
    is "$output" 'Error: workdir "/newdir" does not exist on container [0-9a-f]{64}'
    run_engine run --rm -w /srv $IMAGE pwd
    is "$output" /srv
    run_engine run --rm $IMAGE_CONF pwd
    is "$output" /srv "the image's WORKDIR"
}

test_containerenv_and_container_variable() {
    run_engine run --rm $IMAGE sh -c 'echo "$container"; test -f /run/.containerenv && echo present; wc -c </run/.containerenv'
    # container=podman in rpod too, deliberately: systemd-detect-virt and scripts know that
    # value, and an rpod container behaves as podman's (engine/src/container/mod.rs);
    # /run/.containerenv's engine= names the engine
    is "$output" "podman"$'\n'"present"$'\n'"0" "container=podman; .containerenv exists, empty unless privileged"
    run_engine run --rm --privileged --name priv $IMAGE cat /run/.containerenv
    is "$(line "$output" 1)" "engine=\"$(engine_name)-[0-9][^\"]*\""
    is "$(line "$output" 2)" 'name="priv"'
    is "$(line "$output" 3)" 'id="[0-9a-f]{64}"'
    is "$(line "$output" 4)" "image=\"$IMAGE\""
    is "$(line "$output" 5)" 'imageid="[0-9a-f]{64}"'
    is "$(line "$output" 6)" 'rootless=0'
}

test_container_variable_in_inspect() {
    run_engine create --name ce $IMAGE true
    run_engine inspect ce --format '{{.Config.Env}}'
    # container=podman for rpod too (see test_containerenv_and_container_variable)
    is "$output" ".*container=podman.*"
}

test_socket_activation_passes_listen_fds() {
    echo sock-data >fd3
    # LISTEN_PID must be the engine's own PID (systemd's rule): exec the engine from the shell
    # that sets it, without the timeout wrapper
    output=$(timeout 60 sh -c 'LISTEN_PID=$$ LISTEN_FDS=1 LISTEN_FDNAMES=myname exec "$0" "$@"' \
        "$ENGINE" $ENGINE_ARGS run --rm $IMAGE sh -c 'echo "$LISTEN_PID $LISTEN_FDS $LISTEN_FDNAMES"; cat <&3' \
        3<fd3 2>&1) && status=0 || status=$?
    _log "# [rc=$status] $output"
    is "$status" 0
    is "$output" "1 1 myname"$'\n'"sock-data" "LISTEN_PID=1 in the container, the fd at 3"
    run_engine run --rm $IMAGE sh -c 'echo "${LISTEN_PID:-unset} ${LISTEN_FDS:-unset}"'
    is "$output" "unset unset" "nothing without socket activation"
}

test_error_wording_and_exit_codes() {
    local cmd
    for cmd in "rm" "stop" "start" "logs" "wait" "exec" "pause" "restart" "port" "kill"; do
        run_engine '?' $cmd nosuch $( [ "$cmd" = exec ] && echo true )
        is "$output" 'Error: no container with name or ID "nosuch" found: no such container' "$cmd nosuch"
    done
    run_engine 1 rm nosuch
    run_engine run -d --name busy $IMAGE sleep 1000
    run_engine 2 rm busy
    run_engine 125 stop nosuch
    run_engine 1 rmi localhost/nosuch:1
    is "$output" "Error: localhost/nosuch:1: image not known"
    run_engine 2 rmi $IMAGE
    run_engine 125 run --rm --pull never localhost/nosuch:1 true
    run_engine 125 run --no-such-flag $IMAGE true
    is "$output" "Error: unknown flag: --no-such-flag.*"
    run_engine 126 run --rm $IMAGE /etc
    run_engine 127 run --rm $IMAGE /no/such/command
}

run_tests "$@"
