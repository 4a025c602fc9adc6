#!/usr/bin/env bash
# bench/rm-ab.sh RUNS BIN...: the cost of rm -rf through each build.
#
# For each run and each build in turn: guard an empty folder in place
# (defaults, the breaker counting but far from its limits), extract
# /usr/include into it, wait for the store, then time `rm -rf` until the
# store has recorded it, and read the daemon's CPU time from /proc.
# Prints the median and minimum wall and CPU time per build. Runs under
# GFS_BENCH_DIR (default /dev/shm/gfs-rm-ab: tmpfs, where ext4's slow
# reuse of freshly deleted inodes adds no noise). Root only.
set -euo pipefail
. "$(dirname "$0")/ab-lib.sh"
[ $# -ge 2 ] || { echo "usage: bench/rm-ab.sh RUNS BIN..." >&2; exit 2; }
RUNS=$1
shift
W=${GFS_BENCH_DIR:-/dev/shm/gfs-rm-ab}
rm -rf "$W"
mkdir -p "$W"
trap 'rm -rf "$W"' EXIT
tar -C /usr -cf "$W/include.tar" include
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{ print int(($14 + $15) * 1000 / hz) }' "/proc/$1/stat"; }

one() { # BIN: prints "wall_seconds cpu_ms"
	local bin=$1 r=$W/root pid t0 t1 c0 c1
	rm -rf "$r" "$W/xdg"
	mkdir -p "$r" "$W/xdg/config" "$W/xdg/data" "$W/xdg/state"
	mkdir -m 700 "$W/xdg/run"
	export HOME=$W/xdg XDG_CONFIG_HOME=$W/xdg/config XDG_DATA_HOME=$W/xdg/data
	export XDG_STATE_HOME=$W/xdg/state XDG_RUNTIME_DIR=$W/xdg/run
	pid=$(ab_mount "$bin" "$r")
	(
		cd "$r"
		tar -xf "$W/include.tar"
		"$bin" log -n 1 . >/dev/null
		sleep 1
		c0=$(cpu_ms "$pid")
		t0=$(date +%s.%N)
		rm -rf include
		"$bin" log -n 1 . >/dev/null
		t1=$(date +%s.%N)
		c1=$(cpu_ms "$pid")
		echo "$(echo "$t1 - $t0" | bc) $((c1 - c0))"
	)
	"$bin" umount "$r" >/dev/null
}

for _ in $(seq "$RUNS"); do
	for b in "$@"; do
		echo "$b $(one "$(readlink -f "$b")")"
	done
done | tee "$W/raw" >&2
python3 - "$W/raw" "$@" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if len(l.split()) == 3]
for b in sys.argv[2:]:
    w = [float(r[1]) for r in rows if r[0] == b]
    c = [float(r[2]) for r in rows if r[0] == b]
    print("%-40s wall med %.3f min %.3f s | daemon CPU med %.0f min %.0f ms (n=%d)"
          % (b, statistics.median(w), min(w), statistics.median(c), min(c), len(w)))
PY
