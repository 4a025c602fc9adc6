#!/bin/bash
# guardfs run and guardfs exec: inside the sandbox the guarded mount is the
# only project; the home's credentials, guardfs's own files, the daemon
# and every way to drop the guard are out of reach.
. "$(dirname "$0")/lib.sh"

command -v bwrap >/dev/null || { echo "FAIL: bwrap missing (apt install bubblewrap)"; exit 1; }

R=$T/root
B=$T/bin # the test's tools, shown read-only in the sandbox
mkdir -p "$R" "$B" "$HOME/.ssh" "$HOME/.aws" "$HOME/cache"
cp "$GUARDFS" "$GFS_PROBE" "$B/"
echo "ssh-private-key-fixture" >"$HOME/.ssh/id_rsa"
printf '[default]\naws_secret_access_key = fixture\n' >"$HOME/.aws/credentials"
printf '[user]\n\tname = t\n\temail = t@example.org\n' >"$HOME/.gitconfig"
echo outside >"$T/outside.txt"
echo hello >"$R/a.txt"
echo gone >"$R/b.txt"
echo "API_KEY=fixture" >"$R/.env"
cat >"$T/cfg.ini" <<EOF
[guard]
root = $R
[run]
ro = ~/.gitconfig
ro = $B
rw = ~/cache
env = GFS_PASSED_TOKEN
EOF
chmod 600 "$T/cfg.ini"

# What the sandbox must refuse, one line each: NAME=OUTCOME.
cat >"$B/inside.sh" <<'EOF'
P=$(dirname "$0")/gfs_probe
G=$(dirname "$0")/guardfs
echo "ssh=$($P read "$HOME/.ssh/id_rsa")"
echo "aws=$($P read "$HOME/.aws/credentials")"
echo "outside=$($P read "$OUT/outside.txt")"
echo "store=$($P stat "$XDG_DATA_HOME/guardfs")"
echo "trail=$($P stat "$XDG_STATE_HOME/guardfs")"
echo "config=$($P read "$CFG")"
echo "socket=$($P connect "$XDG_RUNTIME_DIR/guardfs/$DPID.sock")"
echo "rundir=$($P stat "$XDG_RUNTIME_DIR/guardfs")"
echo "procfd=$($P stat "/proc/$DPID/fd")"
echo "kill=$($P kill "$DPID")"
echo "umount=$("$G" umount --lazy "$ROOT" >/dev/null 2>&1 && echo ok || echo refused)"
echo "fusermount=$(fusermount3 -u -z "$ROOT" >/dev/null 2>&1 && echo ok || echo refused)"
echo "umount2=$(umount -l "$ROOT" >/dev/null 2>&1 && echo ok || echo refused)"
echo "nnp=$(grep NoNewPrivs /proc/self/status | tr -d ' \t')"
echo "caps=$(grep CapEff /proc/self/status | tr -d ' \t')"
echo "userns=$(unshare -U -r true >/dev/null 2>&1 && echo ok || echo refused)"
echo "usr=$($P open /usr/gfs-planted wc)"
echo "etc=$($P open /etc/gfs-planted wc)"
echo "home=$($P open "$HOME/planted" wc)"
echo "gitconfig=$(cat "$HOME/.gitconfig" | grep -c email)"
echo "cache=$(echo cached >"$HOME/cache/c.txt" && echo ok)"
echo "cwd=$(pwd)"
echo "dotenv=$($P read .env)"
echo "project=$(cat a.txt)"
echo "write=$(echo new >new.txt && cat new.txt)"
echo "env_github=${GITHUB_TOKEN-unset}"
echo "env_aws=${AWS_SECRET_ACCESS_KEY-unset}"
echo "env_ssh=${SSH_AUTH_SOCK-unset}"
echo "env_api=${MY_SERVICE_API_KEY-unset}"
echo "env_guardfs=${GUARDFS_BWRAP-unset}"
echo "env_passed=${GFS_PASSED_TOKEN-unset}"
echo "env_plain=${GFS_PLAIN-unset}"
exit 7
EOF

