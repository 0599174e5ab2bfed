#!/usr/bin/env bash
# exec: -i -t -e -u -w -d --env-file, exit codes (the command's, 126, 127, 125, 255).
. "$(dirname "$0")/lib.sh"

running() { run_engine run -d --name "$1" $IMAGE sleep 1000; }

test_exec_returns_the_commands_exit_code() {
    running e1
    run_engine exec e1 echo hello
    is "$output" hello
    run_engine 5 exec e1 sh -c 'exit 5'
}

test_exec_not_found_127_not_executable_126() {
    running e1
    run_engine 127 exec e1 nosuchcmd
    is "$output" "Error: [a-z]+: .*nosuchcmd.*: OCI runtime attempted to invoke a command that was not found" \
        "the engine's error line, in podman's form, with the runtime's reason"
    is "$(lines "$output")" 1 "and nothing else (not the runtime's own line)"
    run_engine 126 exec e1 /etc
    is "$output" "Error: [a-z]+: .*: OCI permission denied"
    is "$(lines "$output")" 1
    # the process's own stderr still comes through
    run_engine 3 exec e1 sh -c 'echo oops >&2; exit 3'
    is "$output" oops
}

test_exec_env_and_env_file() {
    running e1
    run_engine exec -e A=1 -e B e1 sh -c 'echo "$A-$B"'
    is "$output" "1-" "-e NAME with NAME unset on the host is empty"
    B=fromhost run_engine exec -e B e1 sh -c 'echo "$A-$B"'
    is "$output" "-fromhost" "-e NAME passes the host's value"
    printf 'X=1\n# a comment\n\nY=two words\n' >envfile
    run_engine exec --env-file "$PWD/envfile" e1 sh -c 'echo "$X|$Y"'
    is_lit "$output" "1|two words"
    run_engine exec --env X=override --env-file "$PWD/envfile" e1 sh -c 'echo "$X"'
    is "$output" override "-e wins over --env-file"
}

test_exec_user() {
    running e1
    run_engine exec -u nobody e1 id
    is "$output" "uid=65534\(nobody\) gid=65534\(nogroup\).*"
    run_engine exec --user 65534:10 e1 id
    is "$output" "uid=65534\(nobody\) gid=10\(wheel\).*"
    run_engine exec e1 id -u
    is "$output" 0
}

test_exec_workdir() {
    running e1
    run_engine exec -w /tmp e1 pwd
    is "$output" /tmp
    run_engine exec --workdir /etc e1 pwd
    is "$output" /etc
}

test_exec_interactive_reads_stdin() {
    running e1
    echo input >in
    ENGINE_STDIN=in run_engine exec -i e1 cat
    is "$output" input
    ENGINE_STDIN=in run_engine exec e1 cat
    is "$output" "" "without -i stdin is not passed"
}

test_exec_tty() {
    running e1
    run_engine exec -t e1 tty
    # a terminal ends lines with \r\n
    is "$(tr -d '\r' <<<"$output")" "/dev/pts/[0-9]+"
    run_engine 1 exec e1 tty
    is "$output" "not a tty"
}

test_exec_detach_prints_the_session_id() {
    running e1
    run_engine exec -d e1 sh -c 'echo bg >/tmp/bg'
    is "$output" "[0-9a-f]{64}"
    local session=$output
    exec_done() { engine exec e1 cat /tmp/bg | grep -q bg; }
    wait_for "the detached exec's file" exec_done
    run_engine exec e1 true
    run_engine inspect --format '{{.ExecIDs}}' e1
    is "$output" "\[$session\]" "the detached session stays listed after it ended; an attached one does not"
    run_engine stop -t 0 e1
    run_engine inspect --format '{{.ExecIDs}}' e1
    is "$output" "\[$session\]" "a stopped container keeps its exec sessions"
    run_engine start e1
    run_engine inspect --format '{{.ExecIDs}}' e1
    is "$output" "\[\]" "until it starts again"
}

test_exec_no_such_container_125() {
    run_engine 125 exec nosuch true
    is "$output" 'Error: no container with name or ID "nosuch" found: no such container'
}

test_exec_in_a_stopped_container_255() {
    run_engine create --name stopped $IMAGE true
    run_engine 255 exec stopped true
    is "$output" "Error: can only create exec sessions on running containers: container state improper"
}

test_container_exec_is_exec() {
    running e1
    run_engine container exec e1 echo via-container
    is "$output" via-container
}

run_tests "$@"
