#!/usr/bin/env bash
# bench/bigfile.sh: what a change in place to a large file costs (issue
# 12): a SIZE file of random bytes, made before the mount, then WRITES
# write sessions that each overwrite 1 MiB at a random offset (dd
# conv=notrunc: open, write, close), on the native folder and through
# guardfs with its defaults (max_file_size 256M: the file is stored in
# chunks). For each write: the time dd takes (what the agent waits), the
# time until the store has recorded it (guardfs log flushes the store),
# and how much the store grew. The first write is reported apart: it sets
# the file's bytes aside and stores all of them.
#
#   bench/bigfile.sh [--size 2G] [--writes 20] [--unaligned]
#                    [--guardfs BIN] [--workdir DIR]
set -uo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/env-lib.sh
. "$BENCH_DIR/env-lib.sh"
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
SIZE=2G
WRITES=20
UNALIGNED=0
GUARDFS_BIN=${GUARDFS:-$REPO_DIR/build/guardfs}
WORKDIR=/var/tmp/gfs-bench-bigfile

usage() {
	cat <<EOF
usage: bench/bigfile.sh [--size 2G] [--writes N] [--unaligned] [--guardfs BIN] [--workdir DIR]
  --size SIZE     the file's size, as head -c takes it (default $SIZE)
  --writes N      write sessions after the first (default $WRITES)
  --unaligned     offsets 12,345 bytes past a MiB (default: whole MiB)
EOF
	bench_common_usage
}

while (($#)); do
	case $1 in
	--size) SIZE=$2; shift 2 ;;
	--writes) WRITES=$2; shift 2 ;;
	--unaligned) UNALIGNED=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) bench_common_option "$@" || { usage >&2; exit 2; }; shift 2 ;;
	esac
done

bench_preflight bigfile.sh

bench_private_xdg "$WORKDIR" || exit 1
ROOT=$WORKDIR/root
NATIVE=$WORKDIR/native
mkdir "$ROOT" "$NATIVE"
cleanup() {
	grep -q " $ROOT fuse.guardfs " /proc/mounts &&
		"$GUARDFS_BIN" umount "$ROOT" >/dev/null 2>&1
	rm -rf "$WORKDIR"
}
trap cleanup EXIT

secs() { bench_secs "$1" "$2" 3; }
kib() { du -sk "$1" | cut -f1; }

echo "making a $SIZE file of random bytes..." >&2
head -c "$SIZE" /dev/urandom >"$NATIVE/big.bin" || exit 1
cp "$NATIVE/big.bin" "$ROOT/big.bin" || exit 1
MIBS=$(($(stat -c %s "$NATIVE/big.bin") / 1048576))
# the same offsets for both targets
mapfile -t OFFSETS < <(python3 -c "
import random, sys
random.seed(12)
n, mibs, unaligned = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
for _ in range(n + 1):
    print(random.randrange(mibs - 2) * 1048576 + (12345 if unaligned else 0))
" "$WRITES" "$MIBS" "$UNALIGNED")

# a MiB of its own for each write: the same bytes twice would be stored once
for i in $(seq 0 "$WRITES"); do
	head -c 1M /dev/urandom >"$WORKDIR/patch$i"
done
one_write() { # FILE OFFSET N
	dd if="$WORKDIR/patch$3" of="$1" bs=1M count=1 oflag=seek_bytes \
		seek="$2" conv=notrunc status=none
}

# native: dd's time per write
native_times=()
for i in $(seq 0 "$WRITES"); do
	t0=$(bench_now)
	one_write "$NATIVE/big.bin" "${OFFSETS[$i]}" "$i"
	native_times+=("$(secs "$t0" "$(bench_now)")")
done

"$GUARDFS_BIN" mount "$ROOT" >/dev/null || exit 1
PID=$("$GUARDFS_BIN" status --json | python3 -c '
import json, sys
print([m["pid"] for m in json.load(sys.stdin)["mounts"] if m["root"] == sys.argv[1]][0])' "$ROOT")
STORE=$(echo "$XDG_DATA_HOME"/guardfs/*.git)
flush() { (cd "$ROOT" && "$GUARDFS_BIN" log -n 1 >/dev/null); }
flush
agent_times=() recorded_times=() growth=()
fds=0
for i in $(seq 0 "$WRITES"); do
	before=$(kib "$STORE")
	t0=$(bench_now)
	one_write "$ROOT/big.bin" "${OFFSETS[$i]}" "$i"
	t1=$(bench_now)
	flush
	t2=$(bench_now)
	agent_times+=("$(secs "$t0" "$t1")")
	recorded_times+=("$(secs "$t0" "$t2")")
	growth+=($(($(kib "$STORE") - before)))
	n=$(ls "/proc/$PID/fd" | wc -l)
	[ "$n" -gt "$fds" ] && fds=$n
done
hwm=$(awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$PID/status")
"$GUARDFS_BIN" umount "$ROOT" >/dev/null
cmp -s "$NATIVE/big.bin" "$ROOT/big.bin" || echo "bench/bigfile.sh: the two files differ" >&2

python3 - "$SIZE" "$WRITES" "$UNALIGNED" "$hwm" "$(kib "$STORE")" "$fds" \
	"${native_times[*]}" "${agent_times[*]}" "${recorded_times[*]}" "${growth[*]}" <<'PY'
import statistics, sys
size, writes, unaligned, hwm, store, fds = sys.argv[1:7]
native, agent, recorded, growth = (list(map(float, a.split())) for a in sys.argv[7:11])
med = statistics.median
print(f"# bench/bigfile.sh: a {size} file, 1 MiB written {int(writes) + 1} times "
      f"({'unaligned' if unaligned == '1' else 'at whole MiB'})\n")
print("| | dd (s) | recorded (s) | store growth (KiB) |")
print("|---|---:|---:|---:|")
print(f"| native, median | {med(native):.3f} | | |")
print(f"| guardfs, first write | {agent[0]:.3f} | {recorded[0]:.3f} | {growth[0]:.0f} |")
print(f"| guardfs, later writes, median | {med(agent[1:]):.3f} | {med(recorded[1:]):.3f} | {med(growth[1:]):.0f} |")
print(f"| guardfs, later writes, max | {max(agent[1:]):.3f} | {max(recorded[1:]):.3f} | {max(growth[1:]):.0f} |")
print(f"\nstore after all writes: {int(store) / 1024:.0f} MiB; daemon peak RSS: {hwm} MiB; "
      f"its descriptors after each write, at most: {fds}")
PY