# expect_inside OUTPUT_FILE MODE: every line of the script as it must be.
expect_inside() {
	local out=$1 mode=$2 line
	for line in ssh=ENOENT aws=ENOENT outside=ENOENT store=ENOENT \
		trail=ENOENT config=ENOENT socket=ENOENT rundir=ENOENT \
		procfd=ENOENT kill=ESRCH umount=refused fusermount=refused \
		umount2=refused nnp=NoNewPrivs:1 caps=CapEff:0000000000000000 userns=refused usr=EROFS etc=EROFS home=ok \
		gitconfig=1 cache=ok "cwd=$R" dotenv=ENOENT project=hello \
		write=new env_github=unset env_aws=unset env_ssh=unset \
		env_api=unset env_guardfs=unset env_passed=yes env_plain=plain; do
		check_eq "$mode: ${line%%=*}" "$line" "$(grep "^${line%%=*}=" "$out")"
	done
}

inside_env=(env OUT="$T" CFG="$T/cfg.ini" ROOT="$R" GITHUB_TOKEN=fixture
	AWS_SECRET_ACCESS_KEY=fixture SSH_AUTH_SOCK=/tmp/agent.sock
	MY_SERVICE_API_KEY=fixture GUARDFS_BWRAP=/bin/true
	GFS_PASSED_TOKEN=yes GFS_PLAIN=plain)

is_mounted() { grep -q " $R fuse.guardfs " /proc/mounts; }

# --- guardfs run, mounting on its own -------------------------------------
cd "$R" || exit 1
mounted+=("$R")
# The daemon's pid is only known once run has mounted: the script asks.
cat >"$B/run-inside.sh" <<'EOF'
DPID=$(cat "$(dirname "$0")/dpid")
export DPID
exec sh "$(dirname "$0")/inside.sh"
EOF
(
	# a watcher outside records the daemon's pid for the script
	for _ in $(seq 1 200); do
		p=$(daemon_pid "$R" 2>/dev/null)
		[ -n "$p" ] && { echo "$p" >"$B/dpid"; break; }
		sleep 0.05
	done
) &
watcher=$!
"${inside_env[@]}" "$GUARDFS" run -c "$T/cfg.ini" -- sh -c \
	'while [ ! -s "$(dirname "$0")/dpid" ]; do sleep 0.05; done; exec sh "$(dirname "$0")/run-inside.sh"' \
	"$B/x" >"$T/run.out" 2>"$T/run.err"
rc=$?
wait "$watcher"
check_eq "run: exit status of the command" 7 "$rc"
expect_inside "$T/run.out" run
check_fails "run: unmounted what it mounted" is_mounted
check_eq "run: the home's write did not persist" ENOENT "$(probe stat "$HOME/planted")"
check_eq "run: nothing planted in /etc" ENOENT "$(probe stat /etc/gfs-planted)"
check_eq "run: the rw path kept its write" cached "$(cat "$HOME/cache/c.txt")"
check_eq "run: the project's write is there" new "$(cat "$R/new.txt")"
check "run: the write is snapshotted" sh -c \
	"'$GUARDFS' log -c '$T/cfg.ini' . | grep -q 'new.txt'"

# --- guardfs exec, on a mount made beforehand --------------------------------
rm -f "$R/new.txt" "$HOME/cache/c.txt"
check "mount" gfs_mount "$R" -c "$T/cfg.ini"
DPID=$(daemon_pid "$R")
"${inside_env[@]}" DPID="$DPID" "$GUARDFS" exec -c "$T/cfg.ini" -- \
	sh "$B/inside.sh" >"$T/exec.out" 2>"$T/exec.err"
check_eq "exec: exit status of the command" 7 "$?"
expect_inside "$T/exec.out" exec
check "exec: the mount survived every attempt" is_mounted
check "exec: the daemon survived" kill -0 "$DPID"
check_eq "exec: the mount still answers" hello "$(cat "$R/a.txt")"

