#!/bin/bash
# The kill switch: `guardfs freeze PATH` stops every change at once and
# `guardfs unfreeze PATH` resumes. Neither works from inside `guardfs
# exec` or `run` (the sandbox shows no runtime directory, no key, no
# socket), nor for another uid, even one handed the socket and the key:
# an agent cannot thaw the mount it froze. run and exec tell their stderr
# when the mount is or becomes frozen.
. "$(dirname "$0")/lib.sh"

# wait_for CMD...: CMD succeeds within 5 s (the audit trail is written a
# few times a second).
wait_for() {
	for _ in $(seq 50); do "$@" && return 0; sleep 0.1; done
	return 1
}

R=$T/root
mkdir -p "$R/tree"
echo 'precious' >"$R/notes.txt"
for i in $(seq 1 30); do echo "f $i" >"$R/tree/f$i"; done
cat >"$R/.guardfs.ini" <<INI
[guard]
root = $R
[limits]
deletes_per_minute = 20
INI
chmod 600 "$R/.guardfs.ini"
check "mount" gfs_mount "$R" "$R"
# a guardfs the sandbox can reach: the mount is all it shows of the disk
cp "$GUARDFS" "$R/guardfs"

check_eq "freeze" "froze $R" "$("$GUARDFS" freeze "$R")"
check_eq "frozen again: said so" "'$R' is already frozen" "$("$GUARDFS" freeze "$R")"
check_eq "status: by hand" "yes manual" \
	"$(status_field "$R" frozen) $(status_field "$R" frozen_rule)"
check_eq "create: EROFS" EROFS "$(probe open "$R/new.txt" wc)"
check_eq "write: EROFS" EROFS "$(probe open "$R/notes.txt" w)"
check_eq "unlink: EROFS" EROFS "$(probe unlink "$R/notes.txt")"
check_eq "read: ok" precious "$(cat "$R/notes.txt")"
check "audited: who froze it" wait_for grep -q '"op":"freeze","path":"","result":"EROFS","rule":"manual"' "$(audit_file "$R")"

# From inside the sandbox: guardfs there serves the agent's own log,
# diff and undo only; and there is no runtime directory, no key, no
# socket of the daemon to reach anyway.
inside() {
	echo "guardfs: inside the guardfs sandbox only 'guardfs log', 'guardfs diff' and 'guardfs undo' of the agent's own actions are available, not '$1'"
}
out=$(cd "$R" && "$GUARDFS" exec -- ./guardfs unfreeze "$R" 2>&1)
check_eq "unfreeze inside exec: exit 2" 2 "$?"
check_eq "unfreeze inside exec: the message" "$(inside unfreeze)" \
	"$(grep -v '^guardfs: the mount at' <<<"$out")"
out=$(cd "$R" && "$GUARDFS" exec -- sh -c 'ls "$XDG_RUNTIME_DIR/guardfs" 2>&1; echo "rc=$?"' 2>&1)
check "inside exec: no runtime directory" grep -q "No such file or directory" <<<"$out"
check "exec tells its stderr the mount is frozen" \
	grep -qF "guardfs: the mount at '$R' is frozen (rule manual; deletes=0/20 " <<<"$out"
out=$(cd "$R" && "$GUARDFS" run -- ./guardfs freeze "$R" 2>&1)
check_eq "freeze inside run: exit 2" 2 "$?"
check_eq "freeze inside run: the message" "$(inside freeze)" \
	"$(grep -v '^guardfs: the mount at' <<<"$out")"
check_eq "still frozen" yes "$(status_field "$R" frozen)"

# The verbs themselves: the key, and the guardfs program, unaltered.
ask() {
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
print(s.recv(4096).decode().strip())' "$XDG_RUNTIME_DIR/guardfs/$(daemon_pid "$R").sock" "$1"
}
key=$(cat "$XDG_RUNTIME_DIR/guardfs/$(daemon_pid "$R").key")
check_eq "no key: refused" "unfreeze	refused: bad key" "$(ask "unfreeze 0123")"
check_eq "the key from another program: refused" \
	"unfreeze	refused: not the guardfs program" "$(ask "unfreeze $key")"
check_eq "still frozen" yes "$(status_field "$R" frozen)"

# Another uid, even with the socket and the key made readable to it, is
# not served: the daemon checks the peer's uid (SO_PEERCRED).
as_ordinary_user
pid=$(daemon_pid "$R")
chmod 755 "$XDG_RUNTIME_DIR" "$XDG_RUNTIME_DIR/guardfs" "$T"
chmod 666 "$XDG_RUNTIME_DIR/guardfs/$pid.sock"
chmod 644 "$XDG_RUNTIME_DIR/guardfs/$pid.key"
for verb in unfreeze freeze; do
	out=$(as_user env XDG_RUNTIME_DIR="$XDG_RUNTIME_DIR" "$GUARDFS" $verb "$R" 2>&1)
	check_eq "$verb as $U: exit 1" 1 "$?"
	check_eq "$verb as $U: the message" \
		"guardfs: no guarded folder of this user is mounted at '$R'" "$out"
done
chmod 600 "$XDG_RUNTIME_DIR/guardfs/$pid.key"
chmod 700 "$XDG_RUNTIME_DIR" "$T"
check_eq "still frozen after them" yes "$(status_field "$R" frozen)"

check_eq "unfreeze" "unfroze $R" "$("$GUARDFS" unfreeze "$R")"
check_eq "thawed: said so" "'$R' is not frozen" "$("$GUARDFS" unfreeze "$R")"
check_eq "writes resume" ok "$(probe open "$R/new.txt" wc)"

# A trip inside exec is told on its stderr, with the rule.
out=$(cd "$R" && "$GUARDFS" exec -- rm -rf tree 2>&1)
check_eq "rm -rf inside exec fails" 1 "$?"
check "exec tells the trip" grep -qF "guardfs: the mount at '$R' is frozen (rule deletes_per_minute; deletes=21/20 " <<<"$out"
check_eq "told once" 1 "$(grep -c '^guardfs: the mount at' <<<"$out")"
check_eq "20 deletes went through, the rest is there" 10 "$(find "$R/tree" -type f | wc -l)"
check_eq "unfreeze again" "unfroze $R" "$("$GUARDFS" unfreeze "$R")"
check "umount" gfs_umount "$R"

# [limits] values: a share is 0.01 to 1 or 1% to 100%, 0 for none.
mkdir -p "$T/other"
for v in 1.5 -0.1 0.001 half 150% 5%x; do
	printf '[guard]\nroot = %s\n[limits]\ndelete_fraction = %s\n' "$T/other" "$v" >"$T/bad.ini"
	chmod 600 "$T/bad.ini"
	check_eq "delete_fraction = $v is refused" \
		"guardfs: $T/bad.ini:4: bad value '$v' for 'delete_fraction' (expected a share such as 0.5 or 50%, 0 for none)" \
		"$("$GUARDFS" mount -c "$T/bad.ini" 2>&1)"
done
test_done
