#!/usr/bin/env bash
# images: -a --filter (reference dangling label before since) --noheading --no-trunc --sort -q,
# and the `image` family (image ls, image list, image exists, image tag).
. "$(dirname "$0")/lib.sh"

tags() { run_engine images "$@" --format '{{.Tag}}'; output=$(sort <<<"$output" | paste -sd' '); }

# Waits until the clock's second changes, so that the next image is created strictly later
# than everything before it (image creation times have a second's resolution in the filters).
next_second() { local s; s=$(date +%s); while [ "$(date +%s)" = "$s" ]; do sleep 0.1; done; }

test_images_default_table() {
    run_engine images
    is "$(line "$output" 1)" "REPOSITORY +TAG +IMAGE ID +CREATED +SIZE"
    is "$(lines "$output")" 4
    assert "$output" =~ "localhost/compat +latest +[0-9a-f]{12} +.* +[0-9.]+ [kMG]?B" "a row"
    run_engine images --noheading
    is "$(lines "$output")" 3
    run_engine images -a --noheading
    is "$(lines "$output")" 3
}

test_images_quiet_no_trunc() {
    run_engine image inspect --format '{{.Id}}' $IMAGE
    local id=$output
    run_engine images -q $IMAGE
    is "$output" "${id:0:12}"
    run_engine images -q --no-trunc $IMAGE
    is "$output" "sha256:$id"
    run_engine images --no-trunc --noheading $IMAGE
    is "$output" "localhost/compat +latest +sha256:$id .*"
}

test_images_by_name() {
    tags compat
    is "$output" "conf latest ro" "a short name matches localhost/"
    tags localhost/compat:ro
    is "$output" "ro"
}

test_images_filter_reference_label() {
    tags --filter reference=compat:ro
    is "$output" ro
    tags --filter 'reference=localhost/compat:*'
    is "$output" "conf latest ro"
    tags --filter reference=nosuch
    is "$output" ""
    tags --filter label=compat.label=imagelabel
    is "$output" conf
    tags --filter label=compat.label
    is "$output" conf
    tags --filter label=compat.label=other
    is "$output" ""
}

# A new image, created now: the suite's tar plus one new file. (podman's import takes an image's
# creation time from the archive, and the same archive twice is the same image.)
fresh_image() {
    cp "$COMPAT_IMAGES/base.tar" fresh.tar
    mkdir -p extra && echo "$RANDOM$RANDOM" >extra/stamp
    tar -C extra -rf fresh.tar stamp
    run_engine --separate-stderr import fresh.tar "$1"
    output=$(tail -1 <<<"$output")
}

test_images_filter_dangling() {
    fresh_image localhost/dang:1
    local first=$output
    fresh_image localhost/dang:1
    run_engine images -q --no-trunc --filter dangling=true
    is "$output" "$first" "the image that lost its name is dangling"
    run_engine images --noheading --filter dangling=true
    is "$output" "<none> +<none> +${first:7:12} .*" "dangling images show <none>"
    run_engine images --format '{{.Repository}}:{{.Tag}}' --filter dangling=true
    is "$output" "<none>:<none>"
    tags --filter dangling=false
    is "$output" "1 conf latest ro"
}

test_images_filter_before_since() {
    next_second
    fresh_image localhost/newer:1
    tags --filter since=$IMAGE_CONF
    is "$output" "1( ro)?" "the new image (ro may be newer than conf: its / was changed)"
    tags --filter before=localhost/newer:1
    is "$output" "conf latest ro"
}

test_images_sort() {
    run_engine images --sort tag --format '{{.Tag}}'
    is "$output" "conf"$'\n'"latest"$'\n'"ro"
    run_engine tag $IMAGE localhost/aaa:zzz
    run_engine images --sort repository --format '{{.Repository}}'
    is "$(line "$output" 1)" "localhost/aaa"
}

test_image_ls_list_exists() {
    run_engine image ls --format '{{.Tag}}' $IMAGE
    is "$output" latest
    run_engine image list -q $IMAGE
    is "$output" "[0-9a-f]{12}"
    run_engine image exists $IMAGE
    run_engine 1 image exists localhost/nosuch:latest
    is "$output" ""
}

test_image_tag_then_images() {
    run_engine image tag $IMAGE localhost/other:v1
    tags localhost/other
    # podman 4.3.1 lists every name of an image a reference matches, not only the matching one
    is "$output" "latest v1"
    run_engine images --format '{{.ID}}' localhost/other:v1
    local tagged=$output
    run_engine images --format '{{.ID}}' $IMAGE
    is "$output" "$tagged" "a tag names the same image"
}

run_tests "$@"
