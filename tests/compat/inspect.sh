#!/usr/bin/env bash
# inspect: --type (container image all), --size, -f, several objects, missing ones.
. "$(dirname "$0")/lib.sh"

test_inspect_type() {
    run_engine create --name compat $IMAGE true
    run_engine inspect compat --format '{{.Name}}'
    is "$output" compat "a container and an image both named compat: the container wins"
    run_engine inspect --type container compat --format '{{.Name}}'
    is "$output" compat
    run_engine inspect --type image compat --format '{{.RepoTags}}'
    is "$output" "\[$IMAGE\]"
    run_engine inspect --type all -f '{{.Name}}' compat
    is "$output" compat
}

test_inspect_type_errors() {
    run_engine --separate-stderr 125 inspect --type container nosuch
    is "$output" "\[\]" "an empty JSON list on stdout"
    is "$stderr" "Error: inspecting object: no such container nosuch"
    run_engine --separate-stderr 125 inspect --type image nosuch
    is "$stderr" "Error: inspecting object: nosuch: image not known"
    run_engine --separate-stderr 125 inspect nosuch
    is "$stderr" 'Error: inspecting object: no such object: "nosuch"'
    run_engine 125 inspect --type bogus nosuch
    is "$output" 'Error: invalid type "bogus": must be "image", "container", "pod", "network", "volume", or "all"'
}

test_inspect_several_and_a_missing_one() {
    run_engine create --name i1 $IMAGE true
    run_engine create --name i2 $IMAGE true
    run_engine inspect --format '{{.Name}}' i1 i2
    is "$output" "i1"$'\n'"i2"
    run_engine --separate-stderr 125 inspect --format '{{.Name}}' i1 nosuch
    is "$output" i1 "the found ones are printed"
    is "$stderr" 'Error: inspecting object: no such object: "nosuch"'
}

test_inspect_size() {
    run_engine create --name sz $IMAGE true
    run_engine inspect --size sz --format '{{.SizeRootFs}}'
    assert "$output" -gt 1000000 "the rootfs size (busybox is 1-2 MB)"
    run_engine inspect -s --type container sz --format '{{.SizeRw}}'
    is "$output" "[0-9]+"
    run_engine inspect sz --format '{{.SizeRootFs}}'
    is "$output" 0 "without --size it is not computed"
}

test_inspect_by_short_id_and_json() {
    run_engine create --name byid $IMAGE true
    local id=$output
    run_engine inspect --format '{{.Name}}' "${id:0:12}"
    is "$output" byid
    run_engine inspect byid
    is "$(line "$output" 1)" "\[" "JSON by default"
    assert "$output" =~ "\"Id\": \"$id\""
}

test_container_and_image_inspect() {
    run_engine create --name ci $IMAGE true
    run_engine container inspect -f '{{.Name}}' ci
    is "$output" ci
    run_engine image inspect -f '{{.RepoTags}}' $IMAGE
    is "$output" "\[$IMAGE\]"
    run_engine --separate-stderr 125 container inspect $IMAGE
    is "$stderr" "Error: .*no such container.*"
}

run_tests "$@"
