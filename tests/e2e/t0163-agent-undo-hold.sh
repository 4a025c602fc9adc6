#!/bin/bash
# The agent's undo holds the mount from its check to its last write
# (fs/hold.c): another process's change made meanwhile lands after the
# undo, or fails, and is never written over by it; a file that another
# process has open for writing refuses the undo.
. "$(dirname "$0")/lib.sh"

command -v bwrap >/dev/null || { echo "FAIL: bwrap missing (apt install bubblewrap)"; exit 1; }

N=3000
LAST=t/f$((N - 1))
breaker_off
R=$T/root
mkdir -p "$R/t"
python3 - "$R/t" "$N" <<'PY'
import sys
for i in range(int(sys.argv[2])):
    with open(f"{sys.argv[1]}/f{i:04d}", "w") as f:
        f.write(f"orig {i}\n")
PY
printf 'kept\n' >"$R/keep.txt"

check "mount" gfs_mount "$R" "$R"
cd "$R" || exit 1

# the agent rewrites every file of t/: one action
"$GUARDFS" exec -- python3 -c '
import os
for name in sorted(os.listdir("t")):
    with open("t/" + name, "w") as f:
        f.write("agent\n")'
check_eq "the agent rewrote them" "agent" "$(cat "$LAST")"
ID=$("$GUARDFS" exec -- guardfs log | head -n 1 | cut -d' ' -f1)
check "the action's id" sh -c "echo '$ID' | grep -Eq '^A[0-9]+$'"

# --- a change made while the undo writes -------------------------------
"$GUARDFS" exec -- guardfs undo "$ID" >"$T/undo.out" 2>"$T/undo.err" &
undo=$!
# as soon as the undo writes (its first file is back), the user works
for _ in $(seq 2000); do
	[ "$(cat "$R/t/f0000")" = "orig 0" ] && break
	kill -0 "$undo" 2>/dev/null || break
	sleep 0.005
done
check_eq "the undo has begun" "orig 0" "$(cat "$R/t/f0000")"
holder=$(status_field "$R" held_by)
check "status names the undo holding the mount" test "$holder" -gt 0
# adding a name waits for nothing: it fails at once
touch "$R/t/new.txt" 2>"$T/touch.err"
check_eq "a create while held: refused" 1 "$?"
check "with EBUSY" grep -q 'Device or resource busy' "$T/touch.err"
# a save over the file the undo writes last: it waits for the undo
printf 'mine\n' >"$R/$LAST"
check_eq "the user's save while held: exit 0 (it waited)" 0 "$?"
printf 'more\n' >>"$R/keep.txt"
check_eq "an append to another file: exit 0" 0 "$?"
wait "$undo"
check_eq "the undo: exit 0" 0 "$?"
check_eq "the user's save is not written over" "mine" "$(cat "$R/$LAST")"
check_eq "the append landed" "kept
more" "$(cat "$R/keep.txt")"
check_eq "every other file is back" "$((N - 1))" "$(cd "$R/t" && cat f* | grep -c '^orig ')"
AUDIT=$(audit_file "$R")
check_eq "the refusal is audited" "held-by-undo" "$(audit_rule t/new.txt)"
check_eq "after the undo a create works again" 0 "$(touch "$R/t/new.txt"; echo $?)"
check_eq "status: nobody holds it" 0 "$(status_field "$R" held_by)"

# --- an undo killed while it holds the mount lets go ---------------------
"$GUARDFS" exec -- python3 -c '
import os
for name in sorted(os.listdir("t")):
    with open("t/" + name, "w") as f:
        f.write("again\n")'
ID=$("$GUARDFS" exec -- guardfs log | head -n 1 | cut -d' ' -f1)
"$GUARDFS" exec -- guardfs undo "$ID" >/dev/null 2>&1 &
undo=$!
holder=0
for _ in $(seq 2000); do
	holder=$(status_field "$R" held_by)
	[ "$holder" -gt 0 ] && break
	sleep 0.005
done
check "a second undo holds the mount" test "$holder" -gt 0
# the holder is the server's process outside the sandbox, ours to end
check "it is a guardfs of this test" grep -q guardfs "/proc/$holder/comm"
kill -9 "$holder"
wait "$undo"
check_eq "a create right after: exit 0" 0 "$(timeout 5 touch "$R/t/after-kill.txt"; echo $?)"
check_eq "status: the dead holder's hold is over" 0 "$(status_field "$R" held_by)"

# --- a file open for writing elsewhere refuses the undo ------------------
printf 'orig solo\n' >"$R/solo.txt"
"$GUARDFS" exec -- sh -c 'printf "agent\n" >solo.txt'
ID=$("$GUARDFS" exec -- guardfs log | head -n 1 | cut -d' ' -f1)
exec 3>>"$R/solo.txt"
"$GUARDFS" exec -- guardfs undo "$ID" >"$T/busy.out" 2>"$T/busy.err"
check_eq "open for writing elsewhere: exit 1" 1 "$?"
check "it names the file and the writer" grep -q \
	"'solo.txt' is open for writing by another process (pid $$)" "$T/busy.err"
check "nothing undone" grep -q '^guardfs: nothing undone' "$T/busy.err"
check_eq "the file as the agent left it" "agent" "$(cat "$R/solo.txt")"
exec 3>&-
"$GUARDFS" exec -- guardfs undo "$ID" >"$T/busy.out" 2>"$T/busy.err"
check_eq "once closed, the undo: exit 0" 0 "$?"
check_eq "the file is back" "orig solo" "$(cat "$R/solo.txt")"

test_done
