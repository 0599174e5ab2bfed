#!/usr/bin/env bash
# logs: --since --until --tail -t --names -n, several containers at once, stdout/stderr kept.
. "$(dirname "$0")/lib.sh"

TS='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})'

five() { run_engine run --name "$1" $IMAGE sh -c 'for i in 1 2 3 4 5; do echo line$i; done'; }

test_logs_replays_the_output() {
    five l1
    run_engine logs l1
    is "$output" "line1"$'\n'"line2"$'\n'"line3"$'\n'"line4"$'\n'"line5"
}

test_logs_tail() {
    five l1
    run_engine logs --tail 2 l1
    is "$output" "line4"$'\n'"line5"
    run_engine logs --tail 0 l1
    is "$output" ""
    run_engine logs --tail=-1 l1
    is "$(lines "$output")" 5 "-1 is everything"
}

test_logs_timestamps() {
    five l1
    run_engine logs -t --tail 1 l1
    is "$output" "$TS line5"
    run_engine logs --timestamps --tail 1 l1
    is "$output" "$TS line5"
}

test_logs_since_until() {
    five l1
    run_engine logs --since 2000-01-01T00:00:00Z l1
    is "$(lines "$output")" 5 "everything is since 2000"
    run_engine logs --until 2000-01-01T00:00:00Z l1
    is "$output" "" "nothing is until 2000"
    run_engine logs --since 1h l1
    is "$(lines "$output")" 5 "a duration counts back from now"
    run_engine logs --since 2000-01-01T00:00:00Z --tail 1 l1
    is "$output" line5
    local future
    future=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
    run_engine logs --since "$future" l1
    is "$output" ""
    run_engine logs --until "$future" l1
    is "$(lines "$output")" 5
}

test_logs_several_containers_prefix_each_line() {
    five l1
    run_engine run --name l2 $IMAGE echo other
    local l2=$output
    run_engine inspect --format '{{.Id}}' l1
    local id1=${output:0:12}
    run_engine inspect --format '{{.Id}}' l2
    local id2=${output:0:12}
    run_engine logs --names l1 l2
    # the lines of the two logs are interleaved: compare them sorted
    is "$(sort <<<"$output" | paste -sd,)" "l1 line1,l1 line2,l1 line3,l1 line4,l1 line5,l2 other"
    run_engine logs -n --tail 1 l1 l2
    is "$(sort <<<"$output" | paste -sd,)" "l1 line5,l2 other"
    run_engine logs l1 l2
    is "$(sort <<<"$output" | grep -c "^$id1 line")" 5 "several containers: the short ID prefixes each line"
    assert "$output" =~ "$id2 other"
}

test_logs_keeps_stdout_and_stderr_apart() {
    run_engine run --name l3 $IMAGE sh -c 'echo out; echo err >&2'
    run_engine --separate-stderr logs l3
    is "$output" out
    is "$stderr" err
}

test_logs_of_a_running_container() {
    run_engine run -d --name l4 $IMAGE sh -c 'echo ready; sleep 100'
    wait_for "the log line" logs_contain l4 ready
    run_engine logs l4
    is "$output" ready
}

test_logs_no_such_container() {
    run_engine 125 logs nosuch
    is "$output" 'Error: no container with name or ID "nosuch" found: no such container'
}

test_container_logs_is_logs() {
    five l1
    run_engine container logs --tail 1 l1
    is "$output" line5
}

run_tests "$@"
