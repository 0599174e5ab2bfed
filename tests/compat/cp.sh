#!/usr/bin/env bash
# cp: host to container and back, container to container, `-` for a tar stream, -a,
# --overwrite, created and exited containers, and podman's symlink safety: a path is resolved
# inside the container's root, never on the host.
. "$(dirname "$0")/lib.sh"

running() { run_engine run -d --name "$1" $IMAGE sleep 1000; }

test_cp_host_to_container_and_back() {
    running c1
    echo host >hf
    run_engine cp hf c1:/tmp/
    is "$output" ""
    run_engine exec c1 cat /tmp/hf
    is "$output" host
    run_engine cp c1:/etc/compat-release ./out
    is "$(cat out)" "compat image"
    run_engine cp hf c1:/tmp/renamed
    run_engine exec c1 cat /tmp/renamed
    is "$output" host
}

test_cp_directories() {
    running c1
    mkdir -p dir/sub && echo deep >dir/sub/f
    run_engine cp dir c1:/tmp/
    run_engine exec c1 cat /tmp/dir/sub/f
    is "$output" deep
    run_engine cp c1:/tmp/dir back
    is "$(cat back/sub/f)" deep
}

test_cp_container_to_container() {
    running c1
    running c2
    echo host >hf
    run_engine cp hf c1:/tmp/hf
    run_engine cp c1:/tmp/hf c2:/tmp/fromc1
    run_engine exec c2 cat /tmp/fromc1
    is "$output" host
}

test_cp_tar_stream_out_and_in() {
    running c1
    engine cp c1:/etc/compat-release - >out.tar
    is "$(tar -tf out.tar)" compat-release "stdout is a tar stream"
    is "$(tar -xOf out.tar compat-release)" "compat image"
    echo streamed >sf
    tar -cf in.tar sf
    ENGINE_STDIN=in.tar run_engine cp - c1:/root
    run_engine exec c1 cat /root/sf
    is "$output" streamed
}

test_cp_archive_chowns_to_the_container_user() {
    running c1
    echo x >own
    chown 1234:1234 own
    run_engine cp own c1:/tmp/own1
    run_engine cp -a own c1:/tmp/own2
    run_engine cp --archive=false own c1:/tmp/own3
    run_engine exec c1 sh -c 'stat -c %u:%g /tmp/own1 /tmp/own2 /tmp/own3'
    is "$output" "0:0"$'\n'"0:0"$'\n'"1234:1234" "-a (the default) chowns, --archive=false keeps the host's owner"
}

test_cp_overwrite_replaces_a_directory_with_a_file() {
    running c1
    run_engine exec c1 mkdir -p /tmp/d/sub
    echo f >d
    run_engine 125 cp d c1:/tmp/
    is "$output" "Error: .*file exists.*"
    run_engine cp --overwrite d c1:/tmp/
    run_engine exec c1 cat /tmp/d
    is "$output" f
}

test_cp_created_and_exited_containers() {
    run_engine create --name created $IMAGE true
    echo host >hf
    run_engine cp hf created:/tmp/hf
    run_engine cp created:/tmp/hf back
    is "$(cat back)" host
    run_engine run --name exited $IMAGE true
    run_engine cp exited:/etc/compat-release fromexited
    is "$(cat fromexited)" "compat image"
    run_engine cp hf exited:/hf2
    run_engine start -a exited
    run_engine cp exited:/hf2 back2
    is "$(cat back2)" host
}

test_cp_never_follows_a_symlink_out_of_the_container() {
    running c1
    mkdir -p hostdir
    echo HOSTSECRET >hostsecret
    echo payload >hf
    run_engine exec c1 sh -c "ln -s $PWD/hostdir /tmp/evil; ln -s $PWD/hostsecret /tmp/secret; ln -s ../../../../../../..$PWD/hostsecret /tmp/rel"
    run_engine 125 cp hf c1:/tmp/evil/
    is "$output" 'Error: "/tmp/evil/" could not be found on container c1: no such file or directory'
    is "$(ls hostdir)" "" "nothing was written on the host"
    run_engine 125 cp c1:/tmp/secret out
    is "$output" 'Error: "/tmp/secret" could not be found on container c1: no such file or directory'
    run_engine 125 cp c1:/tmp/rel out
    [ ! -e out ] || die "a host file was copied out through a symlink: $(cat out)"
}

test_cp_errors() {
    running c1
    run_engine 125 cp nosuch:/x .
    is "$output" 'Error: container "nosuch" does not exist'
    run_engine 125 cp c1:/nonexist .
    is "$output" 'Error: "/nonexist" could not be found on container c1: no such file or directory'
}

test_container_cp_is_cp() {
    running c1
    run_engine container cp c1:/etc/compat-release cc
    is "$(cat cc)" "compat image"
}

run_tests "$@"
