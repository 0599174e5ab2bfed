#!/usr/bin/env bash
# rmi: --ignore -a -f, podman's exit codes (1: no such image, 2: in use), `image rm`.
. "$(dirname "$0")/lib.sh"

test_rmi_no_such_image_exits_1() {
    run_engine 1 rmi nosuch
    is "$output" "Error: nosuch: image not known"
    run_engine 1 image rm nosuch
    is "$output" "Error: nosuch: image not known"
}

test_rmi_ignore_no_such_image_exits_0() {
    run_engine rmi --ignore nosuch
    is "$output" ""
    run_engine rmi -i nosuch
    is "$output" ""
}

test_rmi_in_use_exits_2() {
    run_engine create --name user $IMAGE true
    local cid=$output
    run_engine 2 rmi $IMAGE
    is "$output" "Error: image used by $cid: image is in use by a container: consider listing external containers and force-removing image"
    run_engine image exists $IMAGE
}

test_rmi_untags_then_deletes() {
    run_engine tag $IMAGE localhost/extra:1
    run_engine rmi localhost/extra:1
    is "$output" "Untagged: localhost/extra:1" "a second name is only untagged"
    run_engine image exists $IMAGE
    run_engine image inspect --format '{{.Id}}' $IMAGE_RO
    local id=$output
    run_engine rmi $IMAGE_RO
    is "$output" "Untagged: $IMAGE_RO"$'\n'"Deleted: $id"
    run_engine 1 image exists $IMAGE_RO
}

test_rmi_force_removes_its_containers() {
    run_engine create --name user $IMAGE_RO true
    run_engine rmi -f $IMAGE_RO
    assert "$output" =~ "Deleted: " "the image is deleted"
    run_engine 1 container exists user
}

test_rmi_all() {
    run_engine rmi -a
    is "$(grep -c '^Deleted: ' <<<"$output")" 3
    run_engine images -q
    is "$output" ""
}

test_rmi_all_with_an_image_in_use_exits_2() {
    run_engine create --name user $IMAGE true
    run_engine 2 rmi -a
    assert "$output" =~ "Untagged: $IMAGE_RO" "the others are removed"
    assert "$output" =~ "Error: image used by [0-9a-f]{64}: image is in use by a container" "the error"
    run_engine images --format '{{.Tag}}'
    is "$output" latest
}

test_image_rm_is_rmi() {
    run_engine tag $IMAGE localhost/extra:2
    run_engine image rm localhost/extra:2
    is "$output" "Untagged: localhost/extra:2"
}

run_tests "$@"
