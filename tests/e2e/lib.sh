# Shared by the end-to-end tests; sourced, not run.
#
# Each test file works in its own temporary directory with its own HOME
# and XDG directories, so stores, audit trails and control sockets never
# mix with the user's or another test's. Every mount is unmounted by the
# EXIT trap, even when a check fails or the script is interrupted, and
# only the daemons this script started are ever killed, by pid.

set -u

# A test that needs a mount namespace of its own (an overlay on /etc, its
# own /dev) sets GFS_OWN_MOUNT_NS to why, before sourcing this file: it
# runs again inside one, as root, or is skipped.
if [ -n "${GFS_OWN_MOUNT_NS:-}" ] && [ -z "${GFS_IN_NS:-}" ]; then
	[ "$(id -u)" -eq 0 ] || { echo "skipped: needs root (a mount namespace, $GFS_OWN_MOUNT_NS)"; exit 0; }
	exec unshare -m env GFS_IN_NS=1 bash "$0" "$@"
fi

: "${GUARDFS:?GUARDFS must name the guardfs binary}"
: "${GFS_PROBE:?GFS_PROBE must name the gfs_probe binary}"

T=$(mktemp -d /tmp/gfs-test.XXXXXX)
export HOME=$T/home
export XDG_STATE_HOME=$T/state XDG_DATA_HOME=$T/data
export XDG_CONFIG_HOME=$T/config XDG_RUNTIME_DIR=$T/run
mkdir -p "$HOME" "$XDG_STATE_HOME" "$XDG_DATA_HOME" "$XDG_CONFIG_HOME"
mkdir -p -m 0700 "$XDG_RUNTIME_DIR"

passed=0
failed=0
mounted=()
ref_mounts=()
daemons=()

