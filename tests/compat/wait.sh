#!/usr/bin/env bash
# wait: the exit code, several containers, --condition.
. "$(dirname "$0")/lib.sh"

test_wait_prints_the_exit_code() {
    run_engine create --name w1 $IMAGE sh -c 'exit 3'
    run_engine start w1
    run_engine wait w1
    is "$output" 3 "the exit code is printed, wait itself succeeds"
}

test_wait_several() {
    run_engine 3 run --name w1 $IMAGE sh -c 'exit 3'
    run_engine run -d --name w2 $IMAGE sleep 100
    run_engine stop -t 0 w2
    run_engine wait w1 w2
    is "$output" "3"$'\n'"137"
}

test_wait_blocks_until_the_container_exits() {
    run_engine run -d --name w3 $IMAGE sh -c 'while [ ! -e /tmp/go ]; do sleep 0.1; done; exit 9'
    (engine wait w3 >waited 2>&1 &)
    run_engine exec w3 touch /tmp/go
    waited() { grep -qx 9 waited; }
    wait_for "wait to print 9" waited
}

test_wait_condition() {
    run_engine create --name w4 $IMAGE sh -c 'exit 3'
    run_engine wait --condition created w4
    is "$output" "-1" "a condition other than exited prints -1"
    run_engine start w4
    run_engine wait --condition exited w4
    is "$output" 3
    run_engine wait --condition stopped w4
    is "$output" 3
    run_engine run -d --name w5 $IMAGE sleep 100
    run_engine wait --condition running w5
    is "$output" "-1"
    run_engine 125 wait --condition bogus w5
    is "$output" "Error: unknown container state: bogus: invalid argument"
}

test_wait_no_such_container_125() {
    run_engine 125 wait nosuch
    is "$output" 'Error: no container with name or ID "nosuch" found: no such container'
}

test_container_wait_is_wait() {
    run_engine 4 run --name w6 $IMAGE sh -c 'exit 4'
    run_engine container wait w6
    is "$output" 4
}

run_tests "$@"
