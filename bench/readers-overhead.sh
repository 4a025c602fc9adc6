#!/usr/bin/env bash
# bench/readers-overhead.sh OLD_BIN NEW_BIN [RUNS]: what judging readable
# handles again costs (fs/read_check.c). Under passthrough every file
# opened for reading is looked at again at its close, and scanned if it
# changed since it was opened: git's objects (written through O_RDWR
# temporary files) and sqlite's database and rollback journal are the
# workloads that pay. Both builds, alternating, guard an empty folder in
# place (defaults, the breaker far from its limits) and time `git init &&
# git add -A && git commit` of /usr/include, 1000 sqlite transactions
# (bench/gen-sql.sh) and `grep -r` of the tree. Prints min and median
# per build and workload: wall seconds and the daemon's CPU seconds
# (steadier on a busy machine). Each timing ends once the store has
# recorded everything (`log -n 1 .`). Root only. Any change to the
# store's write side can be weighed with it too (session 15 did).
# GFS_BENCH_DIR=/dev/shm/x runs it on tmpfs.
set -euo pipefail
. "$(dirname "$0")/ab-lib.sh"
OLD=$(readlink -f "$1") NEW=$(readlink -f "$2") RUNS=${3:-5}
SQL_GEN=$(readlink -f "$(dirname "$0")/gen-sql.sh")
W=${GFS_BENCH_DIR:-/var/tmp/gfs-bench-readers}
rm -rf "$W"
mkdir -p "$W"
export HOME=$W/home XDG_DATA_HOME=$W/data XDG_STATE_HOME=$W/state
export XDG_CONFIG_HOME=$W/config XDG_RUNTIME_DIR=$W/run
trap 'rm -rf "$W"' EXIT
tar -C /usr -cf "$W/include.tar" include
"$SQL_GEN" 1000 >"$W/txns.sql"
now() { date +%s.%N; }
one() { # BIN: prints "git sqlite grep" wall seconds, then the daemon's CPU
	local bin=$1 r=$W/root t0 t1 t2 t3 pid c0 c1 c2 c3
	ab_fresh "$r"
	tar -C "$r" -xf "$W/include.tar"
	pid=$(ab_mount "$bin" "$r")
	cd "$r"
	c0=$(ab_cpu "$pid")
	t0=$(now)
	git init -q && git add -A && git -c user.name=b -c user.email=b@b commit -qm x
	"$bin" log -n 1 . >/dev/null
	t1=$(now)
	c1=$(ab_cpu "$pid")
	sqlite3 db.sqlite <"$W/txns.sql" >/dev/null
	"$bin" log -n 1 . >/dev/null
	t2=$(now)
	c2=$(ab_cpu "$pid")
	grep -r -c zzqx include >/dev/null || true
	t3=$(now)
	c3=$(ab_cpu "$pid")
	cd /
	"$bin" umount "$r" >/dev/null
	echo "$(echo "$t1 - $t0" | bc) $(echo "$t2 - $t1" | bc) $(echo "$t3 - $t2" | bc)" \
		"$(echo "$c1 - $c0" | bc) $(echo "$c2 - $c1" | bc) $(echo "$c3 - $c2" | bc)"
}
ab_alternate "$RUNS" "$OLD" "$NEW" one "$W/raw"
ab_summary "$W/raw" "git commit" "sqlite 1000" "grep -r" "git CPU" "sqlite CPU" "grep CPU"
