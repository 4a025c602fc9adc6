#!/bin/bash
# bench/exec.sh: how much `guardfs exec` adds to a command's start-up.
#
# Mounts a scratch folder with private XDG directories, then times N runs
# each of a bare `true`, `guardfs exec -- true` and `guardfs exec
# --network=no -- true` in it, and prints the medians and what exec adds
# (the target: under 50 ms). Uses hyperfine when it is installed (Debian's
# `hyperfine` package), else a loop timed with $EPOCHREALTIME.
#
#   bench/exec.sh [--runs N] [--guardfs BIN]
set -euo pipefail

runs=100
here=$(cd "$(dirname "$0")" && pwd)
guardfs=${GUARDFS:-$here/../build/guardfs}
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=$2; shift 2 ;;
	--guardfs) guardfs=$2; shift 2 ;;
	-h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "usage: bench/exec.sh [--runs N] [--guardfs BIN]" >&2; exit 2 ;;
	esac
done
guardfs=$(realpath "$guardfs")
command -v bwrap >/dev/null || { echo "bench/exec.sh: bwrap missing (apt install bubblewrap)" >&2; exit 1; }

W=$(mktemp -d /tmp/gfs-bench-exec.XXXXXX)
export HOME=$W/home XDG_STATE_HOME=$W/state XDG_DATA_HOME=$W/data
export XDG_CONFIG_HOME=$W/config XDG_RUNTIME_DIR=$W/run
mkdir -p "$HOME" "$W/root"
mkdir -p -m 0700 "$XDG_RUNTIME_DIR"
cleanup() {
	cd /
	"$guardfs" umount "$W/root" >/dev/null 2>&1 || true
	rm -rf "$W"
}
trap cleanup EXIT
"$guardfs" mount "$W/root" >/dev/null
cd "$W/root"

true_bin=$(command -v true | grep / || echo /bin/true)
true_bin=${true_bin:-/bin/true}
[ -x "$true_bin" ] || true_bin=/bin/true

if command -v hyperfine >/dev/null; then
	hyperfine -N --warmup 5 --runs "$runs" "$true_bin" \
		"$guardfs exec -- $true_bin" "$guardfs exec --network=no -- $true_bin"
	exit 0
fi

# median_ms CMD...: runs CMD $runs times, prints the median in ms
median_ms() {
	local i t0 t1 times=()
	for ((i = 0; i < 5; i++)); do "$@" >/dev/null; done # warm up
	for ((i = 0; i < runs; i++)); do
		t0=$EPOCHREALTIME
		"$@" >/dev/null
		t1=$EPOCHREALTIME
		times+=("$(echo "$t1 - $t0" | sed 's/,/./g')")
	done
	printf '%s\n' "${times[@]}" | python3 -c '
import statistics, sys
v = [eval(l) * 1000 for l in sys.stdin if l.strip()]
print("%.1f" % statistics.median(v))'
}

bare=$(median_ms "$true_bin")
exec_ms=$(median_ms "$guardfs" exec -- "$true_bin")
nonet=$(median_ms "$guardfs" exec --network=no -- "$true_bin")
added=$(python3 -c "print('%.1f' % ($exec_ms - $bare))")
added_nonet=$(python3 -c "print('%.1f' % ($nonet - $bare))")
echo "median of $runs runs, $(nproc) CPUs, $(uname -r), bubblewrap $(bwrap --version | cut -d' ' -f2)"
echo
echo "| command | median ms | added ms |"
echo "|---|---:|---:|"
echo "| true | $bare | |"
echo "| guardfs exec -- true | $exec_ms | $added |"
echo "| guardfs exec --network=no -- true | $nonet | $added_nonet |"
python3 -c "import sys; sys.exit(0 if $added < 50 else 1)" ||
	{ echo "guardfs exec adds ${added} ms: over the 50 ms target" >&2; exit 1; }
