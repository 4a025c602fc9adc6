#!/bin/bash
# The first mount of a big folder reads every entry into the store: on a
# terminal it says how far it is; in a script (no terminal) it says nothing.
. "$(dirname "$0")/lib.sh"

R=$T/root
mkdir -p "$R"
for d in $(seq 10); do
	mkdir "$R/d$d"
	(cd "$R/d$d" && seq 300 | xargs touch)
done # 10 directories, 3000 files: 3010 entries

# on a pseudo-terminal (script(1) gives the command one)
mounted+=("$R")
script -qec "'$GUARDFS' mount '$R' '$R'" /dev/null >"$T/tty.out" 2>&1
daemons+=("$(daemon_pid "$R")")
check "mounted" grep -q "^guarding $R at $R" <(tr -d '\r' <"$T/tty.out")
check_eq "the last progress line counts every entry" \
	"guardfs: recording the folder as found: 3010 entries" \
	"$(tr '\r' '\n' <"$T/tty.out" | grep 'recording the folder' | tail -1)"
check "umount" gfs_umount "$R"

# in a script: stdout has the mount line, stderr nothing
"$GUARDFS" mount "$R" "$R" >"$T/out" 2>"$T/err"
daemons+=("$(daemon_pid "$R")")
check_eq "no progress without a terminal" "" "$(cat "$T/err")"
check_eq "stdout as before" "guarding $R at $R (pid $(daemon_pid "$R"))" "$(cat "$T/out")"
check "umount" gfs_umount "$R"

# in the foreground, on a terminal, the daemon itself says it
mounted+=("$R")
script -qec "'$GUARDFS' mount -f '$R' '$R'" /dev/null >"$T/fg.out" 2>&1 &
for _ in $(seq 100); do grep -q " $R fuse.guardfs " /proc/mounts && break; sleep 0.1; done
check "foreground mount answers" stat "$R/d1/1"
check "umount" gfs_umount "$R"
wait
check_eq "foreground: the progress line, then the guarding line" \
	"guardfs: recording the folder as found: 3010 entries
guardfs: guarding '$R' at '$R'" \
	"$(tr '\r' '\n' <"$T/fg.out" | grep -v '^$' | grep 'recording\|guarding' | tail -2)"
test_done
