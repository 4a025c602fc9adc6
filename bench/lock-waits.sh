#!/usr/bin/env bash
# bench/lock-waits.sh BIN OUT: where before() waits, per workload.
#
# BIN is a guardfs built with bench/lockstat.patch applied (`git apply
# bench/lockstat.patch`, RelWithDebInfo, then `git checkout snapshot/`):
# it counts, per store, how long request threads wait for tree_lock in
# gfs_store_preimage_check, for the queue and for captures, how long the
# worker holds the lock per job and per commit, and appends the counters
# to $GFS_LOCKSTAT (OUT here) at every flush (`guardfs log`) and at the
# unmount, then zeroes them. For each workload of $WLS (default: sqlite
# git-commit rm-rf) a fresh in-place mount of an empty folder (defaults,
# the breaker far from its limits): sqlite runs bench/gen-sql.sh 2000;
# git-commit adds and commits 9,000 entries of /usr/include extracted
# through the mount; rm-rf removes that tree with its .git. OUT gets a
# "== TIMED" line (wall, daemon CPU, load) and the counters of the timed
# part after it. PERF=1 also records the daemon with perf (call graphs)
# into GFS_BENCH_DIR/perf-WORKLOAD.data, kept. EXTRA_CFG adds lines to the
# config (EXTRA_CFG='[snapshot]\nenabled = no\n'). Root only.
set -euo pipefail
. "$(dirname "$0")/ab-lib.sh"
[ $# -eq 2 ] || { echo "usage: bench/lock-waits.sh BIN OUT" >&2; exit 2; }
BIN=$(readlink -f "$1")
OUT=$(readlink -f "$2")
M=${GFS_BENCH_DIR:-/var/tmp/gfs-lock-waits}
mkdir -p "$M"
r=$M/w
cleanup() {
	mountpoint -q "$r" && "$BIN" umount "$r" >/dev/null 2>&1
	rm -rf "$r" "$M/xdg" "$M/tree.tar" "$M/list" "$M/tx.sql"
	rmdir "$M" 2>/dev/null || true # kept when it holds perf data
}
trap cleanup EXIT
(cd /usr && find include -mindepth 1 | sort | head -9000) >"$M/list"
tar -C /usr -cf "$M/tree.tar" --no-recursion --transform 's,^include,tree,' \
	-T "$M/list"
"$(dirname "$0")/gen-sql.sh" 2000 >"$M/tx.sql"
export GFS_LOCKSTAT=$OUT
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@localhost
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@localhost
mnt() {
	local cfg
	rm -rf "$M/xdg"
	mkdir -p "$M/xdg/config/guardfs" "$M/xdg/data" "$M/xdg/state"
	mkdir -m 700 "$M/xdg/run"
	export HOME=$M/xdg XDG_CONFIG_HOME=$M/xdg/config XDG_DATA_HOME=$M/xdg/data
	export XDG_STATE_HOME=$M/xdg/state XDG_RUNTIME_DIR=$M/xdg/run
	cfg=$XDG_CONFIG_HOME/guardfs/config.ini
	printf '[limits]\ndeletes_per_minute = 1000000000\nrenames_per_minute = 1000000000\nbytes_written_per_minute = 1000T\ndelete_fraction = 1\n%b' \
		"${EXTRA_CFG:-}" >"$cfg"
	chmod 600 "$cfg"
	"$BIN" mount "$r" "$r" >/dev/null
	PID=$("$BIN" status --json | python3 -c '
import json, sys
print(json.load(sys.stdin)["mounts"][0]["pid"])')
}
drain() { (cd "$r" && "$BIN" log -n 1 .) >/dev/null 2>&1 || true; }
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{ print int(($14 + $15) * 1000 / hz) }' "/proc/$1/stat"; }
timed() { # NAME COMMAND: runs COMMAND in the mount, then drains the store
	local name=$1 t0 t1 c0 c1 pp=
	drain # the counters start here
	if [ -n "${PERF:-}" ]; then
		perf record -F 999 -g --call-graph dwarf,16384 -p "$PID" \
			-o "$M/perf-$name.data" >/dev/null 2>&1 &
		pp=$!
		sleep 1
	fi
	echo "##### $name $BIN" >>"$OUT"
	c0=$(cpu_ms "$PID")
	t0=$(date +%s.%N)
	(cd "$r" && eval "$2") >/dev/null 2>&1 || echo "FAILED $name" >>"$OUT"
	t1=$(date +%s.%N)
	c1=$(cpu_ms "$PID")
	echo "== TIMED $name wall $(echo "$t1 - $t0" | bc) s cpu $((c1 - c0)) ms load $(cut -d' ' -f1 /proc/loadavg)" |
		tee -a "$OUT"
	drain # and end here
	if [ -n "$pp" ]; then
		kill -INT "$pp"
		wait "$pp" || true
	fi
}
for wl in ${WLS:-sqlite git-commit rm-rf}; do
	rm -rf "$r"
	mkdir -p "$r"
	mnt
	case $wl in
	sqlite) timed sqlite 'sqlite3 bench.db < "$M/tx.sql"' ;;
	git-commit)
		(cd "$r" && tar -xf "$M/tree.tar" && cd tree && git init -q)
		timed git-commit 'cd tree && git add -A && git commit -q -m bench'
		;;
	rm-rf)
		(cd "$r" && tar -xf "$M/tree.tar" && cd tree && git init -q &&
			git add -A && git commit -q -m x)
		timed rm-rf 'rm -rf tree'
		;;
	*) echo "unknown workload $wl" >&2 ;;
	esac
	"$BIN" umount "$r" >/dev/null
	sleep 0.5
done
