#!/usr/bin/env bash
# start: --all --filter -i -a; stop: --all --ignore -t --cidfile, and podman's warning when
# stop falls back to SIGKILL; restart is in restart_rename.sh.
. "$(dirname "$0")/lib.sh"

sorted() { sort <<<"$1" | paste -sd' '; }

test_start_all_and_stop_all() {
    run_engine create --name s1 $IMAGE sleep 100
    local s1=$output
    run_engine create --name s2 $IMAGE sleep 100
    local s2=$output
    run_engine start --all
    is "$(sorted "$output")" "$(sorted "$s1"$'\n'"$s2")" "start --all prints the full IDs"
    is "$(state_of s1) $(state_of s2)" "running running"
    run_engine stop --all -t 0
    is "$(sorted "$output")" "$(sorted "$s1"$'\n'"$s2")" "stop --all prints the full IDs"
    is "$(state_of s1) $(state_of s2)" "exited exited"
}

test_start_filter() {
    run_engine create --name s1 $IMAGE sleep 100
    local s1=$output
    run_engine create --name s2 $IMAGE sleep 100
    run_engine start --filter name=s1
    is "$output" "$s1"
    is "$(state_of s1) $(state_of s2)" "running created"
    run_engine start --filter name=nomatch
    is "$output" ""
}

test_start_prints_what_the_user_named() {
    run_engine create --name byname $IMAGE sleep 100
    run_engine start byname
    is "$output" byname
    run_engine stop -t 0 byname
    is "$output" byname
}

test_start_attach_returns_the_exit_code() {
    run_engine create --name sa $IMAGE sh -c 'echo hello; exit 4'
    run_engine 4 start -a sa
    is "$output" hello
    run_engine 4 start --attach sa
    is "$output" hello "the attached output is this run's only"
    run_engine logs sa
    is "$output" "hello"$'\n'"hello" "the log keeps both runs"
}

test_start_interactive_attach_reads_stdin() {
    run_engine create -i --name si $IMAGE cat
    echo piped >in
    ENGINE_STDIN=in run_engine start -i -a si
    is "$output" piped
}

test_start_attach_several_is_an_error() {
    run_engine create --name m1 $IMAGE true
    run_engine create --name m2 $IMAGE true
    run_engine 125 start -a m1 m2
    is "$output" "Error: you cannot start and attach multiple containers at once"
}

test_start_and_stop_no_such_container_exit_125() {
    run_engine 125 start nosuch
    is "$output" 'Error: no container with name or ID "nosuch" found: no such container'
    run_engine 125 stop nosuch
    is "$output" 'Error: no container with name or ID "nosuch" found: no such container'
}

test_stop_ignore() {
    run_engine stop --ignore nosuch
    is "$output" ""
    run_engine stop -i nosuch
    is "$output" ""
}

test_stop_of_an_exited_container_succeeds() {
    run_engine run --name done $IMAGE true
    run_engine stop done
    is "$output" done
}

test_stop_timeout_warns_before_sigkill() {
    # sleep as PID 1 has no SIGTERM handler: the kernel ignores the signal, stop must kill
    run_engine run -d --name stubborn $IMAGE sleep 100
    run_engine --separate-stderr stop -t 1 stubborn
    is "$output" stubborn
    is "$stderr" '.*StopSignal SIGTERM failed to stop container stubborn in 1 seconds, resorting to SIGKILL.*'
    run_engine inspect --format '{{.State.Status}} {{.State.ExitCode}}' stubborn
    is "$output" "exited 137"
}

test_stop_time_zero_does_not_warn() {
    run_engine run -d --name quick $IMAGE sleep 100
    run_engine --separate-stderr stop --time 0 quick
    is "$output" quick
    assert "$stderr" !~ "resorting to SIGKILL" "-t 0 asks for SIGKILL at once"
}

test_stop_a_container_that_handles_sigterm() {
    run_engine run -d --name polite $IMAGE sh -c 'trap "exit 0" TERM; while :; do sleep 0.1; done'
    run_engine --separate-stderr stop -t 30 polite
    is "$output" polite
    is "$stderr" "" "no warning: SIGTERM did it"
    run_engine inspect --format '{{.State.ExitCode}}' polite
    is "$output" 0
}

test_stop_cidfile() {
    run_engine run -d --cidfile "$PWD/cid" $IMAGE sleep 100
    local id=$output
    run_engine stop -t 0 --cidfile "$PWD/cid"
    is "$output" "$id"
    is "$(state_of "$id")" exited
}

test_container_start_and_stop_family() {
    run_engine container create --name fam $IMAGE sleep 100
    run_engine container start fam
    is "$output" fam
    run_engine container stop -t 0 fam
    is "$output" fam
}

run_tests "$@"
