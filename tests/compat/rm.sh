#!/usr/bin/env bash
# rm: -a -t/--time -i/--ignore -f -v --depend --cidfile, and podman's exit codes
# (1: no such container, 2: running without -f, 125: any other error).
. "$(dirname "$0")/lib.sh"

test_rm_all_force_ignore_time_removes_every_container() {
    run_engine run -d --name running $IMAGE sleep 100
    local running=$output
    run_engine create --name created $IMAGE true
    local created=$output
    run_engine run --name exited $IMAGE true
    run_engine rm -t 0 --all --force --ignore
    assert "$output" =~ "$running" "rm prints the running container's ID"
    assert "$output" =~ "$created" "rm prints the created container's ID"
    is "$(lines "$output")" 3 "one line per removed container"
    run_engine ps -a -q
    is "$output" "" "no container is left"
}

test_rm_prints_what_the_user_named() {
    run_engine create --name byname $IMAGE true
    run_engine rm byname
    is "$output" "byname" "rm NAME prints the name"
    run_engine create $IMAGE true
    local id=$output
    run_engine rm "${id:0:12}"
    is "$output" "${id:0:12}" "rm SHORT-ID prints the short ID"
}

test_rm_no_such_container_exits_1() {
    run_engine 1 rm nosuch
    is "$output" 'Error: no container with name or ID "nosuch" found: no such container'
}

test_rm_ignore_no_such_container_exits_0() {
    run_engine rm -i nosuch
    is "$output" ""
    run_engine rm --ignore nosuch
    is "$output" ""
}

test_rm_force_no_such_container_exits_0() {
    # podman 4.3.1: --force also ignores a missing container (exit 0, nothing printed)
    run_engine rm -f nosuch
    is "$output" ""
}

test_rm_running_without_force_exits_2() {
    run_engine run -d --name busy $IMAGE sleep 100
    local id=$output
    run_engine 2 rm busy
    is "$output" "Error: cannot remove container $id as it is running - running or paused containers cannot be removed without force: container state improper"
    run_engine rm -f -t 0 busy
    is "$output" busy
}

test_rm_time_option_stops_then_removes() {
    run_engine run -d --name t0 $IMAGE sleep 100
    run_engine rm --time 0 --force t0
    is "$output" t0
    run_engine 1 container exists t0
}

test_rm_volumes_removes_anonymous_volumes() {
    run_engine run --name withvol -v /data $IMAGE true
    run_engine volume ls -q
    is "$(lines "$output")" 1 "run -v /data made an anonymous volume"
    run_engine rm -v withvol
    run_engine volume ls -q
    is "$output" "" "rm -v removed it"
}

test_rm_without_volumes_keeps_anonymous_volumes() {
    run_engine run --name withvol -v /data $IMAGE true
    run_engine rm withvol
    run_engine volume ls -q
    is "$(lines "$output")" 1 "rm without -v keeps the volume"
}

test_rm_depend_removes_dependents_first() {
    run_engine create --name base $IMAGE true
    local base=$output
    run_engine create --name dep --net container:base $IMAGE true
    local dep=$output
    run_engine 125 rm base
    is "$output" "Error: container $base has dependent containers which must be removed before it: $dep: container already exists"
    run_engine rm --depend base
    is "$output" "$dep"$'\n'"$base" "the dependent, then the container"
    run_engine ps -a -q
    is "$output" ""
}

test_rm_cidfile_reads_the_id() {
    run_engine create --cidfile "$PWD/cid" $IMAGE true
    local id=$output
    is "$(cat cid)" "$id" "create --cidfile wrote the full ID"
    run_engine rm --cidfile "$PWD/cid"
    is "$output" "$id"
    run_engine ps -a -q
    is "$output" ""
}

test_container_rm_is_rm() {
    run_engine create --name cr $IMAGE true
    run_engine container rm cr
    is "$output" cr
    run_engine 1 container rm cr
    is "$output" 'Error: no container with name or ID "cr" found: no such container'
}

run_tests "$@"