# run on a mount it did not make leaves it mounted
check_eq "run on a mounted folder" ok "$("$GUARDFS" run -c "$T/cfg.ini" -- sh -c 'cat a.txt >/dev/null && echo ok')"
check "run did not unmount a mount it did not make" is_mounted

# exit statuses and signals
check_eq "exec: exit 0" 0 "$("$GUARDFS" exec -- true; echo $?)"
check_eq "exec: exit 3" 3 "$("$GUARDFS" exec -- sh -c 'exit 3'; echo $?)"
check_eq "exec: killed by SIGKILL is 137" 137 "$("$GUARDFS" exec -- sh -c 'kill -9 $$'; echo $?)"
"$GUARDFS" exec -- sleep 30 &
gpid=$!
sleep 0.5
kill -TERM "$gpid"
wait "$gpid"
check_eq "exec: SIGTERM to guardfs reaches the command (128+15)" 143 "$?"
check_eq "exec: the working directory follows into subfolders" "$R/sub" \
	"$(mkdir -p "$R/sub" && cd "$R/sub" && "$GUARDFS" exec -- pwd)"
check_eq "exec: stdin passes through" piped "$(echo piped | "$GUARDFS" exec -- cat)"

# the project's tools work inside
cd "$R" || exit 1
check "exec: git init and commit" "$GUARDFS" exec -- sh -c \
	'git init -q -b main repo && cd repo && echo x >f && git add f && git commit -qm one'
check_eq "exec: git log" one "$(cd "$R/repo" && "$GUARDFS" exec -- git log --format=%s)"
printf 'all:\n\t@echo made >made.txt\n' >"$R/Makefile"
check "exec: make" "$GUARDFS" exec -- make -s
check_eq "exec: make's output" made "$(cat "$R/made.txt")"
check_eq "exec: python3" 42 "$("$GUARDFS" exec -- /usr/bin/python3 -c 'print(6*7)')"
check_eq "exec: sqlite3" 3 "$("$GUARDFS" exec -- sqlite3 db.sqlite3 \
	'create table t(x); insert into t values (1),(2),(3); select count(*) from t;')"
check_eq "exec: the project's .env stays hidden from ls" "" \
	"$("$GUARDFS" exec -- ls -a | grep -x .env)"

# each exec is one action: its command line labels the audit lines and
# the commit trailers of its operations, and nothing else
echo gone >"$R/b-label"
"$GUARDFS" exec -- sh -c 'echo x > a-label; rm b-label'
echo outside >"$R/c-label"
label="sh -c 'echo x > a-label; rm b-label'"
json_label=$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$label")
for _ in $(seq 1 50); do # the trail is written a few times a second
	grep -q '"path":"c-label"' "$(audit_file)" && break
	sleep 0.1
done
for op in create:a-label write:a-label unlink:b-label; do
	check_eq "exec: audit line of ${op%%:*} ${op#*:} names the command" 1 \
		"$(grep -F "\"op\":\"${op%%:*}\",\"path\":\"${op#*:}\"" "$(audit_file)" |
			grep -cF "\"action\":$json_label")"
done
check_eq "exec: an operation from outside is not the exec's action" 0 \
	"$(grep -F '"path":"c-label"' "$(audit_file)" | grep -cF "\"action\":$json_label")"
log=$("$GUARDFS" log --json .)
# (a write whose bytes the store already holds lists no operation)
check_eq "exec: the commits' trailers carry the command line" \
	"create a-label $label|unlink b-label $label|create c-label another" \
	"$(echo "$log" | python3 -c '
import json, sys
ops = [o for o in json.load(sys.stdin) if o["op"] in ("create", "unlink")
       and o["path"] in ("a-label", "b-label", "c-label")]
ops = [o for o in ops if not (o["op"] == "create" and o["path"] == "b-label")]
label = sys.argv[1]
print("|".join("%s %s %s" % (o["op"], o["path"],
      o["action"] if o.get("action") == label else "another")
      for o in reversed(ops)))' "$label")"
