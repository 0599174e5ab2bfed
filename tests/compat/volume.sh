#!/usr/bin/env bash
# volume create ls inspect rm prune exists, and named volumes in -v NAME:/path.
. "$(dirname "$0")/lib.sh"

test_volume_create_ls_inspect() {
    run_engine volume create v1
    is "$output" v1
    run_engine volume create --label k=v v2
    run_engine volume ls
    is "$output" "DRIVER +VOLUME NAME"$'\n'"local +v1"$'\n'"local +v2"
    run_engine volume ls -q --filter label=k=v
    is "$output" v2
    run_engine volume ls --filter name=v1 --format '{{.Name}}'
    is "$output" v1
    run_engine volume inspect v2 --format '{{.Name}} {{.Driver}} {{.Labels}}'
    is "$output" "v2 local map\[k:v\]"
    run_engine volume inspect v1 --format '{{.Mountpoint}}'
    is "$output" "/.*/_data" "a directory in the store"
    run_engine volume inspect v1
    is "$(line "$output" 1)" "\[" "JSON by default"
    assert "$output" =~ '"Name": "v1"'
}

test_volume_create_without_a_name() {
    run_engine volume create
    is "$output" "[0-9a-f]{64}"
    run_engine volume ls -q
    is "$output" "[0-9a-f]{64}"
}

test_volume_create_twice_is_an_error() {
    run_engine volume create v1
    run_engine 125 volume create v1
    is "$output" "Error: volume with name v1 already exists: volume already exists"
}

test_volume_exists() {
    run_engine volume create v1
    run_engine volume exists v1
    is "$output" ""
    run_engine 1 volume exists nosuch
    is "$output" ""
}

test_named_volume_in_run_persists() {
    run_engine run --rm -v data:/data $IMAGE sh -c 'echo persisted >/data/f'
    run_engine volume ls -q
    is "$output" data "run -v NAME:/path creates the volume"
    run_engine run --rm -v data:/data:ro $IMAGE cat /data/f
    is "$output" persisted
    run_engine 1 run --rm -v data:/data:ro $IMAGE touch /data/g
    is "$output" ".*Read-only file system"
}

test_volume_rm() {
    run_engine volume create v1
    run_engine volume rm v1
    is "$output" v1
    run_engine 1 volume rm nosuch
    is "$output" 'Error: no volume with name "nosuch" found: no such volume'
}

test_volume_rm_in_use_exits_2_force_removes_the_container() {
    run_engine volume create v1
    run_engine run --name user -v v1:/data $IMAGE true
    local id=$output
    run_engine inspect --format '{{.Id}}' user
    id=$output
    run_engine 2 volume rm v1
    is "$output" "Error: volume v1 is being used by the following container\(s\): $id: volume is being used"
    run_engine volume rm -f v1
    is "$output" v1
    run_engine 1 container exists user
}

test_volume_rm_all() {
    run_engine volume create v1
    run_engine volume create v2
    run_engine volume rm -a
    is "$(sort <<<"$output" | paste -sd' ')" "v1 v2"
    run_engine volume ls -q
    is "$output" ""
}

test_volume_prune() {
    run_engine volume create unused
    run_engine volume create used
    run_engine create --name user -v used:/data $IMAGE true
    run_engine volume prune -f
    is "$output" unused "only volumes no container uses"
    run_engine volume ls -q
    is "$output" used
    run_engine volume create --label keep=no lab
    run_engine volume create other
    run_engine volume prune -f --filter label=keep=no
    is "$output" lab
}

run_tests "$@"
