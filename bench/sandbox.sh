#!/usr/bin/env bash
# bench/sandbox.sh: what running inside `guardfs exec` costs the work itself.
# Guards an empty folder with the defaults, puts the inputs in it, and
# times each workload twice per run on the same mount: straight in the
# folder, and inside `guardfs exec -- bash -c ...`. The time is taken
# inside bash around the workload alone, so the sandbox's start-up
# (bench/exec.sh measures it) is left out; what remains is what the
# sandbox adds to the work: its mount namespace, its bind of the mount.
#
#   bench/sandbox.sh [--runs N] [--guardfs BIN] [--workdir DIR]
#
# Needs root (it drops the page cache before the cold workload).
set -uo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/env-lib.sh
. "$BENCH_DIR/env-lib.sh"
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
RUNS=5
GUARDFS_BIN=${GUARDFS:-$REPO_DIR/build/guardfs}
WORKDIR=/var/tmp/gfs-bench-sandbox

usage() {
	cat <<EOF
usage: bench/sandbox.sh [--runs N] [--guardfs BIN] [--workdir DIR]
  --runs N        runs; the median is reported (default $RUNS)
EOF
	bench_common_usage
}

while (($#)); do
	case $1 in
	--runs) RUNS=$2; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) bench_common_option "$@" || { usage >&2; exit 2; }; shift 2 ;;
	esac
done

bench_preflight sandbox.sh
command -v bwrap >/dev/null || { echo "bench/sandbox.sh: install bubblewrap" >&2; exit 1; }

bench_private_xdg "$WORKDIR" || exit 1
# The rm-rf workload deletes a whole tree: the breaker counts, far from
# its limits, so what is timed is its cost, never a freeze.
mkdir -p "$XDG_CONFIG_HOME/guardfs"
printf '[limits]\ndeletes_per_minute = 1000000000\nrenames_per_minute = 1000000000\ndelete_fraction = 1\n' \
	>"$XDG_CONFIG_HOME/guardfs/config.ini"
chmod 600 "$XDG_CONFIG_HOME/guardfs/config.ini"
ROOT=$WORKDIR/root
mkdir "$ROOT"
cleanup() {
	cd /
	grep -q " $ROOT fuse.guardfs " /proc/mounts &&
		"$GUARDFS_BIN" umount "$ROOT" >/dev/null 2>&1
	rm -rf "$WORKDIR"
}
trap cleanup EXIT

"$GUARDFS_BIN" mount "$ROOT" >/dev/null || exit 1
cd "$ROOT" || exit 1
# The inputs live in the guarded folder, read alike by both ways.
mkdir input
tar -C /usr -cf input/tree.tar include
"$BENCH_DIR/gen-sql.sh" 1000 >input/tx.sql
"$BENCH_DIR/gen-cproj.sh" cproj 100 >/dev/null && tar -cf input/cproj.tar cproj && rm -rf cproj

declare -A WORK=(
	[extract]='tar -xf input/tree.tar'
	[git-commit]='cd include && git init -q && git add -A && git -c user.name=b -c user.email=b@b commit -q -m b'
	[git-status]='cd include && git status --porcelain >/dev/null'
	[grep]='grep -rn -e fsync include >/dev/null; [ $? -le 1 ]'
	[rm-rf]='rm -rf include'
	[sqlite]='sqlite3 bench.db <input/tx.sql >/dev/null && rm -f bench.db'
	[make]='tar -xf input/cproj.tar && make -s -j2 -C cproj && rm -rf cproj'
)
ORDER=(extract git-commit git-status grep rm-rf sqlite make)

# timed WAY WORKLOAD: prints the seconds the workload took, inside bash.
timed() {
	local script='s=$EPOCHREALTIME; eval "$1" || exit 1; e=$EPOCHREALTIME
		echo "$s $e"'
	if [ "$1" = exec ]; then
		"$GUARDFS_BIN" exec -- bash -c "$script" _ "${WORK[$2]}"
	else
		bash -c "$script" _ "${WORK[$2]}"
	fi | awk 'END { if (NF == 2) printf "%.4f\n", $2 - $1; else print "FAIL" }'
}

declare -A T
for ((r = 1; r <= RUNS; r++)); do
	# alternate which way goes first, so drift is shared
	if ((r % 2)); then ways=(direct exec); else ways=(exec direct); fi
	for way in "${ways[@]}"; do
		for w in "${ORDER[@]}"; do
			[ "$w" = git-status ] && { sync; echo 3 >/proc/sys/vm/drop_caches; }
			T[$way,$w]+="$(timed "$way" "$w") "
		done
		echo "run $r $way done" >&2
	done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR] = $1} END { print (a[int((NR + 1) / 2)]) }'; }
echo "| workload | direct (s) | inside guardfs exec (s) | ratio |"
echo "|---|---:|---:|---:|"
td=0 te=0
for w in "${ORDER[@]}"; do
	d=$(median <<<"${T[direct,$w]}")
	e=$(median <<<"${T[exec,$w]}")
	if [[ $d == FAIL || $e == FAIL ]]; then
		echo "| $w | $d | $e | failed |"
		continue
	fi
	td=$(awk -v a="$td" -v b="$d" 'BEGIN { print a + b }')
	te=$(awk -v a="$te" -v b="$e" 'BEGIN { print a + b }')
	awk -v w="$w" -v d="$d" -v e="$e" 'BEGIN { printf "| %s | %.3f | %.3f | %.3fx |\n", w, d, e, e / d }'
done
awk -v d="$td" -v e="$te" 'BEGIN { printf "| **total** | %.3f | %.3f | **%.3fx** |\n", d, e, e / d }'
