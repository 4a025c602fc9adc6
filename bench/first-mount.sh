#!/usr/bin/env bash
# bench/first-mount.sh: the first mount of a folder, builds alternating
# (issue 12). See bench/README.md.
#
#   bench/first-mount.sh [--rounds N] [--cold] DIR LABEL=BIN...
#
# Mounts DIR in place with each BIN in turn, N rounds (default 3), each
# time with a fresh store (HOME and the XDG directories in a scratch
# directory), and prints per mount the load average before it, the
# seconds until `guardfs mount` returned (the session's first commit,
# every file read) and the daemon's CPU seconds by then; then unmounts.
# --cold drops the page cache (sync; echo 3 >/proc/sys/vm/drop_caches)
# before each mount, so that the folder is read from the disk: this
# drops the whole machine's cache, which slows whatever else runs there
# for a moment. bench/scale-fds.sh --keep leaves the kernel tree at
# /var/tmp/gfs-scale/pristine/tree. Needs root.
set -uo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/env-lib.sh
. "$BENCH_DIR/env-lib.sh"

ROUNDS=3
COLD=
usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; }
while (($#)); do
	case $1 in
	--rounds) ROUNDS=$2; shift 2 ;;
	--cold) COLD=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) break ;;
	esac
done
(($# >= 2)) || { usage >&2; exit 2; }
DIR=$(realpath "$1")
shift
[ -d "$DIR" ] || { echo "first-mount.sh: no directory $DIR" >&2; exit 2; }

SCRATCH=$(mktemp -d /var/tmp/gfs-first-mount.XXXXXX)
BIN=
cleanup() {
	mountpoint -q "$DIR" && [ -n "$BIN" ] && "$BIN" umount "$DIR" >/dev/null
	rm -rf "$SCRATCH"
}
trap cleanup EXIT

echo "| round | build | load | first mount s | daemon CPU s |"
echo "|---|---|---:|---:|---:|"
for round in $(seq "$ROUNDS"); do
	for target in "$@"; do
		label=${target%%=*}
		BIN=${target#*=}
		rm -rf "${SCRATCH:?}/home"
		bench_private_xdg "$SCRATCH/home"
		sync
		[ -z "$COLD" ] || echo 3 >/proc/sys/vm/drop_caches
		load=$(cut -d' ' -f1 /proc/loadavg)
		t0=$(bench_now)
		"$BIN" mount "$DIR" >/dev/null || { echo "$label: mount failed" >&2; continue; }
		t1=$(bench_now)
		pid=$("$BIN" status --json | python3 -c '
import json, sys
for m in json.load(sys.stdin)["mounts"]:
    if m["mountpoint"] == sys.argv[1]: print(m["pid"])' "$DIR")
		cpu=$(awk '{printf "%.1f", ($14 + $15) / 100}' "/proc/$pid/stat")
		echo "| $round | $label | $load | $(bench_secs "$t0" "$t1" 1) | $cpu |"
		"$BIN" umount "$DIR" >/dev/null
	done
done
