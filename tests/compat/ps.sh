#!/usr/bin/env bash
# ps: --external --noheading --no-trunc --filter (id name status label ancestor exited before
# since pod) --sort --last -s -q -a -l.
. "$(dirname "$0")/lib.sh"

# Three containers: p1 running with a label, p2 exited 3, p3 created; in that order.
three() {
    run_engine run -d --name p1 --label app=web $IMAGE sleep 100
    P1=$output
    run_engine 3 run --name p2 $IMAGE sh -c 'exit 3'
    P2=$output
    run_engine create --name p3 $IMAGE true
    P3=$output
}

names() { run_engine ps "$@" --format '{{.Names}}'; output=$(sort <<<"$output" | paste -sd' '); }

test_ps_shows_running_ps_a_shows_all() {
    three
    names
    is "$output" "p1"
    names -a
    is "$output" "p1 p2 p3"
}

test_ps_default_table_and_noheading() {
    three
    run_engine ps
    is "$(line "$output" 1)" "CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES"
    is "$(line "$output" 2)" "[0-9a-f]{12} +$IMAGE +sleep 100 +.* ago +Up .* +p1"
    is "$(lines "$output")" 2
    run_engine ps --noheading
    is "$output" "[0-9a-f]{12} +$IMAGE +sleep 100 +.* +p1"
}

test_ps_quiet_and_no_trunc() {
    three
    run_engine ps -q
    is "$output" "${P1:0:12}"
    run_engine ps -q --no-trunc
    is "$output" "$P1"
    run_engine ps --no-trunc --format '{{.ID}}'
    is "$output" "$P1"
    run_engine ps -a -q
    is "$(lines "$output")" 3
}

test_ps_filter_status_exited_label_name_id() {
    three
    names -a --filter status=exited
    is "$output" p2
    names -a --filter status=created
    is "$output" p3
    names -a --filter status=running
    is "$output" p1
    names -a --filter exited=3
    is "$output" p2
    names -a --filter exited=0
    is "$output" ""
    names -a --filter label=app=web
    is "$output" p1
    names -a --filter label=app
    is "$output" p1
    names -a --filter name=p2
    is "$output" p2
    names -a --filter id="${P3:0:6}"
    is "$output" p3
}

test_ps_filter_ancestor_before_since() {
    three
    names -a --filter ancestor=$IMAGE
    is "$output" "p1 p2 p3"
    names -a --filter ancestor=$IMAGE_RO
    is "$output" ""
    names -a --filter before=p3
    is "$output" "p1 p2"
    names -a --filter since=p1
    is "$output" "p2 p3"
}

test_ps_filters_of_different_keys_are_anded() {
    three
    names -a --filter status=exited --filter name=p1
    is "$output" ""
    names -a --filter status=exited --filter name=p2
    is "$output" p2
}

test_ps_filter_pod_without_pods_is_empty() {
    three
    run_engine ps -a --filter pod=nosuchpod --noheading
    is "$output" ""
}

test_ps_sort_and_last() {
    run_engine create --name b_second $IMAGE true
    run_engine create --name a_first $IMAGE true
    run_engine create --name c_third $IMAGE true
    run_engine ps -a --sort names --format '{{.Names}}'
    is "$output" "a_first"$'\n'"b_second"$'\n'"c_third"
    run_engine ps -a --last 1 --format '{{.Names}}'
    is "$output" c_third "--last 1 is the newest"
    run_engine ps -l --format '{{.Names}}'
    is "$output" c_third "-l (latest)"
    run_engine ps -a -n 2 --format '{{.Names}}'
    is "$(lines "$output")" 2
}

test_ps_size() {
    three
    run_engine ps -a -s --format '{{.Names}} {{.Size}}' --filter name=p2
    is "$output" "p2 [0-9.]+k?B \(virtual [0-9.]+[kMG]?B\)"
    run_engine ps -s
    is "$(line "$output" 1)" "CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES +SIZE"
}

test_ps_external_lists_engine_containers() {
    three
    run_engine ps --external --format '{{.Names}}'
    is "$output" p1
}

test_container_ps_and_container_list() {
    three
    run_engine container ps -a -q
    is "$(lines "$output")" 3
    run_engine container list --format '{{.Names}}'
    is "$output" p1
    run_engine container ls --format '{{.Names}}'
    is "$output" p1
}

run_tests "$@"
