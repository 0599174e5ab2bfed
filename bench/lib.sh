# What the bench/ scripts share. Source it after `work` (a scratch directory) is set.

# The median of the numbers on stdin, one a line.
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# Wall time of a command in microseconds. A failed command stops the benchmark: its time is
# not a figure. (This runs inside $(...), where set -e does not reach, so it signals the script
# itself, whose TERM trap exits non-zero.)
time_us() {
  local s e; s=$(date +%s%N)
  if ! "$@" >/dev/null 2>"$work/last.err"; then
    echo "bench: failed, so no figure: $*" >&2; cat "$work/last.err" >&2; kill -TERM $$; exit 1
  fi
  e=$(date +%s%N); echo $(( (e - s) / 1000 ))
}
trap 'exit 1' TERM
