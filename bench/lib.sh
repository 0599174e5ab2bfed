# What the bench/ scripts share. Source it first, then call `scratch`.

# scratch: a scratch directory in $work, removed at exit with whatever is still mounted under
# it (rpod's overlays, podman's store). podman makes /run/containers/networks whatever its
# configuration says: removed again if it was not there before (and is empty).
scratch() {
  work=$(mktemp -d)
  if [ -e /run/containers ]; then scratch_run_containers=kept; else scratch_run_containers=ours; fi
  trap scratch_cleanup EXIT
}
scratch_cleanup() {
  awk -v w="$work/" 'index($5, w) == 1 { print $5 }' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l
  rm -rf "$work"
  if [ "$scratch_run_containers" = ours ]; then rmdir /run/containers/networks /run/containers 2>/dev/null || true; fi
}

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

# interleave RUNS STEP...: runs every step RUNS times, interleaved. Each round runs each step
# once, starting from a different step each round, so neither the order nor load that comes
# and goes favours one of them. A step is a function `step_NAME` (given the round number) that
# prints one number; its numbers go to the array `res_NAME`. A step that fails or prints
# anything but a number stops the benchmark.
interleave() {
  local runs=$1; shift
  local steps=("$@") k=$# r j s v
  for s in "${steps[@]}"; do eval "res_$s=()"; done
  for ((r = 0; r < runs; r++)); do
    for ((j = 0; j < k; j++)); do
      s=${steps[$(((r + j) % k))]}
      if ! v=$("step_$s" "$r"); then
        echo "bench: step $s failed in round $((r + 1)), so no figure" >&2; exit 1
      fi
      if ! [[ $v =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
        echo "bench: step $s printed '$v' in round $((r + 1)), not a number" >&2; exit 1
      fi
      eval "res_$s+=(\"\$v\")"
    done
  done
}

# med NAME: the median of step NAME's numbers.
med() { eval "printf '%s\n' \"\${res_$1[@]}\"" | median; }

# ratio A B: A / B.
ratio() { echo "$1 / $2" | bc -l; }

# row LABEL VALUE UNIT RATIO: one row of a Markdown table, as BENCHMARKS.md shows it.
row() { printf '| %s | %.1f %s | %.2fx |\n' "$1" "$2" "$3" "$4"; }

# The machine and its load, for the line above a table.
machine() {
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'),\
 $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r); load average $(cut -d' ' -f1-3 /proc/loadavg)"
}
