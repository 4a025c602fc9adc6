#!/bin/bash
# [ask] on the desktop: with a session bus, each ask also shows as a
# notification (the real notify-send, talking to a real notification
# server on a real session bus, tests/e2e/notifyd.py) whose four actions
# answer it as `guardfs ask answer` does: deny refuses, allow once reads,
# allow always is written as a rule. An ask that ends any other way
# (answered in watch, the asker killed, the timeout) takes its
# notification away and its notify-send is reaped. Without notify-send,
# with a server that has no actions, or with [ask] desktop = no, asks
# work as before; and inside `guardfs exec` the bus is out of reach.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
for tool in dbus-daemon dbus-send notify-send; do
	command -v "$tool" >/dev/null ||
		{ echo "skipped: $tool missing (scripts/install-deps.sh)"; exit 0; }
done
$PY -c 'import dbus, gi.repository.GLib' 2>/dev/null ||
	{ echo "skipped: python3-dbus or python3-gi missing"; exit 0; }

# A session bus of our own and a notification server on it.
N=$T/notify
mkdir -p "$N"
bus=$(dbus-daemon --session --fork --print-address=1 --print-pid=1) ||
	{ echo "FAIL: dbus-daemon"; exit 1; }
daemons+=("$(echo "$bus" | sed -n 2p)")
export DBUS_SESSION_BUS_ADDRESS=$(echo "$bus" | head -1)
unset DISPLAY WAYLAND_DISPLAY
$PY "$GFS_SOURCE_DIR/tests/e2e/notifyd.py" "$N" 2>"$T/notifyd.err" &
daemons+=("$!")
for _ in $(seq 100); do [ -e "$N/ready" ] && break; sleep 0.1; done
check "the notification server is up" test -e "$N/ready"

R=$T/root
mkdir -p "$R/private"
for f in deny once always watch killed slow plain noactions off agent; do
	echo "$f text" >"$R/private/$f.txt"
done
CTL=$'ctl\x01<b>&.txt'
echo 'ctl text' >"$R/private/$CTL"
write_config() { # TIMEOUT [more lines]
	printf '[ask]\npattern = private/**\ntimeout = %s\n%s' "$1" "${2:-}" \
		>"$R/.guardfs.ini"
	chmod 600 "$R/.guardfs.ini"
}
write_config 20
check "mount" gfs_mount "$R" "$R"
AUDIT=$(audit_file "$R")
dpid=$(daemon_pid "$R")
# pipes_of PID: how many pipes the process holds.
pipes_of() {
	find "/proc/$1/fd" -lname 'pipe:*' 2>/dev/null | wc -l
}
pipes_before=$(pipes_of "$dpid")

# The user's answer, picked by the server shortly after a Notify.
answer_with() {
	echo "$1" >"$N/answer"
}

# notified PATH FIELD: FIELD of the last notification whose body names PATH.
notified() {
	$PY - "$N/log" "$1" "$2" <<'PY'
import json, sys
found = "-"
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["event"] == "notify" and sys.argv[2] in e["body"]:
        v = e[sys.argv[3]]
        found = v if isinstance(v, str) else json.dumps(v)
print(found)
PY
}

# notify_count PATH: how many notifications named PATH.
notify_count() {
	cat "$N/log" 2>/dev/null | grep -c "\"event\": \"notify\".*$1"
}

# The notify-send processes the daemon started (its children).
notifiers() {
	$PY - "$dpid" <<'PY'
import os, sys
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        stat = open(f"/proc/{pid}/stat").read()
    except OSError:
        continue
    name = stat[stat.index("(") + 1:stat.rindex(")")]
    if stat[stat.rindex(")") + 2:].split()[1] == sys.argv[1] and name == "notify-send":
        print(pid)
PY
}

# wait_notifier: the pid of the daemon's notify-send, once there (10 s).
wait_notifier() {
	local i pid
	for i in $(seq 100); do
		pid=$(notifiers | head -1)
		[ -n "$pid" ] && { echo "$pid"; return 0; }
		sleep 0.1
	done
	return 1
}

# wait_shown PATH: the server got a notification naming PATH (10 s).
wait_shown() {
	local i
	for i in $(seq 100); do
		[ "$(notify_count "$1")" -gt 0 ] && return 0
		sleep 0.1
	done
	return 1
}

