#!/usr/bin/env bash
# version, info, system info, --help on commands, global --noout and --log-level.
. "$(dirname "$0")/lib.sh"

test_version() {
    run_engine version
    is "$(line "$output" 1)" "Client: +.*"
    assert "$output" =~ $'\n'"Version: +[0-9]+\.[0-9]+\.[0-9]+" "a Version: line"
    assert "$output" =~ $'\n'"OS/Arch: +linux/(amd64|arm64)" "an OS/Arch: line"
    run_engine version --format '{{.Client.Version}}'
    is "$output" "[0-9]+\.[0-9]+\.[0-9]+.*"
    run_engine version --format json
    assert "$output" =~ '"Client": ?\{' "JSON"
}

test_info() {
    run_engine info
    is "$(line "$output" 1)" "host:"
    assert "$output" =~ $'\n'"  arch: (amd64|arm64)" "host.arch"
    assert "$output" =~ $'\n'"store:" "a store section"
    run_engine info --format '{{.Host.Arch}} {{.Store.GraphDriverName}}'
    is "$output" "(amd64|arm64) overlay"
    run_engine system info --format '{{.Host.Arch}}'
    is "$output" "amd64|arm64"
    run_engine info --format json
    is "$(line "$output" 1)" "\{"
    assert "$output" =~ '"host": \{'
}

test_store_paths_in_info() {
    run_engine info --format '{{.Store.GraphRoot}} {{.Store.RunRoot}}'
    is "$output" "/tmp/compat-[a-z]+-[A-Za-z0-9]+/root /tmp/compat-[a-z]+-[A-Za-z0-9]+/run" "--root/--runroot"
}

test_noout_discards_stdout() {
    run_engine --noout create --name quiet $IMAGE true
    is "$output" ""
    run_engine container exists quiet
    run_engine 1 --noout rm nosuch
    is "$output" 'Error: no container with name or ID "nosuch" found: no such container' "errors still show"
}

test_log_level() {
    run_engine --log-level error ps -a --noheading
    is "$output" ""
    run_engine --log-level=warn ps -a --noheading
    is "$output" ""
    run_engine --separate-stderr --log-level debug ps -a --noheading
    is "$output" ""
    assert "$stderr" =~ '[Dd][Ee][Bb][Uu][Gg]' "debug messages on stderr"
    # podman 4.3.1 exits 1 here, without its usual "Error: " prefix
    run_engine 1 --log-level bogus ps
    is "$output" 'Log Level "bogus" is not supported, choose from: trace, debug, info, warn, warning, error, fatal, panic'
}

test_help_on_commands() {
    local cmd
    for cmd in run create start stop rm ps images rmi logs exec wait inspect cp commit pause \
        unpause volume restart rename attach top port diff export init stats events version info; do
        run_engine "$cmd" --help
        assert "$output" =~ "Usage:|USAGE:" "$cmd --help shows its usage"
    done
    run_engine rm --help
    assert "$output" =~ "--ignore" "rm --help names --ignore"
    assert "$output" =~ "--depend" "rm --help names --depend"
}

test_unknown_flag_exits_125() {
    run_engine 125 rm --no-such-flag x
    is "$output" "Error: unknown flag: --no-such-flag.*"
}

run_tests "$@"
