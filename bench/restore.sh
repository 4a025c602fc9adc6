#!/usr/bin/env bash
# bench/restore.sh: how long undoing a disaster takes, and what the store
# costs in disk. Guards an empty folder in place, extracts /usr/include into
# it (every file snapshotted), deletes the tree, and times
#   - guardfs restore --all while mounted (writes go through the mount and
#     are recorded as one restore),
#   - the same restore with the folder unmounted,
# each checked byte for byte (and modes, symlinks) against the tarball.
# Also compares the store's size after the extract with a plain
# `git add -A && git commit` of the same tree.
#
#   bench/restore.sh [--runs N] [--guardfs BIN] [--workdir DIR] [--quick]
#
# Needs root (it drops the page cache before each timing).
set -uo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
RUNS=3
GUARDFS_BIN=${GUARDFS:-$REPO_DIR/build/guardfs}
WORKDIR=/var/tmp/gfs-bench-restore
QUICK=0

usage() {
	cat <<EOF
usage: bench/restore.sh [--runs N] [--guardfs BIN] [--workdir DIR] [--quick]
  --runs N        runs; the median is reported (default $RUNS)
  --guardfs BIN   guardfs binary (default: \$GUARDFS or build/guardfs)
  --workdir DIR   scratch dir, created and removed (default $WORKDIR)
  --quick         1 run on a 1200-entry part of /usr/include (smoke test)
EOF
}

while (($#)); do
	case $1 in
	--runs) RUNS=$2; shift 2 ;;
	--guardfs) GUARDFS_BIN=$2; shift 2 ;;
	--workdir) WORKDIR=$2; shift 2 ;;
	--quick) QUICK=1; RUNS=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) echo "restore.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "restore.sh: --runs must be a positive integer" >&2; exit 2; }
((EUID == 0)) || { echo "restore.sh: must run as root (drop_caches)" >&2; exit 2; }
[[ -x $GUARDFS_BIN ]] || { echo "restore.sh: no guardfs at $GUARDFS_BIN (build it, or --guardfs)" >&2; exit 2; }
case $WORKDIR in /|/var|/var/tmp|/tmp|"") echo "restore.sh: refusing work dir '$WORKDIR'" >&2; exit 2 ;; esac

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "error: $*"; exit 1; }

ROOT=$WORKDIR/root
CFG=$WORKDIR/guardfs.ini
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if mountpoint -q "$ROOT" 2>/dev/null; then
		"$GUARDFS_BIN" umount "$ROOT" >/dev/null 2>&1 || umount -l "$ROOT"
	fi
	[[ -f $WORKDIR/.gfs-bench && -z ${KEEP:-} ]] && rm -rf --one-file-system "$WORKDIR"
	exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

if [[ -e $WORKDIR ]]; then
	[[ -f $WORKDIR/.gfs-bench ]] || die "$WORKDIR exists and is not a bench work dir"
	mountpoint -q "$ROOT" && die "$ROOT is mounted (an earlier run?)"
	rm -rf --one-file-system "$WORKDIR"
fi
mkdir -p "$WORKDIR/home" && touch "$WORKDIR/.gfs-bench" || die "cannot create $WORKDIR"
export HOME=$WORKDIR/home XDG_RUNTIME_DIR=$WORKDIR/run
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=$WORKDIR/home/.gitconfig
printf '[user]\n\tname = bench\n\temail = bench@example.invalid\n[gc]\n\tauto = 0\n' >"$GIT_CONFIG_GLOBAL"

# The tree: /usr/include, or a part of it for --quick.
TAR=$WORKDIR/tree.tar
if ((QUICK)); then
	(cd /usr && find include -maxdepth 2 | head -1200 | tar -cf "$TAR" --no-recursion -T -)
else
	tar -C /usr -cf "$TAR" include
fi
mkdir -p "$WORKDIR/ref" && tar -C "$WORKDIR/ref" -xf "$TAR"
ENTRIES=$(find "$WORKDIR/ref/include" | wc -l)
FILES=$(find "$WORKDIR/ref/include" -type f | wc -l)

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc; }
cold() { sync; echo 3 >/proc/sys/vm/drop_caches; }
same_as_ref() {   # contents, modes and symlink targets equal to the tarball
	diff -r --no-dereference "$WORKDIR/ref/include" "$ROOT/include" >/dev/null &&
		[[ $(cd "$WORKDIR/ref" && find include -printf '%p %y %m\n' | sort | md5sum) == \
			$(cd "$ROOT" && find include -printf '%p %y %m\n' | sort | md5sum) ]]
}
head_id() { git -C "$WORKDIR/store.git" rev-parse HEAD; }
median() { sort -n | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }

