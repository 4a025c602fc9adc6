#!/bin/bash
# P4, live: `guardfs watch` shows each operation as it happens, with the
# fields the audit trail has; --denied keeps refusals; several watchers
# see the same events; a watcher that does not read never slows the
# mount (its events are dropped, counted and said); a burst on a
# terminal folds into one summary line a second.
. "$(dirname "$0")/lib.sh"
# The burst below deletes thousands of files in seconds, past the
# breaker's defaults; the breaker has tests of its own (t0134 to t0138).
breaker_off

R=$T/root
mkdir -p "$R"
echo hello >"$R/a.txt"
echo 'API_KEY=abc' >"$R/.env"
# each refused once more below: the kernel keeps a hidden name's
# negative entry, so a second look at the same name never reaches guardfs
mkdir "$R/k1" "$R/k2"
echo 'API_KEY=abc' >"$R/k1/.env"
echo 'API_KEY=abc' >"$R/k2/.env"
check "mount" gfs_mount "$R" "$R"

# wait_for FILE PATTERN: until grep finds PATTERN in FILE (10 s at most).
wait_for() {
	local i
	for i in $(seq 100); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# event FILE OP PATH FIELD: FIELD of the first event of OP on PATH.
event() {
	python3 - "$@" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("op") == sys.argv[2] and e.get("path") == sys.argv[3]:
        print(e.get(sys.argv[4], "-"))
        break
else:
    print("no such event")
PY
}

# burst N: N files made, written and removed by one process (3N events).
burst() {
	python3 - "$R/burst" "$1" <<'PY'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
os.mkdir(d)
for i in range(n):
    fd = os.open(f"{d}/f{i}", os.O_CREAT | os.O_WRONLY, 0o644)
    os.write(fd, b"x")
    os.close(fd)
for i in range(n):
    os.unlink(f"{d}/f{i}")
os.rmdir(d)
PY
}

"$GUARDFS" watch --json "$R" >"$T/all.json" 2>"$T/all.err" &
w_all=$!
"$GUARDFS" watch --json --denied "$R" >"$T/denied.json" 2>/dev/null &
w_denied=$!
"$GUARDFS" watch --json "$R" >"$T/second.json" 2>/dev/null &
w_second=$!
daemons+=("$w_all" "$w_denied" "$w_second")
sleep 0.5
check_eq "an open, read" ok "$(probe open "$R/a.txt" r)"
check_eq ".env is hidden" ENOENT "$(probe stat "$R/.env")"
check "the open shows while the watcher runs" wait_for "$T/all.json" '"a.txt"'
check "the refusal shows" wait_for "$T/all.json" '".env"'
check_eq "event" op "$(event "$T/all.json" open a.txt event)"
check_eq "result" ok "$(event "$T/all.json" open a.txt result)"
check_eq "detail" read "$(event "$T/all.json" open a.txt detail)"
check_eq "process" gfs_probe "$(event "$T/all.json" open a.txt process)"
check_eq "uid" "$(id -u)" "$(event "$T/all.json" open a.txt uid)"
check_eq "not refused" - "$(event "$T/all.json" open a.txt refused)"
check_eq "the refusal's result" ENOENT "$(event "$T/all.json" lookup .env result)"
check_eq "the refusal is one" True "$(event "$T/all.json" lookup .env refused)"
check "the rule that refused" \
	grep -q '"rule":"builtin:[0-9]*"' <(grep '"\.env"' "$T/all.json")
check_eq "no text around the JSON" "" "$(cat "$T/all.err")"

check "the second watcher sees the open" wait_for "$T/second.json" '"a.txt"'
check "the second watcher sees the refusal" wait_for "$T/second.json" '".env"'
check "--denied sees the refusal" wait_for "$T/denied.json" '".env"'
check_eq "--denied leaves the open out" "no such event" \
	"$(event "$T/denied.json" open a.txt result)"
kill "$w_denied" "$w_second"

# settle: the store commits what is queued before the next timing
settle() {
	(cd "$R" && "$GUARDFS" log -n 1 >/dev/null)
}

settle
start=$(date +%s%N)
burst 3400
alone=$((($(date +%s%N) - start) / 1000000))
settle
# A watcher stuck behind a full pipe: the pipe, then its socket, then its
# queue in the daemon fill up, and the daemon drops rather than waits.
mkfifo "$T/slow"
"$GUARDFS" watch --json "$R" >"$T/slow" 2>/dev/null &
w_slow=$!
daemons+=("$w_slow")
exec 3<"$T/slow" # opened, never read until the burst is over
sleep 0.5
start=$(date +%s%N)
burst 3400
with_slow=$((($(date +%s%N) - start) / 1000000))
cat <&3 >"$T/slow.json" &
drain=$!
check "the slow watcher is told what it missed" \
	wait_for "$T/slow.json" '"event":"dropped","count":[1-9]'
kill "$w_slow" "$w_all"
wait "$drain" 2>/dev/null
exec 3<&-
echo "10k-op burst: ${alone} ms unwatched, ${with_slow} ms with a stuck watcher"
check "a stuck watcher does not slow the burst (${with_slow} ms vs ${alone} ms)" \
	test "$with_slow" -lt $((alone * 2 + 2000))
dropped=$(python3 -c '
import json, sys
print(sum(json.loads(l).get("count", 0) for l in open(sys.argv[1])
          if "\"dropped\"" in l))' "$T/slow.json")
events=$(grep -c '"event":"op"' "$T/slow.json")
check "every event was sent or counted ($events + $dropped >= 10201)" \
	test $((events + dropped)) -ge 10201

# On a terminal: a burst folds into one line a second; refusals in red.
script -q -c "$GUARDFS watch '$R'" "$T/tty.out" >/dev/null 2>&1 </dev/null &
w_tty=$!
daemons+=("$w_tty")
sleep 0.5
burst 3400
probe stat "$R/k1/.env" >/dev/null
sleep 1.5
kill "$w_tty"
wait "$w_tty" 2>/dev/null
check "a summary line under the burst" \
	grep -Eq '\+[0-9]+ ops \((create|write|unlink) [0-9]+' "$T/tty.out"
check "far fewer lines than events ($(wc -l <"$T/tty.out"))" \
	test "$(wc -l <"$T/tty.out")" -lt 2500
check "the refusal in red on a terminal" \
	grep -q $'\033\[31m.*lookup k1/\.env REFUSED ENOENT' "$T/tty.out"
NO_COLOR=1 script -q -c "$GUARDFS watch '$R'" "$T/nocolor.out" \
	>/dev/null 2>&1 </dev/null &
w_tty=$!
daemons+=("$w_tty")
sleep 0.5
probe stat "$R/k2/.env" >/dev/null
sleep 0.5
kill "$w_tty"
wait "$w_tty" 2>/dev/null
check "NO_COLOR: the refusal shows" grep -q 'lookup k2/\.env REFUSED' "$T/nocolor.out"
check_fails "NO_COLOR: no colour" grep -q $'\033\[' "$T/nocolor.out"

# A watcher needs the control key (a sandboxed agent has none).
reply=$(python3 - "$XDG_RUNTIME_DIR/guardfs/$(daemon_pid "$R").sock" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"watch 0000\n")
print(s.recv(100).decode().strip())
PY
)
check_eq "no key, no watching" "watch	refused: bad key" "$reply"

check "umount" gfs_umount "$R"
test_done