# gone PID: the process is gone within 5 s, reaped (no zombie left).
gone() {
	local i
	for i in $(seq 50); do
		[ -e "/proc/$1" ] || return 0
		sleep 0.1
	done
	return 1
}

# Deny, from the desktop.
answer_with deny
check_eq "deny on the desktop: EACCES" EACCES \
	"$(timeout 15 "$GFS_PROBE" open "$R/private/deny.txt" r)"
check_eq "audited as ask:deny" ask:deny "$(audit_rule private/deny.txt)"
check_eq "the prompt's title" "guardfs: allow this access?" \
	"$(notified private/deny.txt summary)"
check_eq "its body: process, operation, path, folder" \
	"gfs_probe[PID] open private/deny.txt
in $R" "$(notified private/deny.txt body | sed -E '1s/\[[0-9]+\]/[PID]/')"
check_eq "its actions, keyed by guardfs ask's words" \
	'["allow", "Allow once", "always", "Allow always", "deny", "Deny", "never", "Deny always"]' \
	"$(notified private/deny.txt actions)"
check_eq "from guardfs, critical" "guardfs 2" \
	"$(notified private/deny.txt app) $(notified private/deny.txt urgency)"
check_eq "it expires with the ask" 20000 "$(notified private/deny.txt expire)"
check_eq "the notify-send was reaped" "" "$(sleep 0.5; notifiers)"

# Allow once: the exact bytes.
answer_with allow
check_eq "allow once on the desktop: read" "once text" \
	"$(timeout 15 cat "$R/private/once.txt")"

# A name with a control character and markup: escaped in the body.
answer_with deny
check_eq "the control-character name: denied" EACCES \
	"$(timeout 15 "$GFS_PROBE" open "$R/private/$CTL" r)"
check "its body shows \\x01 and entities, no raw byte or tag" \
	grep -qF 'open private/ctl\\x01&lt;b&gt;&amp;.txt\n' "$N/log"

# Allow always: a rule, and nobody is asked again.
answer_with always
check_eq "allow always on the desktop: read" "always text" \
	"$(timeout 15 cat "$R/private/always.txt")"
ANSWERS=$(echo "$XDG_STATE_HOME"/guardfs/*.answers)
check_eq "written as a rule" "allow /private/always.txt" "$(cat "$ANSWERS")"
check_eq "a second reader is not asked" "always text" \
	"$(timeout 5 cat "$R/private/always.txt")"
check_eq "and no second prompt" 1 "$(notify_count private/always.txt)"

# Answered in watch instead: the prompt is taken away (CloseNotification
# from notify-send on SIGINT) and the notify-send reaped.
answer_with none
cat "$R/private/watch.txt" >"$T/watch.out" 2>&1 &
reader=$!
id=$(ask_id private/watch.txt)
np=$(wait_notifier)
check "a notify-send shows the ask" test -n "$np"
ls -l "/proc/$np/fd" >"$T/np.fd" 2>&1
check_eq "it has stdin and stderr on /dev/null, stdout a pipe" \
	"/dev/null pipe /dev/null" \
	"$(for fd in 0 1 2; do readlink "/proc/$np/fd/$fd" | sed 's/:.*//'; done | tr '\n' ' ' | sed 's/ $//')"
check_eq "and none of the daemon's files or pipes" "" \
	"$(for fd in /proc/$np/fd/*; do
		[ "${fd##*/}" -gt 2 ] && readlink "$fd"
	done | grep -xFf <(find "/proc/$dpid/fd" -type l -exec readlink {} + |
		grep -E '^(/dev/fuse|/tmp/|pipe:)'))"
check "answer allow in guardfs ask" "$GUARDFS" ask answer "$id" allow "$R"
wait "$reader"
check_eq "the reader read" "watch text" "$(cat "$T/watch.out")"
check "its notify-send is gone and reaped within 5 s" gone "$np"
nid=$(notified private/watch.txt id)
check "the server was asked to close that notification" \
	grep -q "\"event\": \"close\", \"id\": $nid}" "$N/log"

# The asker killed: the same.
"$GFS_PROBE" open "$R/private/killed.txt" r >/dev/null &
reader=$!
ask_id private/killed.txt >/dev/null
np=$(wait_notifier)
kill -9 "$reader"
wait "$reader" 2>/dev/null
check "the killed asker's notify-send is gone within 5 s" gone "$np"
check_eq "audited as ask:interrupted" ask:interrupted "$(audit_rule private/killed.txt)"

