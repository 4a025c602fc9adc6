#!/usr/bin/env bash
# bench/umount.sh: how long `guardfs umount` takes after sustained writes,
# and whether a remount right after succeeds. Guards an empty folder in
# place (defaults: snapshots on), runs WRITERS processes that each rewrite
# 63 files of their own with new content as fast as they can for SECONDS,
# then times the unmount and a remount, and counts what the store left
# loose for the next session's packer.
#
#   bench/umount.sh [--seconds N] [--writers N] [--guardfs BIN] [--workdir DIR]
set -uo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/env-lib.sh
. "$BENCH_DIR/env-lib.sh"
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
SECONDS_OF_LOAD=45
WRITERS=8
GUARDFS_BIN=${GUARDFS:-$REPO_DIR/build/guardfs}
WORKDIR=/var/tmp/gfs-bench-umount

usage() {
	cat <<EOF
usage: bench/umount.sh [--seconds N] [--writers N] [--guardfs BIN] [--workdir DIR]
  --seconds N     how long the writers run (default $SECONDS_OF_LOAD)
  --writers N     writer processes (default $WRITERS)
EOF
	bench_common_usage
}

while (($#)); do
	case $1 in
	--seconds) SECONDS_OF_LOAD=$2; shift 2 ;;
	--writers) WRITERS=$2; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) bench_common_option "$@" || { usage >&2; exit 2; }; shift 2 ;;
	esac
done

bench_preflight umount.sh

bench_private_xdg "$WORKDIR" || exit 1
ROOT=$WORKDIR/root
mkdir "$ROOT"
cleanup() {
	grep -q " $ROOT fuse.guardfs " /proc/mounts &&
		"$GUARDFS_BIN" umount "$ROOT" >/dev/null 2>&1
	rm -rf "$WORKDIR"
}
trap cleanup EXIT

elapsed() { bench_secs "$1" "$2"; }
loose() { find "$1/objects" -path '*/pack' -prune -o -type f -print | wc -l; }

"$GUARDFS_BIN" mount "$ROOT" >/dev/null || exit 1
pids=()
for w in $(seq "$WRITERS"); do
	python3 - "$ROOT" "$SECONDS_OF_LOAD" "$w" <<'PY' &
import sys, time
root, seconds, w = sys.argv[1], float(sys.argv[2]), sys.argv[3]
end = time.time() + seconds
i = 0
while time.time() < end:
    with open(f"{root}/w{w}-{i % 63}", "w") as f:
        f.write(f"{w} {i} " * 50)
    i += 1
print(i)
PY
	pids+=($!)
done
for p in "${pids[@]}"; do
	wait "$p"
done
STORE=$(echo "$XDG_DATA_HOME"/guardfs/*.git)
echo "writers: $WRITERS for ${SECONDS_OF_LOAD}s; loose objects before umount: $(loose "$STORE")"
t0=$(bench_now)
"$GUARDFS_BIN" umount "$ROOT"
rc=$?
t1=$(bench_now)
echo "umount: exit $rc in $(elapsed "$t0" "$t1") s; loose objects left: $(loose "$STORE")"
t0=$(bench_now)
"$GUARDFS_BIN" mount "$ROOT" >/dev/null
rc=$?
t1=$(bench_now)
echo "remount: exit $rc in $(elapsed "$t0" "$t1") s"
