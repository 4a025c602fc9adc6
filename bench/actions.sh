#!/usr/bin/env bash
# bench/actions.sh: the targets of actions (issue 14) on this machine.
#
#   bench/actions.sh [--ops N] [--files N] [--guardfs BIN] [--workdir DIR]
#                    [--keep]
#
# 1. `guardfs log` (and `log -v`, `log --json`) of one session of N
#    operations (default 100000): N/1000 commands, each its own process
#    group (an action) creating 500 files and deleting them again (so the
#    daemon's inode table, bounded by the descriptor limit, stays small).
# 2. `guardfs undo` of one action that deleted a tree of --files files
#    (default 10000), mounted, so the undo writes through the mount: its
#    --dry-run (the planning), then the undo with its CPU (the CLI's and
#    the daemon's).
# Prints one line per timing; not part of ctest (timings are not tests).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GUARDFS_BIN=${GUARDFS:-$BENCH_DIR/../build/guardfs}
WORKDIR=/var/tmp/gfs-bench-actions
OPS=100000
FILES=10000
KEEP=0
while [ $# -gt 0 ]; do
	case $1 in
	--ops) OPS=$2; shift 2 ;;
	--files) FILES=$2; shift 2 ;;
	--guardfs) GUARDFS_BIN=$2; shift 2 ;;
	--workdir) WORKDIR=$2; shift 2 ;;
	--keep) KEEP=1; shift ;;
	*) echo "usage: bench/actions.sh [--ops N] [--files N] [--guardfs BIN] [--workdir DIR]" >&2; exit 2 ;;
	esac
done
GUARDFS_BIN=$(readlink -f "$GUARDFS_BIN")

rm -rf "$WORKDIR"
mkdir -p "$WORKDIR"
export HOME=$WORKDIR/home XDG_DATA_HOME=$WORKDIR/data XDG_STATE_HOME=$WORKDIR/state
export XDG_CONFIG_HOME=$WORKDIR/config XDG_RUNTIME_DIR=$WORKDIR/run
mkdir -p "$HOME" "$XDG_DATA_HOME" "$XDG_STATE_HOME" "$XDG_CONFIG_HOME"
mkdir -p -m 0700 "$XDG_RUNTIME_DIR"
R=$WORKDIR/root
mkdir -p "$R"
# The breaker is counted but far from its limits: what is timed is the
# undo, not a freeze of the rm -rf it undoes.
mkdir -p "$XDG_CONFIG_HOME/guardfs"
printf '[limits]\ndeletes_per_minute = 1000000000\nrenames_per_minute = 1000000000\ndelete_fraction = 100%%\n' \
	>"$XDG_CONFIG_HOME/guardfs/config.ini"
chmod 600 "$XDG_CONFIG_HOME/guardfs/config.ini"
cleanup() {
	cd / # a mount with a shell inside it is busy
	grep -q " $R fuse.guardfs " /proc/mounts && "$GUARDFS_BIN" umount "$R" >/dev/null 2>&1
	[ "$KEEP" = 1 ] || rm -rf "$WORKDIR"
}
trap cleanup EXIT

# seconds CMD...: wall time of CMD, output discarded
seconds() {
	local t0 t1
	t0=$(date +%s.%N)
	"$@" >/dev/null || return 1
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc
}

# cpu_ticks PID: user + system CPU of PID so far, in clock ticks
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# make_actions ROOT N PER: N commands (process groups), PER/2 files
# created and deleted each
make_actions() {
	python3 - "$1" "$2" "$3" <<'EOF'
import os, subprocess, sys
root, n, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
code = """
import os, sys
d = sys.argv[1]
os.mkdir(d)
for i in range(int(sys.argv[2]) // 2):
    os.close(os.open("%s/f%05d" % (d, i), os.O_CREAT | os.O_WRONLY, 0o644))
for i in range(int(sys.argv[2]) // 2):
    os.unlink("%s/f%05d" % (d, i))
"""
for a in range(n):
    subprocess.run(["python3", "-c", code, "d%04d" % a, str(per)], cwd=root,
                   start_new_session=True, check=True)
EOF
}

"$GUARDFS_BIN" mount "$R" "$R" >/dev/null
cd "$R" # through the mount (in place: a cd before it lands beneath)
n=$((OPS / 1000))
t=$(seconds make_actions "$R" "$n" 1000)
echo "made $n actions of 500 creates and 500 unlinks (+1 mkdir) each through the mount: ${t}s"
"$GUARDFS_BIN" log -n 1 >/dev/null # the store catches up
echo "operations in the store: $("$GUARDFS_BIN" log . | wc -l)"
echo "log (mounted): $(seconds "$GUARDFS_BIN" log)s, $("$GUARDFS_BIN" log | wc -l) actions"
echo "log --json (mounted): $(seconds "$GUARDFS_BIN" log --json)s"
echo "log -v (mounted): $(seconds "$GUARDFS_BIN" log -v)s, $("$GUARDFS_BIN" log -v | wc -l) lines"
echo "log -n 10 (mounted): $(seconds "$GUARDFS_BIN" log -n 10)s"

# an action of FILES files: made by one command, deleted by another
python3 -c '
import os, sys
for i in range(int(sys.argv[2])):
    d = "%s/tree/d%03d" % (sys.argv[1], i // 100)
    os.makedirs(d, exist_ok=True)
    open("%s/f%05d.txt" % (d, i), "w").write("file %d\n" % i)
' "$R" "$FILES"
sleep 2.5
t=$(seconds setsid -w rm -rf tree) || { echo "rm -rf failed" >&2; exit 1; }
echo "rm -rf of $FILES files: ${t}s"
"$GUARDFS_BIN" log -n 1 >/dev/null
echo "the newest action: $("$GUARDFS_BIN" log -n 1)"
echo "undo --dry-run of it (mounted): $(seconds "$GUARDFS_BIN" undo --dry-run)s"
# the undo's CPU: the CLI's (user + system, bash's time) and the daemon's
daemon=$("$GUARDFS_BIN" status | awk '$1 == "pid" { print $2 }')
d0=$(cpu_ticks "$daemon")
TIMEFORMAT='%R %U %S'
{ time "$GUARDFS_BIN" undo >/dev/null; } 2>"$WORKDIR/undo.time"
read -r t u s <"$WORKDIR/undo.time"
sleep 0.5 # the last releases
d1=$(cpu_ticks "$daemon")
echo "undo of it (mounted): ${t}s, $(find tree -type f | wc -l) files back; CPU: CLI $(echo "$u + $s" | bc)s, daemon $(echo "scale=2; ($d1 - $d0) / $(getconf CLK_TCK)" | bc)s"
cd /
"$GUARDFS_BIN" umount "$R" >/dev/null
cd "$R"
echo "store: $(git -C "$XDG_DATA_HOME"/guardfs/*.git rev-list --count HEAD) commits"
echo "log (unmounted): $(seconds "$GUARDFS_BIN" log)s"
