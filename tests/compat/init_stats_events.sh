#!/usr/bin/env bash
# init, stats --no-stream, events (container lifecycle). The events log belongs to the store, so
# each test uses container names no other test of this script uses.
. "$(dirname "$0")/lib.sh"

test_init_then_start() {
    run_engine create --name in $IMAGE sh -c 'echo started'
    local id=$output
    run_engine init in
    is "$output" in
    run_engine inspect in --format '{{.State.Status}}'
    is "$output" initialized
    run_engine 125 init in
    is "$output" "Error: container $id has already been created in runtime: container state improper"
    run_engine start -a in
    is "$output" started
}

test_init_errors() {
    run_engine 125 init nosuch
    is "$output" 'Error: no container with name or ID "nosuch" found: no such container'
}

test_stats_no_stream() {
    run_engine run -d --name stt $IMAGE sleep 1000
    local id=$output
    run_engine stats --no-stream stt
    is "$(line "$output" 1)" "ID +NAME +CPU % +MEM USAGE / LIMIT +MEM % +NET IO +BLOCK IO +PIDS +CPU TIME +AVG CPU %"
    is "$(line "$output" 2)" "${id:0:12} +stt +[0-9.]+% +[0-9.]+[kMG]?B / [0-9.]+[kMG]?B +[0-9.]+% +.* +1 +.*"
    run_engine stats --no-stream --format '{{.Name}} {{.PIDs}}' stt
    is "$output" "stt 1"
    run_engine stats --no-stream --format json stt
    assert "$output" =~ '"name": "stt"'
}

test_stats_all_and_a_stopped_container() {
    run_engine run -d --name stt $IMAGE sleep 1000
    run_engine create --name created $IMAGE true
    run_engine stats --no-stream --format '{{.Name}}' stt
    is "$output" stt
    run_engine stats --no-stream -a --format '{{.Name}}'
    is "$(sort <<<"$output" | paste -sd' ')" "created stt"
}

test_events_container_lifecycle() {
    run_engine run --name ev $IMAGE true
    local id
    id=$(engine inspect --format '{{.Id}}' ev)
    run_engine events --stream=false --since 5m --filter container=ev \
        --filter event=create --filter event=start --filter event=died --format '{{.Status}}'
    is "$output" "create"$'\n'"start"$'\n'"died"
    run_engine events --stream=false --since 5m --filter container=ev --filter event=died \
        --format '{{.Name}} {{.Type}} {{.Status}} {{.ID}} {{.Image}}'
    is "$output" "ev container died $id $IMAGE"
    run_engine rm ev
    run_engine events --stream=false --since 5m --filter container=ev --filter event=remove --format '{{.Status}}'
    is "$output" remove
}

test_events_default_format_and_json() {
    run_engine run --name ev_fmt $IMAGE true
    run_engine events --stream=false --since 5m --filter container=ev_fmt --filter event=start
    is "$output" "[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:.]+ \+0000 UTC container start [0-9a-f]{64} \(image=$IMAGE, name=ev_fmt\)"
    run_engine events --stream=false --since 5m --filter container=ev_fmt --filter event=start --format json
    is "$output" '\{"ID":"[0-9a-f]{64}","Image":"localhost/compat:latest","Name":"ev_fmt","Status":"start","Time":"[^"]+","Type":"container","Attributes":.*\}'
}

test_events_other_containers_are_filtered_out() {
    run_engine run --name ev_a $IMAGE true
    run_engine run --name ev_b $IMAGE true
    run_engine events --stream=false --since 5m --filter container=ev_b --format '{{.Name}}'
    assert "$(sort -u <<<"$output")" == ev_b
}

run_tests "$@"
