#!/usr/bin/env bash
# commit: -c/--change, -m (docker format only in podman), --author, -p, --format, -q.
. "$(dirname "$0")/lib.sh"

test_commit_keeps_the_containers_changes() {
    run_engine run --name cm $IMAGE sh -c 'echo data >/committed'
    run_engine --separate-stderr commit cm localhost/committed:1
    is "$output" "[0-9a-f]{64}" "the new image's ID on stdout"
    local id=$output
    run_engine image inspect --format '{{.Id}}' localhost/committed:1
    is "$output" "$id"
    run_engine run --rm localhost/committed:1 cat /committed
    is "$output" data
}

test_commit_quiet() {
    run_engine run --name cm $IMAGE true
    run_engine commit -q cm localhost/committed:q
    is "$output" "[0-9a-f]{64}" "only the ID"
}

test_commit_change() {
    run_engine run --name cm $IMAGE sh -c 'echo data >/committed'
    run_engine commit -q -c 'CMD ["/bin/cat","/committed"]' -c 'ENV K=V' -c 'LABEL l=v' \
        --change 'WORKDIR /tmp' cm localhost/committed:c
    run_engine run --rm localhost/committed:c
    is "$output" data "the new CMD"
    run_engine image inspect localhost/committed:c --format '{{.Config.Env}}|{{.Config.Labels}}|{{.Config.WorkingDir}}|{{.Config.Cmd}}'
    is "$output" '\[.*K=V\]\|map\[l:v\]\|/tmp\|\[/bin/cat /committed\]'
    run_engine commit -q -c 'ENTRYPOINT ["/bin/echo"]' -c 'USER nobody' -c 'EXPOSE 8080' cm localhost/committed:e
    run_engine image inspect localhost/committed:e --format '{{.Config.Entrypoint}} {{.Config.User}} {{.Config.ExposedPorts}}'
    is "$output" '\[/bin/echo\] nobody map\[8080/tcp:\{\}\]'
}

test_commit_message_author_and_format() {
    run_engine run --name cm $IMAGE true
    # podman 4.3.1 keeps a message only in the docker format
    run_engine 125 commit -m "a message" cm localhost/committed:m
    is "$output" "Error: messages are only compatible with the docker image format \(-f docker\)"
    run_engine commit -q --format docker -m "a message" --author "A U Thor" cm localhost/committed:m
    run_engine image inspect localhost/committed:m --format '{{.Comment}}|{{.Author}}|{{.ManifestType}}'
    is_lit "$output" "a message|A U Thor|application/vnd.docker.distribution.manifest.v2+json"
    run_engine run --rm localhost/committed:m cat /etc/compat-release
    is "$output" "compat image" "a docker-format image runs"
    run_engine run --name cm2 localhost/committed:m true
    run_engine commit -q cm2 localhost/committed:od
    run_engine image inspect localhost/committed:od --format '{{.ManifestType}}'
    is "$output" "application/vnd.oci.image.manifest.v1\+json" "an OCI commit on a docker-format image"
    run_engine run --rm localhost/committed:od cat /etc/compat-release
    is "$output" "compat image"
    run_engine commit -q -f oci cm localhost/committed:o
    run_engine image inspect localhost/committed:o --format '{{.ManifestType}}'
    is "$output" "application/vnd.oci.image.manifest.v1\+json"
    run_engine 125 commit --format bogus cm localhost/committed:b
    is "$output" 'Error: unrecognized image format "bogus"'
}

test_commit_pause_of_a_running_container() {
    run_engine run -d --name cmr $IMAGE sh -c 'echo x >/f; sleep 1000'
    wait_for "the file" engine exec cmr test -e /f
    run_engine commit -q -p cmr localhost/committed:p
    is "$(state_of cmr)" running "running again after the commit"
    run_engine run --rm localhost/committed:p cat /f
    is "$output" x
}

test_commit_without_a_name_makes_an_unnamed_image() {
    run_engine run --name cm $IMAGE true
    run_engine commit -q cm
    local id=$output
    run_engine images --format '{{.Repository}}:{{.Tag}}' --filter dangling=true
    is "$output" "<none>:<none>"
    run_engine images -q --no-trunc --filter dangling=true
    is "$output" "sha256:$id"
}

test_commit_no_such_container() {
    run_engine 125 commit nosuch localhost/x:1
    is "$output" 'Error: no container with name or ID "nosuch" found: no such container'
}

test_container_commit_is_commit() {
    run_engine run --name cm $IMAGE true
    run_engine container commit -q cm localhost/committed:cc
    run_engine image exists localhost/committed:cc
}

run_tests "$@"
