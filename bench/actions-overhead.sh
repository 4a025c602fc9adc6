#!/usr/bin/env bash
# bench/actions-overhead.sh OLD_BIN NEW_BIN [RUNS]: what actions add to
# the write side. Both builds, alternating, guard an empty folder in place
# (snapshots on, defaults) and time: tar extract of /usr/include, a
# rewrite of 2000 small files by one process, and rm -rf of the tree.
# Prints min and median seconds per build and workload, wall time and
# the daemon's CPU time (user + system, from /proc: steadier than wall
# time on a busy machine). Each timing ends once the store has recorded
# everything (`log -n 1 .`, one operation with either build). Root only.
# GFS_BENCH_DIR=/dev/shm/x runs it on tmpfs, where ext4's inode allocator
# (slow for a minute after a mass delete) adds no noise.
set -euo pipefail
. "$(dirname "$0")/ab-lib.sh"
OLD=$(readlink -f "$1") NEW=$(readlink -f "$2") RUNS=${3:-5}
W=${GFS_BENCH_DIR:-/var/tmp/gfs-bench-overhead}
rm -rf "$W"; mkdir -p "$W"
export HOME=$W/home XDG_DATA_HOME=$W/data XDG_STATE_HOME=$W/state
export XDG_CONFIG_HOME=$W/config XDG_RUNTIME_DIR=$W/run
trap 'rm -rf "$W"' EXIT
tar -C /usr -cf "$W/include.tar" include
now() { date +%s.%N; }
one() { # BIN: prints "extract rewrite rm" wall seconds, then the daemon's CPU
	local bin=$1 r=$W/root t0 t1 t2 t3 pid c0 c1 c2 c3
	ab_fresh "$r"
	pid=$(ab_mount "$bin" "$r")
	cd "$r"
	c0=$(ab_cpu "$pid"); t0=$(now); tar -xf "$W/include.tar"; "$bin" log -n 1 . >/dev/null; t1=$(now); c1=$(ab_cpu "$pid")
	python3 -c '
import os
os.makedirs("small", exist_ok=True)
for r in range(2):
    for i in range(1000):
        with open("small/f%04d" % i, "w") as f: f.write("round %d %d\n" % (r, i))'
	"$bin" log -n 1 . >/dev/null
	t2=$(now); c2=$(ab_cpu "$pid"); rm -rf include small; "$bin" log -n 1 . >/dev/null
	t3=$(now); c3=$(ab_cpu "$pid")
	cd /; "$bin" umount "$r" >/dev/null
	echo "$(echo "$t1 - $t0" | bc) $(echo "$t2 - $t1" | bc) $(echo "$t3 - $t2" | bc)" \
		"$(echo "$c1 - $c0" | bc) $(echo "$c2 - $c1" | bc) $(echo "$c3 - $c2" | bc)"
}
ab_alternate "$RUNS" "$OLD" "$NEW" one "$W/raw"
ab_summary "$W/raw" "extract" "rewrite 2000" "rm -rf" "extract CPU" "rewrite CPU" "rm -rf CPU"
