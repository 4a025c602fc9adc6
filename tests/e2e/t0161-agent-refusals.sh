#!/bin/bash
# What the agent's own verbs refuse, from inside guardfs exec: the user's
# operations, another session's actions, an action whose files the user
# changed since (nothing undone, the paths named), an undo replayed
# over the user's later change,
# every other command and control verb, and requests meant to wedge the
# server. No verb ever shortens the history.
. "$(dirname "$0")/lib.sh"

command -v bwrap >/dev/null || { echo "FAIL: bwrap missing (apt install bubblewrap)"; exit 1; }

R=$T/root
mkdir -p "$R"
echo one >"$R/a.txt"
echo two >"$R/b.txt"
echo three >"$R/c.txt"
echo old >"$R/old.txt"

commits() { git -C "$XDG_DATA_HOME"/guardfs/*.git rev-list --count HEAD; }
# never_shrinks DESCRIPTION: the store's commit count did not go down
last_count=0
never_shrinks() {
	local now
	now=$(commits)
	check "history never shrinks: $1 ($last_count -> $now)" test "$now" -ge "$last_count"
	last_count=$now
}
# inside CMD...: runs CMD in the sandbox; its stdout, stderr, status in
# $T/in.out, $T/in.err and $rc
inside() {
	"$GUARDFS" exec -- "$@" >"$T/in.out" 2>"$T/in.err"
	rc=$?
}
# the id of the agent's newest action, from inside
last_action() {
	"$GUARDFS" exec -- guardfs log | head -1 | cut -d' ' -f1
}

check "mount" gfs_mount "$R" "$R"
cd "$R" || exit 1
never_shrinks "mounted"

# --- another session's action ----------------------------------------------
"$GUARDFS" exec -- rm old.txt
OLD=$(last_action)
check "an action to carry over" sh -c "echo '$OLD' | grep -Eq '^A[0-9]+$'"
cd "$T" && gfs_umount "$R" && check "mount again" gfs_mount "$R" "$R" && cd "$R"
never_shrinks "remounted"
inside guardfs log
check_eq "a new session lists no action of the last one" "" "$(cat "$T/in.out")"
check "and says so" grep -q "no actions of the agent in this session yet" "$T/in.err"
inside guardfs undo "$OLD"
check_eq "undo of the last session's action: exit 1" 1 "$rc"
check "undo of the last session's action: why" grep -q \
	"'$OLD' is not an action of the agent in this session" "$T/in.err"
check_eq "old.txt stays deleted" ENOENT "$(probe stat "$R/old.txt")"
inside guardfs diff "$OLD"
check_eq "diff of the last session's action: exit 1" 1 "$rc"
never_shrinks "refused undo of another session"

# --- the user's own operation -------------------------------------------------
echo user-edit >"$R/c.txt"
UOP=$("$GUARDFS" log . | head -1 | cut -d" " -f1)
check "the user's operation has an id" test -n "$UOP"
case $UOP in *@*) ;; *) UOP="$UOP@$("$GUARDFS" log . --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["seq"])')" ;; esac
inside guardfs undo "$UOP"
check_eq "undo of the user's operation: exit 1" 1 "$rc"
check "undo of the user's operation: why" grep -q "is not an action of the agent" "$T/in.err"
check_eq "the user's edit stays" user-edit "$(cat "$R/c.txt")"
inside guardfs undo "${UOP%%@*}"
check_eq "a bare snapshot id is no action id: exit 2" 2 "$rc"
inside guardfs undo 1
check_eq "undo N is no action id inside: exit 2" 2 "$rc"
check_eq "the user's edit still stays" user-edit "$(cat "$R/c.txt")"
never_shrinks "refused undo of the user's operation"

# --- a conflict: the user changed the action's file since -------------------
"$GUARDFS" exec -- sh -c 'echo agent-a >a.txt; echo agent-b >b.txt'
ACT=$(last_action)
echo "the user's fix" >"$R/a.txt"
inside guardfs undo "$ACT"
check_eq "undo over the user's later change: exit 1" 1 "$rc"
check "undo over the user's later change: names the path" grep -q \
	"'a.txt' was changed since outside the agent" "$T/in.err"
check "undo over the user's later change: says nothing was undone" grep -q \
	"nothing undone: 1 path of $ACT changed after it" "$T/in.err"
check "undo over the user's later change: b.txt is not named" \
	sh -c "! grep -q b.txt '$T/in.err'"
check_eq "the user's change stays" "the user's fix" "$(cat "$R/a.txt")"
check_eq "nothing of the action was undone" agent-b "$(cat "$R/b.txt")"
inside guardfs undo --dry-run "$ACT"
check_eq "undo --dry-run over the user's change: exit 1 too" 1 "$rc"
never_shrinks "refused undo over the user's change"

# --- a later action of the agent: undo it first, then the earlier one ---------
"$GUARDFS" exec -- sh -c 'echo first >c.txt'
FIRST=$(last_action)
"$GUARDFS" exec -- sh -c 'echo second >c.txt'
SECOND=$(last_action)
inside guardfs undo "$FIRST"
check_eq "undo under a later action: exit 1" 1 "$rc"
check "undo under a later action: says which" grep -q \
	"'c.txt' was changed since by a later action of the agent (\[sh -c 'echo second >c.txt'\]" "$T/in.err"
check_eq "c.txt untouched" second "$(cat "$R/c.txt")"
inside guardfs undo "$SECOND"
check_eq "undo of the later action" "0 first" "$rc $(cat "$R/c.txt")"
inside guardfs undo "$FIRST"
check_eq "then the earlier one" "0 user-edit" "$rc $(cat "$R/c.txt")"
never_shrinks "undo in order"

# --- replay: an undo done twice ----------------------------------------------
n0=$(commits)
inside guardfs undo "$FIRST"
check_eq "the same undo again changes nothing" "0 nothing to change" "$rc $(cat "$T/in.out")"
check_eq "the same undo again: c.txt as the first undo left it" user-edit "$(cat "$R/c.txt")"
check_eq "the same undo again: no commit" "$n0" "$(commits)"
echo "the user's later text" >"$R/c.txt"
inside guardfs undo "$FIRST"
check_eq "the same undo after the user wrote: exit 1" 1 "$rc"
check "the same undo after the user wrote: names c.txt" grep -q \
	"'c.txt' was changed since outside the agent" "$T/in.err"
check_eq "the user's text stays" "the user's later text" "$(cat "$R/c.txt")"
never_shrinks "replayed undo"

# --- every other command refuses inside -----------------------------------------
for cmd in status restore mount umount explain prune sessions check init run exec; do
	inside guardfs "$cmd" --help
	check_eq "guardfs $cmd inside: exit 2" 2 "$rc"
	check "guardfs $cmd inside: says why" grep -q \
		"inside the guardfs sandbox only 'guardfs log', 'guardfs diff' and 'guardfs undo'" "$T/in.err"
done
inside guardfs log "$R/a.txt"
check_eq "log PATH inside: exit 2" 2 "$rc"
inside guardfs --help
check_eq "guardfs --help inside: exit 0" 0 "$rc"
check_eq "guardfs --help inside: the three commands" "  log
  diff
  undo" "$(grep -o '^  [a-z]*' "$T/in.out")"
inside guardfs frobnicate
check_eq "an unknown command inside: exit 2" 2 "$rc"

# --- the socket itself, spoken to by hand ---------------------------------
cat >"$R/raw.py" <<'EOF'
import os, socket, sys, time
path = os.environ["GUARDFS_AGENT"]
def ask(data, wait=True):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    s.sendall(data)
    out = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
    s.close()
    return out
def status(reply):
    return reply.split(b"\n", 1)[0].decode()
for name, data in [
    ("status", b"status\n"), ("config", b"config\n"), ("flush", b"flush\n"),
    ("group", b"group-begin " + b"0" * 64 + b" x\n"),
    ("action", b"action-begin " + b"0" * 64 + b" 1 x\n"),
    ("explain", b"explain .env\n"),
    ("extra", b"agent-undo last dry-run please\n"),
    ("twolines", b"agent-actions\nagent-undo last\n"),
    ("long", b"agent-actions " + b"x" * 5000 + b"\n"),
    ("nonl", b"agent-actions"),
    ("empty", b"\n"),
]:
    print(name, status(ask(data)))
# a stalled peer is dropped; the next one is served
stall = socket.socket(socket.AF_UNIX)
stall.connect(path)
t = time.time()
r = ask(b"agent-actions\n")
print("after-stall", status(r), "waited-under-4s", time.time() - t < 4)
stall.close()
print("still", status(ask(b"agent-actions json\n")))
EOF
"$GUARDFS" exec -- /usr/bin/python3 "$R/raw.py" >"$T/raw.out" 2>&1
check_eq "the socket answers its three verbs only" "status status 2
config status 2
flush status 2
group status 2
action status 2
explain status 2
extra status 2
twolines status 2
long status 2
nonl status 2
empty status 2
after-stall status 0 waited-under-4s True
still status 0" "$(cat "$T/raw.out")"
never_shrinks "raw requests"

# the server lives only as long as its guardfs exec
check_eq "no agent socket is left behind" "" "$(ls "$XDG_RUNTIME_DIR/guardfs" | grep agent)"

cd "$T" || exit 1
check "umount" gfs_umount "$R"
test_done
