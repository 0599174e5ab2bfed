#!/usr/bin/env bash
# top, port, diff, export, attach.
. "$(dirname "$0")/lib.sh"

test_top() {
    run_engine run -d --name tp $IMAGE sleep 1000
    run_engine top tp
    is "$(line "$output" 1)" "USER +PID +PPID +%CPU +ELAPSED +TTY +TIME +COMMAND"
    is "$(line "$output" 2)" "root +1 +0 +.* +sleep 1000 *"
    run_engine top tp pid comm
    is "$output" "PID +COMMAND"$'\n'"1 +sleep"
    run_engine top tp user args
    is "$output" "USER +COMMAND"$'\n'"root +sleep 1000 *"
}

test_top_errors() {
    run_engine 125 top nosuch
    is "$output" 'Error: unable to look up requested container: no container with name or ID "nosuch" found: no such container'
    run_engine create --name tc $IMAGE true
    run_engine 125 top tc
    is "$output" "Error: top can only be used on running containers"
}

test_port_without_published_ports() {
    run_engine run -d --name np $IMAGE sleep 1000
    run_engine port np
    is "$output" ""
    run_engine port -a
    is "$output" ""
    run_engine 125 port nosuch
    is "$output" 'Error: no container with name or ID "nosuch" found: no such container'
}

test_port_published() {
    if is_rpod; then
        # rpod has no port publishing yet (networks are another issue: only none, host and
        # container:NAME); `port` is tested above on a container without published ports
        return 0
    fi
    run_engine run -d --name pt -p 8080:80 -p 127.0.0.1:9090:90/udp $IMAGE sleep 1000
    run_engine port pt
    is "$output" "80/tcp -> 0.0.0.0:8080"$'\n'"90/udp -> 127.0.0.1:9090"
    run_engine port pt 80
    is "$output" "0.0.0.0:8080"
    run_engine port pt 90/udp
    is "$output" "127.0.0.1:9090"
    run_engine 125 port pt 81
    is "$output" 'Error: failed to find published port "81"'
}

test_diff() {
    run_engine run --name df $IMAGE sh -c 'echo x >/newfile; echo y >>/etc/compat-release; rm /etc/group; mkdir /newdir'
    run_engine diff df
    is "$output" "C /etc"$'\n'"C /etc/compat-release"$'\n'"D /etc/group"$'\n'"A /newdir"$'\n'"A /newfile" \
        "sorted by path, mount points the engine made (/etc/hosts, /run...) left out"
    run_engine container diff df
    is "$(lines "$output")" 5
    run_engine diff --format json df
    is "$(tr -d ' \n' <<<"$output")" '\{"changed":\["/etc","/etc/compat-release"\],"added":\["/newdir","/newfile"\],"deleted":\["/etc/group"\]\}'
    run_engine 125 diff nosuch
    is "$output" "Error: nosuch not found: layer not known"
}

test_export() {
    run_engine run --name ex $IMAGE sh -c 'echo x >/newfile'
    engine export ex >out.tar
    is "$(tar -tf out.tar | sed 's|^\./||' | grep -E '^(newfile|etc/compat-release|bin/busybox)$' | sort | paste -sd' ')" \
        "bin/busybox etc/compat-release newfile" "the whole filesystem, with the container's changes"
    run_engine export -o "$PWD/out2.tar" ex
    is "$output" ""
    is "$(tar -xOf out2.tar newfile 2>/dev/null || tar -xOf out2.tar ./newfile)" x
    run_engine 125 export nosuch -o "$PWD/out3.tar"
    is "$output" 'Error: no container with name or ID "nosuch" found: no such container'
}

test_attach() {
    run_engine run -d --name at $IMAGE sh -c 'while [ ! -e /tmp/go ]; do sleep 0.1; done; echo after; exit 6'
    (engine attach --no-stdin at >attach.out 2>&1 &)
    attached() { engine top at pid comm 2>/dev/null | grep -q sleep && sleep 1; }
    # no way to see that attach is attached from outside; the output comes from the log if not
    wait_for "the container to run" attached
    run_engine exec at touch /tmp/go
    wait_for "attach to end" is_exited at
    attach_done() { grep -q after attach.out; }
    wait_for "attach to print the output" attach_done
    run_engine 125 attach at
    is "$output" "Error: you can only attach to running containers"
    run_engine 125 attach nosuch
    is "$output" 'Error: no container with name or ID "nosuch" found: no such container'
}

run_tests "$@"
