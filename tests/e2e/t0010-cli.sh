#!/bin/bash
# The command line: help, version, usage errors, config errors with file
# and line, init, status, umount of stale mounts.
. "$(dirname "$0")/lib.sh"

check "--version" bash -c '"$GUARDFS" --version | grep -qx "guardfs [0-9.]*"'
check "--help lists mount" bash -c '"$GUARDFS" --help | grep -q "^  mount "'
for cmd in mount umount status init; do
	check "$cmd --help exits 0" "$GUARDFS" $cmd --help
done
"$GUARDFS" frobnicate 2>/dev/null
check_eq "unknown command exits 2" 2 $?
"$GUARDFS" mount --bogus 2>/dev/null
check_eq "unknown option exits 2" 2 $?
"$GUARDFS" umount 2>/dev/null
check_eq "umount without PATH exits 2" 2 $?

# init writes a config that mount accepts, and never overwrites.
mkdir -p "$T/proj"
check "init writes a starter config" "$GUARDFS" init "$T/proj"
check_eq "starter config is private" 600 "$(stat -c %a "$T/proj/.guardfs.ini")"
check_eq "starter config names the root" "root = $T/proj" \
	"$(grep '^root = ' "$T/proj/.guardfs.ini")"
"$GUARDFS" init "$T/proj" 2>/dev/null
check_eq "init refuses to overwrite" 1 $?

# Config errors name the file and line, and nothing gets mounted.
mkdir -p "$T/root"
config_error() { # DESCRIPTION EXPECTED-MESSAGE INI-TEXT
	printf '%s' "$3" >"$T/bad.ini"
	chmod 600 "$T/bad.ini"
	local err
	err=$("$GUARDFS" mount -c "$T/bad.ini" "$T/root" 2>&1)
	check_eq "$1: exit 1" 1 $?
	check_eq "$1: message" "$2" "$err"
	check_fails "$1: nothing mounted" grep -q " $T/root fuse" /proc/mounts
}
config_error "unknown section" \
	"guardfs: $T/bad.ini:3: unknown section 'bogus'" \
	$'[guard]\n\n[bogus]\nx = 1\n'
config_error "unknown key" \
	"guardfs: $T/bad.ini:2: unknown key 'colour' in section [deny]" \
	$'[deny]\ncolour = red\n'
config_error "bad boolean" \
	"guardfs: $T/bad.ini:4: bad value 'maybe' for 'builtin' (expected yes or no)" \
	$'[deny]\npattern = *.db\n\nbuiltin = maybe\n'
config_error "bad audit level" \
	"guardfs: $T/bad.ini:2: bad value 'some' for 'level' (expected all, mutations or denied)" \
	$'[audit]\nlevel = some\n'
config_error "key outside a section" \
	"guardfs: $T/bad.ini:1: key 'root' outside any section" \
	$'root = /tmp\n'
config_error "syntax error" \
	"guardfs: $T/bad.ini:2: syntax error (expected [section] or key = value)" \
	$'[guard]\nthis is not ini\n'

printf '[guard]\nroot = %s\n' "$T/root" >"$T/open.ini"
chmod 664 "$T/open.ini"
err=$("$GUARDFS" mount -c "$T/open.ini" 2>&1)
check_eq "group-writable config refused" \
	"guardfs: $T/open.ini: writable by group or others (mode 664); run chmod go-w on it" "$err"

err=$("$GUARDFS" mount "$T/missing" 2>&1)
check_eq "missing root" \
	"guardfs: cannot use root '$T/missing': No such file or directory" "$err"

# A store inside the root is refused (P6).
printf '[snapshot]\nstore = %s/root/.store\n' "$T" >"$T/store.ini"
chmod 600 "$T/store.ini"
err=$("$GUARDFS" mount -c "$T/store.ini" "$T/root" 2>&1)
check_eq "store inside root refused" \
	"guardfs: the store '$T/root/.store' lies inside the guarded folder '$T/root'; move it out (the agent could rewrite it)" "$err"

# -c supplies ROOT from [guard] root; status lists the mount.
chmod 600 "$T/open.ini"
check "mount with -c" gfs_mount "$T/root" -c "$T/open.ini"
check "mount is a guardfs mount" grep -q " $T/root fuse.guardfs " /proc/mounts
status=$("$GUARDFS" status --json)
check_eq "status --json" "$T/root $T/root $T/open.ini" "$(python3 -c '
import json, sys
m = json.loads(sys.argv[1])["mounts"]
assert len(m) == 1 and m[0]["pid"] > 0
print(m[0]["root"], m[0]["mountpoint"], m[0]["config"])' "$status")"
check "status text names the root" bash -c '"$GUARDFS" status | grep -qx "$0"' "$T/root"
err=$("$GUARDFS" mount "$T/root" 2>&1)
check_eq "second mount refused" \
	"guardfs: '$T/root' is already guarded (see guardfs status)" "$err"
check "umount" gfs_umount "$T/root"
check_fails "unmounted" grep -q " $T/root fuse" /proc/mounts
check_eq "status after umount" '{"mounts":[]}' "$("$GUARDFS" status --json)"
err=$("$GUARDFS" umount "$T/root" 2>&1)
check_eq "umount of a plain folder" \
	"guardfs: '$T/root' is not a guardfs mount" "$err"

# A daemon killed with SIGKILL leaves a dead mount; umount clears it.
check "mount again" gfs_mount "$T/root" "$T/root"
pid=$(daemon_pid "$T/root")
kill -9 "$pid"
while kill -0 "$pid" 2>/dev/null && [ "$(awk '{print $3}' /proc/$pid/stat 2>/dev/null)" != Z ]; do
	sleep 0.05
done
# A request caught in flight while the kernel tears the connection down
# ends ECONNABORTED (over /dev/fuse) or ECANCELED (its io_uring command
# cancelled); once the teardown is over every request answers ENOTCONN.
for _ in $(seq 100); do
	dead=$(probe stat "$T/root/x")
	case $dead in ECONNABORTED | ECANCELED) sleep 0.05 ;; *) break ;; esac
done
check_eq "dead mount answers ENOTCONN" ENOTCONN "$dead"
check "umount clears a stale mount" gfs_umount "$T/root"
check_fails "stale mount gone" grep -q " $T/root fuse" /proc/mounts
check_eq "status forgets the dead daemon" '{"mounts":[]}' "$("$GUARDFS" status --json)"

# SIGTERM to the daemon unmounts cleanly.
check "mount for SIGTERM" gfs_mount "$T/root" "$T/root"
pid=$(daemon_pid "$T/root")
kill -TERM "$pid"
for _ in $(seq 100); do
	grep -q " $T/root fuse" /proc/mounts || break
	sleep 0.05
done
check_fails "SIGTERM unmounted" grep -q " $T/root fuse" /proc/mounts

test_done
