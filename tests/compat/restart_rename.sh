#!/usr/bin/env bash
# restart (-t --all --running) and rename.
. "$(dirname "$0")/lib.sh"

test_restart_a_running_container() {
    run_engine run -d --name r1 $IMAGE sh -c 'echo started; sleep 1000'
    wait_for "the first start" logs_contain r1 started
    run_engine inspect --format '{{.State.Pid}}' r1
    local pid=$output
    run_engine restart -t 0 r1
    is "$output" r1
    is "$(state_of r1)" running
    run_engine inspect --format '{{.State.Pid}}' r1
    assert "$output" != "$pid" "a new process"
    twice() { [ "$(engine logs r1 | grep -c started)" = 2 ]; }
    wait_for "the second start in the log" twice
}

test_restart_an_exited_container() {
    run_engine run --name ex $IMAGE echo once
    run_engine restart ex
    is "$output" ex
    run_engine wait ex
    is "$output" 0
    run_engine logs ex
    is "$output" "once"$'\n'"once"
}

test_restart_all_and_running() {
    run_engine run --name ex $IMAGE true
    local ex=$output
    run_engine run -d --name r1 $IMAGE sleep 1000
    local r1=$output
    run_engine restart -a --running -t 0
    is "$output" "$r1" "--running: only the running one"
    run_engine inspect --format '{{.Id}}' ex
    ex=$output
    run_engine restart --all -t 0
    is "$(sort <<<"$output")" "$(printf '%s\n' "$ex" "$r1" | sort)"
}

test_restart_no_such_container() {
    run_engine 125 restart nosuch
    is "$output" 'Error: no container with name or ID "nosuch" found: no such container'
}

test_rename() {
    run_engine run -d --name old $IMAGE sleep 1000
    run_engine rename old new
    is "$output" ""
    run_engine ps --format '{{.Names}}'
    is "$output" new
    run_engine 1 container exists old
    run_engine exec new true
    run_engine rename new new
    is "$output" "" "to its own name: nothing to do"
}

test_rename_errors() {
    run_engine create --name a $IMAGE true
    local id=$output
    run_engine create --name b $IMAGE true
    run_engine 125 rename a b
    is "$output" "Error: renaming container $id: name b already in use, cannot rename container $id: container already exists"
    run_engine 125 rename nosuch x
    is "$output" 'Error: no container with name or ID "nosuch" found: no such container'
    run_engine 125 rename a 'bad name'
    is "$output" 'Error: names must match \[a-zA-Z0-9\]\[a-zA-Z0-9_.-\]\*: invalid argument'
}

test_container_restart_and_rename_family() {
    run_engine run -d --name r1 $IMAGE sleep 1000
    run_engine container restart -t 0 r1
    is "$output" r1
    run_engine container rename r1 r2
    run_engine container exists r2
}

run_tests "$@"