# timed_restore WHAT: restores the extracted tree from a cold cache,
# checks it, prints the seconds it took.
timed_restore() {
	local t0 t1
	cold
	t0=$(now)
	"$GUARDFS_BIN" restore -c "$CFG" --all --at "$extracted" >"$WORKDIR/restore.out" ||
		die "$1 restore failed (see $WORKDIR/restore.out)"
	t1=$(now)
	same_as_ref || die "the $1 restore differs from the tarball"
	elapsed "$t0" "$t1"
}

declare -a T_EXTRACT T_RESTORE_MNT T_RESTORE_UNMNT
for run in $(seq 1 "$RUNS"); do
	log "run $run/$RUNS"
	rm -rf "$ROOT" "$WORKDIR/store.git" "$WORKDIR/audit.jsonl"
	mkdir -p "$ROOT"
	# (the breaker off: the rm -rf it restores from would trip it)
	printf '[guard]\nroot = %s\n[snapshot]\nstore = %s\n[audit]\npath = %s\n[limits]\ndeletes_per_minute = 0\ndelete_fraction = 0\n' \
		"$ROOT" "$WORKDIR/store.git" "$WORKDIR/audit.jsonl" >"$CFG"
	chmod 600 "$CFG"
	"$GUARDFS_BIN" mount -c "$CFG" >/dev/null || die "mount failed"

	cold
	t0=$(now)
	tar -C "$ROOT" -xf "$TAR" 2>/dev/null
	t1=$(now)
	T_EXTRACT+=("$(elapsed "$t0" "$t1")")
	"$GUARDFS_BIN" log -c "$CFG" -n 1 >/dev/null || die "log failed"
	same_as_ref || die "the extract through the mount differs from the tarball"
	extracted=$(head_id)
	if ((run == 1)); then
		STORE_KB=$(du -sk "$WORKDIR/store.git" | cut -f1)
	fi

	# Mounted: the agent deletes the tree, the user restores it.
	rm -rf "$ROOT/include"
	"$GUARDFS_BIN" log -c "$CFG" -n 1 >/dev/null
	T_RESTORE_MNT+=("$(timed_restore mounted)") || exit 1

	# Unmounted: the same deletion, restored while nothing is mounted.
	rm -rf "$ROOT/include"
	"$GUARDFS_BIN" log -c "$CFG" -n 1 >/dev/null
	"$GUARDFS_BIN" umount "$ROOT" >/dev/null || die "umount failed"
	T_RESTORE_UNMNT+=("$(timed_restore unmounted)") || exit 1
done

# The same tree in a plain git repository, loose objects as `git add` writes them.
PLAIN=$WORKDIR/plain
mkdir -p "$PLAIN" && tar -C "$PLAIN" -xf "$TAR"
git -C "$PLAIN" init -q && git -C "$PLAIN" add -A && git -C "$PLAIN" commit -qm tree
PLAIN_KB=$(du -sk "$PLAIN/.git" | cut -f1)

m_extract=$(printf '%s\n' "${T_EXTRACT[@]}" | median)
m_mnt=$(printf '%s\n' "${T_RESTORE_MNT[@]}" | median)
m_unmnt=$(printf '%s\n' "${T_RESTORE_UNMNT[@]}" | median)
cat <<EOF

# guardfs restore bench ($(date -u +%FT%TZ), $(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null))

tree: $FILES files ($ENTRIES entries) of /usr/include; runs: $RUNS (median)

| measure | value |
|---|---:|
| extract into the guarded folder, snapshots on | $(printf '%.3f' "$m_extract") s |
| restore --all after rm -rf, mounted | $(printf '%.3f' "$m_mnt") s |
| restore --all after rm -rf, unmounted | $(printf '%.3f' "$m_unmnt") s |
| store after the extract | $((STORE_KB / 1024)).$(((STORE_KB % 1024) * 10 / 1024)) MiB |
| plain git add + commit of the tree | $((PLAIN_KB / 1024)).$(((PLAIN_KB % 1024) * 10 / 1024)) MiB |
| store / plain git | $(echo "scale=2; $STORE_KB / $PLAIN_KB" | bc)x |
EOF