# Inside guardfs exec the agent has no bus: neither the variable nor the
# socket (the user's /tmp is not the sandbox's), so it cannot answer the
# prompt of its own ask; the user still can.
check "outside, the bus answers" dbus-send --session --print-reply \
	--dest=org.freedesktop.DBus / org.freedesktop.DBus.ListNames
echo "$DBUS_SESSION_BUS_ADDRESS" >"$R/bus"
answer_with allow
(cd "$R" && timeout 60 "$GUARDFS" exec -- sh -c '
	echo "${DBUS_SESSION_BUS_ADDRESS:-unset}" >agent.out
	dbus-send --bus="$(cat bus)" --print-reply --dest=org.freedesktop.DBus \
		/ org.freedesktop.DBus.ListNames >/dev/null 2>&1
	echo "bus $?" >>agent.out
	cat private/agent.txt >>agent.out 2>&1')
check_eq "inside exec: no bus variable, no bus; the user allowed" "unset
bus 1
agent text" "$(cat "$R/agent.out")"
check_eq "the daemon holds no pipe more than before the asks" \
	"$pipes_before" "$(pipes_of "$dpid")"
check "umount" gfs_umount "$R"

# No notify-send on the daemon's PATH: asks work as before, in watch.
mkdir -p "$T/nobin"
for tool in fusermount3 fusermount; do
	command -v "$tool" >/dev/null && ln -sf "$(command -v "$tool")" "$T/nobin/"
done
write_config 2
mounted+=("$R")
PATH=$T/nobin "$GUARDFS" mount "$R" >/dev/null
check "mount without notify-send on PATH" test -n "$(daemon_pid "$R")"
dpid=$(daemon_pid "$R")
daemons+=("$dpid")
answer_with deny
cat "$R/private/plain.txt" >"$T/plain.out" 2>&1 &
reader=$!
id=$(ask_id private/plain.txt)
check "no notify-send: answer allow in guardfs ask" "$GUARDFS" ask answer "$id" allow "$R"
wait "$reader"
check_eq "no notify-send: the reader read" "plain text" "$(cat "$T/plain.out")"
check_eq "and nothing was shown" 0 "$(notify_count private/plain.txt)"
check "umount" gfs_umount "$R"

# A server without actions: notify-send shows it and exits; watch answers.
# A 2 s timeout: the prompt expires with the ask.
write_config 2
check "mount, a 2 s timeout" gfs_mount "$R" "$R"
dpid=$(daemon_pid "$R")
printf 'body\n' >"$N/caps"
cat "$R/private/noactions.txt" >"$T/noactions.out" 2>&1 &
reader=$!
id=$(ask_id private/noactions.txt)
# (answered before notify-send had shown it, the prompt was never shown)
check "no actions: shown" wait_shown private/noactions.txt
check "no actions: answer allow in guardfs ask" "$GUARDFS" ask answer "$id" allow "$R"
wait "$reader"
check_eq "no actions: the reader read" "noactions text" "$(cat "$T/noactions.out")"
check_eq "shown, without actions" "[]" "$(notified private/noactions.txt actions)"
rm "$N/caps"
answer_with none
start=$(date +%s%N)
check_eq "no answer: EACCES" EACCES "$(timeout 15 "$GFS_PROBE" open "$R/private/slow.txt" r)"
waited=$((($(date +%s%N) - start) / 1000000))
check "after the timeout (${waited} ms)" test "$waited" -ge 1900 -a "$waited" -lt 8000
check_eq "the prompt expired with it" 2000 "$(notified private/slow.txt expire)"
check_eq "and its notify-send is gone" "" "$(sleep 2.5; notifiers)"
check "umount" gfs_umount "$R"

# [ask] desktop = no: no prompt.
write_config 20 'desktop = no
'
check "mount, desktop = no" gfs_mount "$R" "$R"
answer_with allow
"$GFS_PROBE" open "$R/private/off.txt" r >"$T/off.out" &
reader=$!
id=$(ask_id private/off.txt)
check "desktop = no: answer deny in guardfs ask" "$GUARDFS" ask answer "$id" deny "$R"
wait "$reader"
check_eq "desktop = no: denied as answered" EACCES "$(cat "$T/off.out")"
check_eq "and nothing was shown" 0 "$(notify_count private/off.txt)"
check "umount" gfs_umount "$R"
test_done
