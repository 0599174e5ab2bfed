#!/usr/bin/env bash
# pause/unpause (--all), their errors, and what a paused container means to ps, inspect, rm.
. "$(dirname "$0")/lib.sh"

test_pause_and_unpause() {
    run_engine run -d --name p1 $IMAGE sleep 1000
    local id=$output
    run_engine pause p1
    is "$output" p1
    run_engine inspect p1 --format '{{.State.Status}} {{.State.Paused}} {{.State.Running}}'
    is "$output" "paused true false" "podman: a paused container is not Running"
    run_engine ps --format '{{.Names}} {{.Status}}'
    is "$output" "" "podman 4.3.1: ps without -a leaves paused containers out"
    run_engine ps -a --format '{{.Names}} {{.Status}}'
    is "$output" "p1 Paused"
    run_engine ps -a --filter status=paused --format '{{.Names}}'
    is "$output" p1
    run_engine unpause p1
    is "$output" p1
    run_engine inspect p1 --format '{{.State.Status}} {{.State.Paused}}'
    is "$output" "running false"
}

test_pause_twice_and_unpause_twice_are_errors() {
    run_engine run -d --name p1 $IMAGE sleep 1000
    local id=$output
    run_engine pause p1
    run_engine 125 pause p1
    is "$output" "Error: \"$id\" is already paused: container state improper"
    run_engine unpause p1
    run_engine 125 unpause p1
    is "$output" "Error: \"$id\" is not paused, can't unpause: container state improper"
}

test_pause_of_an_exited_container() {
    run_engine run --name ex $IMAGE true
    run_engine 125 pause ex
    # podman 4.3.1 names the state, not the container, in this message
    is "$output" "Error: \"exited\" is not running, can't pause: container state improper"
}

test_pause_all_unpause_all() {
    run_engine run -d --name p1 $IMAGE sleep 1000
    local p1=$output
    run_engine run -d --name p2 $IMAGE sleep 1000
    local p2=$output
    run_engine pause --all
    is "$(sort <<<"$output")" "$(printf '%s\n' "$p1" "$p2" | sort)" "full IDs"
    is "$(state_of p1) $(state_of p2)" "paused paused"
    run_engine unpause --all
    is "$(sort <<<"$output")" "$(printf '%s\n' "$p1" "$p2" | sort)"
    is "$(state_of p1) $(state_of p2)" "running running"
}

test_rm_of_a_paused_container_exits_2() {
    run_engine run -d --name p1 $IMAGE sleep 1000
    local id=$output
    run_engine pause p1
    run_engine 2 rm p1
    is "$output" "Error: cannot remove container $id as it is paused - running or paused containers cannot be removed without force: container state improper"
    run_engine rm -f -t 0 p1
    is "$output" p1
}

test_pause_no_such_container() {
    run_engine 125 pause nosuch
    is "$output" 'Error: no container with name or ID "nosuch" found: no such container'
    run_engine 125 unpause nosuch
    is "$output" 'Error: no container with name or ID "nosuch" found: no such container'
}

test_container_pause_family() {
    run_engine run -d --name p1 $IMAGE sleep 1000
    run_engine container pause p1
    is "$output" p1
    run_engine container unpause p1
    is "$output" p1
}

run_tests "$@"
