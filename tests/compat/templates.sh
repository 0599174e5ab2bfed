#!/usr/bin/env bash
# Go templates on every --format podman gives one: podman's field names, the `table` prefix
# with headers, podman's added functions, range/if, nested fields; --format json stays.
. "$(dirname "$0")/lib.sh"

test_inspect_nested_fields() {
    run_engine 7 run --name t1 -e FOO=bar --label a=b $IMAGE sh -c 'exit 7'
    run_engine inspect t1 --format '{{.State.ExitCode}}|{{.Name}}|{{.State.Status}}|{{.State.Running}}|{{.Config.Image}}|{{.ImageName}}'
    is_lit "$output" "7|t1|exited|false|$IMAGE|$IMAGE"
    run_engine inspect t1 --format '{{.Config.Env}}'
    is "$output" '\[.*FOO=bar.*\]' "a list prints as [a b c]"
    run_engine inspect t1 --format '{{index .Config.Labels "a"}} {{len .Config.Cmd}}'
    is "$output" "b 3"
}

test_template_functions_podman_adds() {
    run_engine 7 run --name tf --label a=b $IMAGE sh -c 'exit 7'
    run_engine inspect tf --format '{{json .Config.Labels}}|{{upper .Name}}|{{lower "ABC"}}|{{title "hello world"}}|{{truncate .Name 1}}|{{join .Config.Cmd ","}}|{{split "a:b:c" ":"}}'
    is_lit "$output" '{"a":"b"}|TF|abc|Hello World|t|sh,-c,exit 7|[a b c]'
}

test_template_range_if_printf() {
    run_engine 7 run --name tr $IMAGE sh -c 'exit 7'
    run_engine inspect tr --format '{{range .Config.Cmd}}<{{.}}>{{end}}|{{if eq .State.ExitCode 7}}seven{{else}}other{{end}}|{{printf "%05d" .State.ExitCode}}|{{range $i, $c := .Config.Cmd}}{{$i}}{{end}}'
    is_lit "$output" '<sh><-c><exit 7>|seven|00007|012'
}

test_container_and_image_inspect_formats() {
    run_engine create --name ci $IMAGE true
    run_engine container inspect ci --format '{{.Name}} {{.State.Status}}'
    is "$output" "ci created"
    run_engine image inspect $IMAGE --format '{{.RepoTags}} {{.Os}} {{.Architecture}}'
    is "$output" "\[$IMAGE\] linux (amd64|arm64)"
    run_engine image inspect $IMAGE_CONF --format '{{.Config.WorkingDir}} {{.Config.Env}} {{.Config.Labels}} {{.Config.Cmd}}'
    is "$output" '/srv \[COMPAT_ENV=fromimage\] map\[compat.label:imagelabel\] \[/bin/sh\]'
}

test_ps_format_fields_and_table() {
    run_engine run -d --name pf --label app=web $IMAGE sleep 100
    local id=$output
    run_engine ps --format '{{.ID}} {{.Names}} {{.Image}} {{.Command}} {{.Labels}}'
    is "$output" "${id:0:12} pf $IMAGE sleep 100 map\[app:web\]"
    run_engine ps --format '{{.Status}}'
    is "$output" "Up .*"
    run_engine ps --format 'table {{.ID}} {{.Names}}'
    is "$(line "$output" 1)" "CONTAINER ID +NAMES" "the table header"
    is "$(line "$output" 2)" "${id:0:12} +pf"
    run_engine ps --format 'table {{.Names}} {{.Status}} {{.Image}}'
    is "$(line "$output" 1)" "NAMES +STATUS +IMAGE"
}

test_images_format_fields_and_table() {
    run_engine images --format '{{.Repository}}:{{.Tag}} {{.Labels}}' $IMAGE_CONF
    is "$output" "$IMAGE_CONF map\[compat.label:imagelabel\]"
    run_engine images --format '{{.ID}} {{.Size}}' $IMAGE
    is "$output" "[0-9a-f]{12} [0-9.]+ [kMG]?B"
    run_engine images --format 'table {{.Repository}} {{.Tag}}' $IMAGE
    is "$output" "REPOSITORY +TAG"$'\n'"localhost/compat +latest"
    run_engine images --format 'table {{.ID}} {{.Size}}' $IMAGE
    is "$(line "$output" 1)" "IMAGE ID +SIZE"
}

test_history_format() {
    run_engine history --format '{{.ID}}' $IMAGE
    is "$output" "[0-9a-f]{12}"
    run_engine history --format 'table {{.ID}} {{.CreatedBy}}' $IMAGE
    is "$(line "$output" 1)" "ID +CREATED BY"
}

test_version_and_info_format() {
    run_engine version --format '{{.Client.OsArch}}'
    is "$output" "linux/(amd64|arm64)"
    run_engine version --format '{{.Client.Version}}'
    is "$output" "[0-9]+\.[0-9]+\.[0-9]+.*"
    run_engine info --format '{{.Store.GraphDriverName}} {{.Store.ImageStore.Number}}'
    is "$output" "overlay 3"
    run_engine create --name inf $IMAGE true
    run_engine info --format '{{.Store.ContainerStore.Number}}'
    is "$output" "1"
}

test_volume_ls_format_and_table() {
    run_engine volume create vf
    run_engine volume ls --format '{{.Name}} {{.Driver}}'
    is "$output" "vf local"
    run_engine volume ls --format 'table {{.Name}} {{.Driver}}'
    is "$output" "VOLUME NAME +DRIVER"$'\n'"vf +local"
    run_engine volume ls --format 'table {{.Name}} {{.Driver}}' --noheading
    is "$output" "vf +local"
}

test_system_df_format() {
    run_engine system df --format '{{.Type}} {{.Total}}'
    is "$output" "Images 3"$'\n'"Containers 0"$'\n'"Local Volumes 0"
    run_engine system df --format 'table {{.Type}} {{.Total}}'
    is "$(line "$output" 1)" "TYPE +TOTAL"
}

test_format_json_stays() {
    run_engine create --name fj $IMAGE true
    run_engine ps -a --format json
    is "$output" '\[.*"Names": \[.*"fj".*'
    run_engine images --format json $IMAGE
    is "$output" '\[.*"Names": \[.*"localhost/compat:latest".*'
    run_engine inspect --format json fj
    is "$output" '\[.*"Name": "fj".*'
    run_engine volume create vj
    run_engine volume ls --format json
    is "$output" '\[.*"Name": "vj".*'
}

test_bad_template_is_an_error() {
    run_engine create --name bt $IMAGE true
    run_engine 125 inspect bt --format '{{.NoSuchField}}'
    is "$output" "Error: .*NoSuchField.*"
    run_engine 125 inspect bt --format '{{.State.ExitCode'
    is "$output" "Error: .*template.*"
}

run_tests "$@"
