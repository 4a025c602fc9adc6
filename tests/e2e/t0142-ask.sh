#!/bin/bash
# [ask]: the first access to a matching path waits for the user's answer
# (guardfs ask answer, or a key in guardfs watch): allow once lets that
# process through, deny refuses it, always and never are remembered in
# the answers file across mounts, no answer within the timeout denies,
# and the agent cannot answer its own asks, from inside `guardfs exec`
# or from outside it with the key in a script of its own.
. "$(dirname "$0")/lib.sh"

R=$T/root
mkdir -p "$R/private/deep" "$R/open"
for f in plan once deny killed always never slow keyed agent forged w1 w2 w3 w4 w5; do
	echo "$f text" >"$R/private/$f.txt"
done
echo 'deep text' >"$R/private/deep/d.txt"
echo 'open text' >"$R/open/o.txt"
write_config() {
	cat >"$R/.guardfs.ini" <<INI
[ask]
pattern = private/**
timeout = $1
INI
	chmod 600 "$R/.guardfs.ini"
}
write_config 20
check "mount" gfs_mount "$R" "$R"
AUDIT=$(audit_file "$R")

check_eq "a path nobody asks about opens at once" "open text" "$(cat "$R/open/o.txt")"

# allow once: that reader goes through; the next process is asked again.
cat "$R/private/once.txt" >"$T/once.out" 2>&1 &
reader=$!
id=$(ask_id private/once.txt)
check "the lookup of private/once.txt waits for an answer" test -n "$id"
check "the reader is still waiting" kill -0 "$reader"
check "answer allow" "$GUARDFS" ask answer "$id" allow "$R"
wait "$reader"
check_eq "allowed once: the reader read" "once text" "$(cat "$T/once.out")"
check_eq "answering twice: no such ask" 1 \
	"$("$GUARDFS" ask answer "$id" allow "$R" 2>/dev/null; echo $?)"

# deny: EACCES for that process.
probe open "$R/private/deny.txt" r >"$T/deny.out" &
reader=$!
id=$(ask_id private/deny.txt)
check "answer deny" "$GUARDFS" ask answer "$id" deny "$R"
wait "$reader"
check_eq "denied: EACCES" EACCES "$(cat "$T/deny.out")"
check_eq "audited with the rule ask:deny" ask:deny "$(audit_rule private/deny.txt)"

# A killed asker: the kernel interrupts its request, so the wait ends and
# the ask is withdrawn at once, not at the timeout (20 s here), and the
# process is not held half-dead until then.
"$GFS_PROBE" open "$R/private/killed.txt" r >/dev/null &
reader=$!
id=$(ask_id private/killed.txt)
check "the killed reader's ask is listed first" test -n "$id"
t0=$(date +%s%N)
kill -9 "$reader"
wait "$reader" 2>/dev/null
for _ in $(seq 100); do
	"$GUARDFS" ask list "$R" | grep -q "private/killed.txt" || break
	sleep 0.05
done
waited=$((($(date +%s%N) - t0) / 1000000))
check "the reader died and its ask went within 5 s (${waited} ms)" \
	test "$waited" -lt 5000
check_eq "no ask is left for it" "" \
	"$("$GUARDFS" ask list "$R" | awk -F'\t' '$4 == "private/killed.txt"')"
check_eq "audited as ask:interrupted" ask:interrupted "$(audit_rule private/killed.txt)"

# The agent's script, outside the sandbox, with the key it read: refused,
# as it is not the guardfs program.
probe open "$R/private/forged.txt" r >"$T/forged.out" &
reader=$!
id=$(ask_id private/forged.txt)
sock="$XDG_RUNTIME_DIR/guardfs/$(daemon_pid "$R").sock"
key=$(cat "$XDG_RUNTIME_DIR/guardfs/$(daemon_pid "$R").key")
reply=$(python3 - "$sock" "ask-answer $key $id allow" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
print(s.recv(200).decode().strip())
PY
)
check_eq "a forged answer is refused" "ask	refused: not the guardfs program" "$reply"
check "the reader still waits" kill -0 "$reader"
"$GUARDFS" ask answer "$id" deny "$R"
wait "$reader"
check_eq "the forged answer let nothing through" EACCES "$(cat "$T/forged.out")"

# Asks never starve the mount: past GFS_ASK_MAX_WAITING (4) waiting at
# once, an access is denied at once, and other requests go on meanwhile.
for n in 1 2 3 4; do
	probe open "$R/private/w$n.txt" r >"$T/w$n.out" &
	waiters+=("$!")
	ask_id "private/w$n.txt" >/dev/null
done
check_eq "a fifth waiter is denied at once" EACCES \
	"$(timeout 5 "$GFS_PROBE" open "$R/private/w5.txt" r)"
check_eq "as too many wait" ask:busy "$(audit_rule private/w5.txt)"
check_eq "lookups in the same directory go on" ok \
	"$(timeout 5 "$GFS_PROBE" stat "$R/private/plan.txt")"
check_eq "other requests go on meanwhile" "open text" \
	"$(timeout 5 cat "$R/open/o.txt")"
check_eq "and new files" ok "$(timeout 5 "$GFS_PROBE" open "$R/open/new" wc)"
for n in 1 2 3 4; do
	"$GUARDFS" ask answer "$(ask_id "private/w$n.txt")" deny "$R"
done
wait "${waiters[@]}"
check_eq "the four were denied as answered" "EACCES EACCES EACCES EACCES" \
	"$(cat "$T"/w[1-4].out | tr '\n' ' ' | sed 's/ $//')"

# always, and never: remembered in the answers file, beside the audit.
cat "$R/private/always.txt" >"$T/always.out" 2>&1 &
reader=$!
id=$(ask_id private/always.txt)
check "answer always" "$GUARDFS" ask answer "$id" always "$R"
wait "$reader"
check_eq "allowed always: read" "always text" "$(cat "$T/always.out")"
check_eq "and the next process is not asked" "always text" \
	"$(timeout 5 cat "$R/private/always.txt")"
ANSWERS=$(echo "$XDG_STATE_HOME"/guardfs/*.answers)
check_eq "written as a rule" "allow /private/always.txt" "$(cat "$ANSWERS")"
probe open "$R/private/never.txt" r >"$T/never.out" &
reader=$!
id=$(ask_id private/never.txt)
check "answer never" "$GUARDFS" ask answer "$id" never "$R"
wait "$reader"
check_eq "denied always: EACCES" EACCES "$(cat "$T/never.out")"
check_eq "two rules now" "allow /private/always.txt
deny /private/never.txt" "$(cat "$ANSWERS")"
check_eq "the answers file is the user's alone" 600 "$(stat -c %a "$ANSWERS")"

# On a terminal, guardfs watch answers with one key.
python3 - "$GUARDFS" "$R" "$T/keyed.out" <<'PY' &
import os, pty, select, sys, time
guardfs, root, out = sys.argv[1:4]
pid, fd = pty.fork()
if pid == 0:
    os.execv(guardfs, [guardfs, "watch", root])
seen, deadline, sent = b"", time.time() + 15, False
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.2)
    if r:
        try:
            seen += os.read(fd, 4096)
        except OSError:
            break
    if not sent and b"ASK #" in seen and b"keyed.txt" in seen:
        os.write(fd, b"a")
        sent = True
    if sent and b"allowed once" in seen:
        break
os.kill(pid, 15)
open(out, "wb").write(seen)
PY
watcher=$!
sleep 1
check_eq "read after the key 'a'" "keyed text" \
	"$(timeout 15 cat "$R/private/keyed.txt" 2>&1)"
wait "$watcher"
check "the prompt showed on the terminal" grep -q "ASK #.*keyed.txt" "$T/keyed.out"
check "and the answer" grep -q "allowed once" "$T/keyed.out"
check "umount" gfs_umount "$R"

# A new mount: what was answered for good holds; the timeout denies.
write_config 1
check "mount again, a 1 s timeout" gfs_mount "$R" "$R"
"$GUARDFS" watch --json "$R" >"$T/again.json" 2>/dev/null &
daemons+=("$!")
sleep 0.5
check_eq "always, after a remount: read, unasked" "always text" \
	"$(timeout 5 cat "$R/private/always.txt")"
check_eq "never, after a remount: EACCES at once" EACCES \
	"$(timeout 5 "$GFS_PROBE" open "$R/private/never.txt" r)"
check_eq "by the answers file's rule" "$ANSWERS:2" "$(audit_rule private/never.txt)"
start=$(date +%s%N)
check_eq "no answer: EACCES" EACCES "$(probe open "$R/private/slow.txt" r)"
waited=$((($(date +%s%N) - start) / 1000000))
check "after the timeout (${waited} ms)" test "$waited" -ge 900 -a "$waited" -lt 5000
check_eq "audited as ask:timeout" ask:timeout "$(audit_rule private/slow.txt)"
sleep 0.3
check_eq "no ask about the remembered paths" "private/slow.txt" \
	"$(python3 -c '
import json, sys
print(" ".join(e["path"] for e in map(json.loads, open(sys.argv[1]))
               if e["event"] == "ask"))' "$T/again.json")"

# Inside `guardfs exec`, the agent cannot reach the asks: no runtime
# directory, no key, no socket; its own ask times out and denies.
cp "$GUARDFS" "$R/gfs"
(cd "$R" && "$GUARDFS" exec -- sh -c '
	cat private/agent.txt >agent.out 2>&1 &
	sleep 0.3
	./gfs ask list . >list.out 2>&1; echo "list $?" >tries.out
	# past the sandbox'"'"'s own refusal of every other command:
	env -u GUARDFS_AGENT ./gfs ask list . >>list.out 2>&1; echo "list $?" >>tries.out
	env -u GUARDFS_AGENT ./gfs ask answer 1 allow . >>list.out 2>&1; echo "answer $?" >>tries.out
	ls "$XDG_RUNTIME_DIR/guardfs" >>list.out 2>&1; echo "runtime $?" >>tries.out
	wait')
check_eq "inside exec: list and answer fail, no runtime dir" "list 2
list 1
answer 1
runtime 2" "$(cat "$R/tries.out")"
check "inside exec: the agent's read was denied" \
	grep -q "Permission denied" "$R/agent.out"
check_eq "by the timeout" ask:timeout "$(audit_rule private/agent.txt)"

check "umount" gfs_umount "$R"

# The answers file never lies where the agent could write it.
write_config 1
echo "answers = $R/answers" >>"$R/.guardfs.ini"
check_fails "an answers file inside the folder is refused" \
	"$GUARDFS" mount "$R"
check_eq "with why" "guardfs: the answers file '$R/answers' lies inside the guarded folder '$R'; move it out" \
	"$("$GUARDFS" mount "$R" 2>&1 | head -1 | sed 's/;.*/; move it out/')"
test_done