cleanup() {
	local mp pid log
	for mp in "${mounted[@]}"; do
		if grep -q " $mp fuse.guardfs " /proc/mounts 2>/dev/null; then
			"$GUARDFS" umount "$mp" >/dev/null 2>&1 ||
				umount -l "$mp" 2>/dev/null
		fi
	done
	for mp in "${ref_mounts[@]}"; do
		fusermount3 -u "$mp" 2>/dev/null
	done
	for pid in "${daemons[@]}"; do
		kill -0 "$pid" 2>/dev/null && kill "$pid" 2>/dev/null
	done
	# A daemon ends by recording and writing its store's index: let it
	# finish (10 s at most) before its folder goes, or it makes the
	# store's directory again under a removed test directory.
	for pid in "${daemons[@]}"; do
		for _ in $(seq 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
	done
	# a failed test shows what its daemons said (CI keeps nothing else)
	if [ "$failed" -gt 0 ]; then
		for log in "$XDG_STATE_HOME"/guardfs/*.log; do
			[ -s "$log" ] || continue
			echo "--- the end of $log:" >&2
			tail -n 40 "$log" >&2
		done
	fi
	# GFS_KEEP=1 keeps a failed test's stores and audit trails to read
	if [ "${GFS_KEEP:-}" = 1 ] && [ "$failed" -gt 0 ]; then
		echo "kept: $T" >&2
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# status_field MOUNTPOINT KEY: that mount's KEY in guardfs status.
status_field() {
	"$GUARDFS" status --json | python3 -c '
import json, sys
for m in json.load(sys.stdin)["mounts"]:
    if m["mountpoint"] == sys.argv[1]:
        print(m[sys.argv[2]])' "$1" "$2"
}

# The pid of the daemon serving mount point $1.
daemon_pid() {
	status_field "$1" pid
}

# How the kernel's requests should reach a daemon mounted now: io_uring
# where the fuse module allows it (enable_uring), else /dev/fuse.
expected_requests() {
	if [ "$(cat /sys/module/fuse/parameters/enable_uring 2>/dev/null)" = Y ]; then
		echo io_uring
	else
		echo /dev/fuse
	fi
}

# gfs_mount MOUNTPOINT [mount arguments...]: mounts and registers cleanup.
gfs_mount() {
	local mp=$1
	shift
	mounted+=("$mp")
	"$GUARDFS" mount "$@" >/dev/null || return 1
	daemons+=("$(daemon_pid "$mp")")
}

gfs_umount() {
	"$GUARDFS" umount "$1"
}

# breaker_off: the user's config (every mount of this test) turns the
# breaker off, for tests that delete, rename or write in bulk on purpose;
# the breaker has tests of its own (t0134 to t0138).
breaker_off() {
	mkdir -p "$XDG_CONFIG_HOME/guardfs"
	printf '[limits]\ndeletes_per_minute = 0\nrenames_per_minute = 0\nbytes_written_per_minute = 0\ndelete_fraction = 0\n' \
		>"$XDG_CONFIG_HOME/guardfs/config.ini"
	chmod 600 "$XDG_CONFIG_HOME/guardfs/config.ini"
}

# The reference the third-party suites compare guardfs with: libfuse's own
# passthrough_ll example, built from libfuse3-dev's copy into $T/bin.
build_passthrough_ll() {
	local ex=/usr/share/doc/libfuse3-dev/examples/passthrough_ll.c
	[ -x "$T/bin/passthrough_ll" ] && return 0
	mkdir -p "$T/bin" || return
	# pkg-config's flags are words of their own
	# shellcheck disable=SC2046
	cc -O2 -o "$T/bin/passthrough_ll" "$ex" \
		$(pkg-config --cflags --libs fuse3)
}

# passthrough_ll_mount SOURCE MOUNTPOINT: mounts and registers cleanup.
passthrough_ll_mount() {
	local i
	ref_mounts+=("$2")
	"$T/bin/passthrough_ll" -f -o source="$1" "$2" >>"$T/passthrough_ll.log" 2>&1 &
	daemons+=($!)
	for i in $(seq 100); do
		grep -q " $2 fuse" /proc/mounts && return 0
		sleep 0.05
	done
	return 1
}

# probe OP PATH [ARGS]: one syscall, prints ok or the errno name.
probe() {
	"$GFS_PROBE" "$@"
}

# as_ordinary_user: sets U to an ordinary user (gfs-test-user, made when
# missing; the caller itself when not root) and defines as_user CMD...
# to run CMD as that user.
as_ordinary_user() {
	if [ "$(id -u)" -ne 0 ]; then
		U=$(id -un)
		as_user() { "$@"; }
	else
		U=gfs-test-user
		id "$U" >/dev/null 2>&1 ||
			useradd --no-create-home --shell /bin/false "$U"
		as_user() { runuser -u "$U" -- "$@"; }
	fi
}

# user_dir: makes UD, a world-traversable folder U owns, with UD/root
# registered for unmounting, and gives /dev/fuse and /dev/net/tun (the
# sandbox's network) the standard 0666 (some containers make them 0600);
# the trap removes UD and puts the modes back.
user_dir() {
	fuse_mode=$(stat -c %a /dev/fuse)
	tun_mode=$(stat -c %a /dev/net/tun 2>/dev/null)
	if [ "$(id -u)" -eq 0 ]; then
		chmod 666 /dev/fuse
		[ -n "$tun_mode" ] && chmod 666 /dev/net/tun
	fi
	UD=$(mktemp -d /tmp/gfs-user.XXXXXX)
	chmod 755 "$UD"
	chown "$U" "$UD"
	mounted+=("$UD/root")
	trap 'cleanup; rm -rf "$UD"; user_dir_modes_back' EXIT
}

user_dir_modes_back() {
	[ "$(id -u)" -eq 0 ] || return 0
	chmod "$fuse_mode" /dev/fuse
	[ -z "$tun_mode" ] || chmod "$tun_mode" /dev/net/tun
}

# etc_overlay: an overlay on /etc, for a test that plants fixtures there
# from a mount namespace of its own (unshare -m): the machine's /etc never
# holds them, and other tests' sandboxes, which walk it, never see them
# come and go. Its layers lie on a tmpfs over /mnt (this namespace's),
# never under $T, which the trap removes. etc_overlay_off undoes it.
etc_overlay() {
	mount --make-rprivate / &&
		mount -t tmpfs tmpfs /mnt &&
		mkdir /mnt/up /mnt/work &&
		mount -t overlay overlay \
			-o lowerdir=/etc,upperdir=/mnt/up,workdir=/mnt/work /etc
}

etc_overlay_off() {
	umount -l /etc
	umount -l /mnt
}

# wait_for_file FILE [PREFIX...]: FILE exists within 30 s, as seen by
# PREFIX test -e (as_user, to look as another user).
wait_for_file() {
	local i file=$1
	shift
	for ((i = 0; i < 600; i++)); do
		"$@" test -e "$file" && return 0
		sleep 0.05
	done
	return 1
}

# The start of a test of the sandbox's /etc: bwrap there, the overlay on
# /etc, and a trap that takes it down.
etc_test_setup() {
	command -v bwrap >/dev/null || { echo "FAIL: bwrap missing (apt install bubblewrap)"; exit 1; }
	etc_overlay || { echo "FAIL: cannot mount an overlay on /etc"; exit 1; }
	trap 'etc_overlay_off; cleanup' EXIT
}

# check DESCRIPTION COMMAND...: the command must succeed.
check() {
	local what=$1
	shift
	if "$@" >/dev/null; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL: $what" >&2
		echo "      command: $*" >&2
	fi
}

# check_eq DESCRIPTION EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL: $1" >&2
		echo "      expected: $(printf '%q' "$2")" >&2
		echo "      actual:   $(printf '%q' "$3")" >&2
	fi
}

# check_fails DESCRIPTION COMMAND...: the command must fail.
check_fails() {
	local what=$1
	shift
	if "$@" >/dev/null 2>&1; then
		failed=$((failed + 1))
		echo "FAIL: $what (succeeded)" >&2
	else
		passed=$((passed + 1))
	fi
}

# ask_id PATH: the id of the ask waiting on PATH in the mount at $R
# (10 s at most).
ask_id() {
	local i id
	for i in $(seq 100); do
		id=$("$GUARDFS" ask list "$R" | awk -F'\t' -v p="$1" '$4 == p {print $1; exit}')
		[ -n "$id" ] && { echo "$id"; return 0; }
		sleep 0.1
	done
	return 1
}

# audit_rule PATH: the rule of the last refusal of PATH in the audit
# trail $AUDIT (once its writer has had time to flush).
audit_rule() {
	sleep 0.3
	python3 - "$AUDIT" "$1" <<'PY'
import json, sys
rule = "-"
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("path") == sys.argv[2] and e.get("result") != "ok":
        rule = e.get("rule", "-")
print(rule)
PY
}

# The audit trail of the mount whose root is $1.
audit_file() {
	echo "$XDG_STATE_HOME"/guardfs/*.audit.jsonl
}

test_done() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}

# gfs_mount_limited LIMIT ROOT: mounts ROOT in place with the daemon's
# descriptor limit at LIMIT, which it cannot raise (no CAP_SYS_RESOURCE),
# and registers it for cleanup; sets pid to the daemon's.
gfs_mount_limited() {
	mounted+=("$2")
	prlimit --nofile="$1:$1" \
		setpriv --inh-caps=-sys_resource --bounding-set=-sys_resource \
		"$GUARDFS" mount "$2" >/dev/null || return 1
	pid=$(daemon_pid "$2")
	daemons+=("$pid")
}

# make_tree DIR N: N one-line files natively in DIR, 100 per directory.
make_tree() {
	python3 - "$1" "$2" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = f"{root}/d{i // 100:04d}"
    if i % 100 == 0:
        os.makedirs(d, exist_ok=True)
    with open(f"{d}/f{i}", "w") as f:
        f.write(f"{i}\n")
PY
}