check_eq "exec: guardfs log shows the action" 1 \
	"$("$GUARDFS" log | grep -cF " deleted  $label")"
store=$(echo "$XDG_DATA_HOME"/guardfs/*.git)
check "exec: Guardfs-Action trailers in the store" test \
	"$(git -C "$store" log --format=%B | grep -cxF "Guardfs-Action: $label")" -ge 2
# only the guardfs program, holding the daemon's key, may begin an action
forge_action() { # KEY: what the daemon answers a forged action-begin
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(("action-begin %s 4026531836 forged\n" % sys.argv[2]).encode())
print(s.recv(100).decode().strip())' \
		"$XDG_RUNTIME_DIR/guardfs/$DPID.sock" "$1"
}
check_eq "a forged action-begin without the key is refused" \
	"action	refused: bad key" "$(forge_action nokey)"
check_eq "a forged action-begin with the key, not from guardfs, is refused" \
	"action	refused: not the guardfs program" \
	"$(forge_action "$(cat "$XDG_RUNTIME_DIR/guardfs/$DPID.key")")"

# a terminal stays a terminal with job control, and cannot be fed input
cat >"$R/tty.py" <<'EOF'
import fcntl, os, termios
print("tty", os.isatty(0))
try:
    fcntl.ioctl(0, termios.TIOCSTI, b"x")
    print("tiocsti ok")
except OSError as e:
    print("tiocsti", os.strerror(e.errno))
print("foreground", os.tcgetpgrp(0) == os.getpgrp())
EOF
out=$(script -qec "'$GUARDFS' exec -- /usr/bin/python3 tty.py" /dev/null | tr -d '\r')
check_eq "exec on a terminal: a tty, no TIOCSTI, in the foreground" \
	"tty True|tiocsti Operation not permitted|foreground True" "$(echo "$out" | paste -sd'|')"
out=$(script -qec "'$GUARDFS' exec -- bash -ic 'sleep 0.1 & wait %1 && echo job-done'" /dev/null 2>&1 | tr -d '\r')
check_eq "exec on a terminal: job control" job-done "$(echo "$out" | grep -x job-done)"
# ^C on the terminal reaches the command, which may clean up; the sandbox
# is not torn down under it
cat >"$R/intr.py" <<'EOF'
import sys, time
print("ready", flush=True)
try:
    time.sleep(10)
except KeyboardInterrupt:
    time.sleep(0.3)
    print("cleaned-up", flush=True)
    sys.exit(3)
EOF
out=$( (sleep 1.5; printf '\003'; sleep 2) |
	script -qec "'$GUARDFS' exec -- /usr/bin/python3 intr.py" /dev/null 2>&1 | tr -d '\r')
check_eq "exec on a terminal: ^C lets the command clean up" cleaned-up "$(echo "$out" | grep -o cleaned-up)"
(sleep 1.5; printf '\003'; sleep 1) | script -qec "'$GUARDFS' exec -- sleep 10" /dev/null >/dev/null 2>&1
check_eq "exec on a terminal: ^C ends a plain command (128+2)" 130 "$?"
check_eq "exec without a terminal: no controlling terminal either" ENXIO \
	"$("$GUARDFS" exec -- "$B/gfs_probe" read /dev/tty </dev/null)"

# no network with --network=no (the loopback is all there is)
check_eq "exec --network=no: only lo" lo \
	"$("$GUARDFS" exec --network=no -- sh -c "grep -o '^ *[a-z0-9]*:' /proc/net/dev | tr -d ' :'")"

# --print: the sandbox as a bwrap command line, nothing run
out=$("$GUARDFS" exec --print -- sh -c 'echo hi' | tail -n 1)
check_eq "--print names bwrap" bwrap "$(basename "$(echo "$out" | cut -d' ' -f1)")"
for part in "--unshare-pid" "--die-with-parent" "--ro-bind /usr /usr" \
	"--proc /proc" "--tmpfs /tmp" "--tmpfs $HOME" "--bind $R $R" \
	"--chdir $R" "--ro-bind-try $HOME/.gitconfig $HOME/.gitconfig" \
	"--bind-try $HOME/cache $HOME/cache" "-- sh -c 'echo hi'"; do
	case " $out " in
	*" $part "*) check_eq "--print holds $part" ok ok ;;
	*) check_eq "--print holds $part" "$part" "$out" ;;
	esac
done
case "$out" in *--unshare-net*) check_eq "--print: network kept" "" unshare-net ;; esac
check "--print --network=no adds --unshare-net" sh -c \
	"'$GUARDFS' exec --print --network=no -- true | grep -q -- '--unshare-net'"

# refused [run] paths: a credential place, a path holding one, guardfs's
# own directory; the error names the file and line
for bad in "~/.ssh" "~" "~/.aws/config" "$XDG_DATA_HOME/guardfs"; do
	printf '[guard]\nroot = %s\n[run]\nro = %s\n' "$R" "$bad" >"$T/bad.ini"
	chmod 600 "$T/bad.ini"
	err=$("$GUARDFS" exec -c "$T/bad.ini" -- true 2>&1)
	check_eq "ro = $bad refused" 1 "$("$GUARDFS" exec -c "$T/bad.ini" -- true >/dev/null 2>&1; echo $?)"
	case "$err" in
	"guardfs: $T/bad.ini:4: cannot share "*) check_eq "ro = $bad: error names FILE:LINE" ok ok ;;
	*) check_eq "ro = $bad: error names FILE:LINE" "guardfs: $T/bad.ini:4: cannot share ..." "$err" ;;
	esac
done
printf '[guard]\nroot = %s\n[run]\nenv = BAD-NAME\n' "$R" >"$T/bad.ini"
check_eq "[run] env must be a variable name" \
	"guardfs: $T/bad.ini:4: bad value 'BAD-NAME' for 'env' (expected a variable name)" \
	"$("$GUARDFS" exec -c "$T/bad.ini" -- true 2>&1)"
printf '[guard]\nroot = %s\n[run]\nnetwork = maybe\n' "$R" >"$T/bad.ini"
check_eq "[run] network must be yes, no or host" \
	"guardfs: $T/bad.ini:4: bad value 'maybe' for 'network' (expected yes, no or host)" \
	"$("$GUARDFS" exec -c "$T/bad.ini" -- true 2>&1)"

# a store kept in a system directory the sandbox shows is covered there
# (in /usr: every sandbox walks /etc, and one of another test, started
# as this store's private files were removed, would fail to mask them)
R2=$T/root2
S2=/usr/gfs-t0100-store.$$
mkdir -p "$R2"
trap 'cleanup; rm -rf "$S2"' EXIT
printf '[guard]\nroot = %s\n[snapshot]\nstore = %s\n[run]\nro = %s\n' "$R2" "$S2" "$B" >"$T/cfg2.ini"
chmod 600 "$T/cfg2.ini"
check "mount with the store in /usr" gfs_mount "$R2" -c "$T/cfg2.ini"
check "the store is there outside" test -e "$S2/HEAD"
check_eq "exec: the store in /usr is not" ENOENT \
	"$("$GUARDFS" exec -c "$T/cfg2.ini" -- "$B/gfs_probe" read "$S2/HEAD")"
check "umount the second project" gfs_umount "$R2"

# without bwrap: a clear error, and run leaves nothing mounted
cd "$T" || exit 1
check "umount" gfs_umount "$R"
err=$(PATH=/nonexistent "$GUARDFS" run -c "$T/cfg.ini" -- true 2>&1)
check_eq "no bwrap: the error says what to install" \
	"guardfs: bwrap not found in PATH: install bubblewrap (apt install bubblewrap)" "$err"
check_fails "no bwrap: nothing mounted" is_mounted
check_eq "exec on an unmounted folder" \
	"guardfs: '$R' is not mounted; mount it first, or use guardfs run" \
	"$("$GUARDFS" exec -c "$T/cfg.ini" -- true 2>&1)"
test_done
