#!/bin/bash
# /etc changed by the host while a sandbox runs, in directories that held
# nothing private as it started: host keys made in an ssh directory that
# had none (a plain 0600 file, and the real ssh-keygen -A in /etc/ssh), a
# file turned private in place and given a secret (small, and over 1 MiB),
# a private file in a public subdirectory. The sandbox's /etc is a copy
# guardfs made as it started, so none of it shows; public files read as
# they were. A new sandbox gets /etc as it is now. Then the copies
# themselves: reused while /etc is unchanged, made anew when it changes,
# kept while a sandbox holds them, never kept when made from an /etc
# changed in the last 2 s, bounded at 64 MiB; for root, then for an
# ordinary user (whose copies keep 0555 directories and 0444 files).
#
# In a mount namespace of its own, on an overlay of /etc (as t0103): the
# machine's /etc never changes.
GFS_OWN_MOUNT_NS="files only root reads"
. "$(dirname "$0")/lib.sh"

etc_test_setup
as_ordinary_user

E=/etc/guardfs-test-$$
SSH=$E-ssh # 0755: ssh_config and moduli, no key
PD=$E-pd   # 0755: conf, big (2 MiB), sub/a.txt, ro/ (0555) with f (0444), a fifo
TOP=$E-top # 0644, in /etc itself
COPIES=$XDG_RUNTIME_DIR/guardfs/etc

# The real /etc/ssh, when it holds no host key yet: ssh-keygen -A fills it.
real_ssh=no
if command -v ssh-keygen >/dev/null && [ -d /etc/ssh ] &&
	! ls /etc/ssh/ssh_host_* >/dev/null 2>&1; then
	real_ssh=yes
fi

make_fixtures() {
	rm -rf "$E"-*
	mkdir -m 755 "$SSH" "$PD" "$PD/sub"
	printf 'Host *\n' >"$SSH/ssh_config"
	printf 'moduli\n' >"$SSH/moduli"
	printf 'conf-public\n' >"$PD/conf"
	head -c 2097152 /dev/urandom >"$PD/big"
	printf 'a-public\n' >"$PD/sub/a.txt"
	mkdir "$PD/ro"
	printf 'ro-public\n' >"$PD/ro/f"
	chmod 444 "$PD/ro/f"
	chmod 555 "$PD/ro"
	mkfifo -m 644 "$PD/fifo"
	printf 'top-public\n' >"$TOP"
	chmod 644 "$SSH"/* "$PD/conf" "$PD/big" "$PD/sub/a.txt" "$TOP"
	BIGSUM=$(sha256sum <"$PD/big" | cut -c1-64)
	[ "$real_ssh" = no ] || rm -f /etc/ssh/ssh_host_*
}

# change_etc: what the host does while the sandbox runs
change_etc() {
	(umask 077 && printf -- '-----BEGIN OPENSSH PRIVATE KEY-----\nt0108\n' >"$SSH/ssh_host_ed25519_key")
	printf 'ssh-ed25519 AAAA t0108\n' >"$SSH/ssh_host_ed25519_key.pub"
	chmod 644 "$SSH/ssh_host_ed25519_key.pub"
	[ "$real_ssh" = no ] || ssh-keygen -A >/dev/null
	# turned private in place, then the secret written: the same inode
	conf_ino=$(stat -c %i "$PD/conf")
	chmod 600 "$PD/conf" "$PD/big" "$TOP"
	printf 'SECRET-conf\n' >"$PD/conf"
	printf 'SECRET-big' | dd of="$PD/big" conv=notrunc status=none
	printf 'SECRET-top\n' >"$TOP"
	(umask 077 && printf 'SECRET-sub\n' >"$PD/sub/key")
	printf 'new-public\n' >"$PD/newpub"
	chmod 644 "$PD/newpub"
}

R=$T/root
B=$T/bin
mkdir -p "$R" "$B"
cp "$GFS_PROBE" "$B/"
printf '[guard]\nroot = %s\n[run]\nro = %s\n' "$R" "$B" >"$T/cfg.ini"
chmod 600 "$T/cfg.ini"

# What the agent reads, as root inside, once the host has changed /etc.
cat >"$B/look.sh" <<'EOF'
P=$(dirname "$0")/gfs_probe
echo "ssh_key=$($P read "$SSH/ssh_host_ed25519_key")"
echo "ssh_pub=$($P read "$SSH/ssh_host_ed25519_key.pub")"
echo "ssh_ls=$(ls -A "$SSH" | paste -sd,)"
echo "real_ssh_keys=$(ls /etc/ssh 2>/dev/null | grep -c '^ssh_host_.*_key$')"
echo "conf=$(cat "$PD/conf" 2>&1)"
echo "conf_mode=$(stat -c %a "$PD/conf" 2>&1)"
echo "big=$(sha256sum <"$PD/big" 2>/dev/null | cut -c1-64)"
echo "big_secret=$(grep -c SECRET "$PD/big" 2>/dev/null)"
echo "sub_key=$($P read "$PD/sub/key")"
echo "sub_a=$(cat "$PD/sub/a.txt" 2>&1)"
echo "top=$(cat "$TOP" 2>&1)"
echo "newpub=$($P read "$PD/newpub")"
echo "ro=$(cat "$PD/ro/f" 2>&1)"
echo "fifo=$($P lstat "$PD/fifo")"
echo "pd_write=$($P open "$PD/planted" wc)"
echo "passwd=$(getent passwd root | cut -d: -f1)"
EOF
# Inside a long sandbox: says it is up, waits for the host's changes.
cat >"$B/live.sh" <<'EOF'
: >ready
i=0
while [ ! -e go ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
sh "$(dirname "$0")/look.sh"
EOF

fixtures=(env SSH="$SSH" PD="$PD" TOP="$TOP")

# expect_lines OUTPUT WHAT LINE...
expect_lines() {
	local out=$1 what=$2 line
	shift 2
	for line in "$@"; do
		check_eq "$what: ${line%%=*}" "$line" "$(grep "^${line%%=*}=" "$out")"
	done
}

# What a sandbox started before the change must show: /etc as it was.
during=(ssh_key=ENOENT ssh_pub=ENOENT ssh_ls=moduli,ssh_config
	real_ssh_keys=0 conf=conf-public conf_mode=644 big=BIGSUM big_secret=0
	sub_key=ENOENT sub_a=a-public top=top-public newpub=ENOENT ro=ro-public
	fifo=ENOENT pd_write=EROFS passwd=root)
during_lines() { printf '%s\n' "${during[@]}" | sed "s/=BIGSUM\$/=$BIGSUM/"; }

# copies: the copies of /etc of this test's user, one name a line
copies() { ls -A "$COPIES" 2>/dev/null; }

# --- guardfs exec, running while the host changes /etc -----------------------
make_fixtures
cd "$R" || exit 1
check "mount" gfs_mount "$R" -c "$T/cfg.ini"
"${fixtures[@]}" "$GUARDFS" exec -c "$T/cfg.ini" -- sh "$B/live.sh" >"$T/exec.out" 2>"$T/exec.err" &
sandbox=$!
check "exec: the sandbox is up" wait_for_file "$R/ready"
change_etc
check_eq "outside: root reads the secret written in place" SECRET-conf "$(cat "$PD/conf")"
check_eq "outside: the same inode" "$conf_ino" "$(stat -c %i "$PD/conf")"
[ "$real_ssh" = no ] || check "outside: ssh-keygen -A made host keys" ls /etc/ssh/ssh_host_ed25519_key
: >"$R/go"
wait "$sandbox"
check_eq "exec: exit status" 0 "$?"
cat "$T/exec.err" >&2
mapfile -t lines < <(during_lines)
expect_lines "$T/exec.out" "exec, /etc changed meanwhile" "${lines[@]}"

# a sandbox started now gets /etc as it is now
"${fixtures[@]}" "$GUARDFS" exec -c "$T/cfg.ini" -- sh "$B/look.sh" >"$T/after.out" 2>&1
expect_lines "$T/after.out" "exec after the change" ssh_key=ENOENT \
	ssh_pub=ok ssh_ls=moduli,ssh_config,ssh_host_ed25519_key.pub \
	real_ssh_keys=0 "conf=cat: $PD/conf: No such file or directory" \
	sub_key=ENOENT top="cat: $TOP: No such file or directory" newpub=ok \
	ro=ro-public passwd=root
rm -f "$R/ready" "$R/go"
check "umount" gfs_umount "$R"

# --- guardfs run, mounting on its own, while the host changes /etc ------------
make_fixtures
"${fixtures[@]}" "$GUARDFS" run -c "$T/cfg.ini" -- sh "$B/live.sh" >"$T/run.out" 2>"$T/run.err" &
sandbox=$!
check "run: the sandbox is up" wait_for_file "$R/ready"
held=$(copies | paste -sd,)
change_etc
# another sandbox meanwhile: it makes a copy of the changed /etc, and
# leaves the one the run holds
check_eq "exec beside the run: the new secret is not there" ENOENT \
	"$("$GUARDFS" exec -c "$T/cfg.ini" -- "$B/gfs_probe" read "$PD/conf")"
check_eq "the run's copy is still there" "$held" \
	"$(copies | grep -Fxf <(tr , '\n' <<<"$held") | paste -sd,)"
: >"$R/go"
wait "$sandbox"
check_eq "run: exit status" 0 "$?"
cat "$T/run.err" >&2
mapfile -t lines < <(during_lines)
expect_lines "$T/run.out" "run, /etc changed meanwhile" "${lines[@]}"
rm -f "$R/ready" "$R/go"

# --- the copies ----------------------------------------------------------------
check "mount again" gfs_mount "$R" -c "$T/cfg.ini"
check_eq "the copies are this user's alone" 700 "$(stat -c %a "$COPIES")"
sleep 2.1 # (older than 2 s: a copy of /etc as it is now may be kept)
"$GUARDFS" exec -c "$T/cfg.ini" -- true
first=$(copies | paste -sd,)
check "a copy of a settled /etc is kept, named by its hash" grep -qxE '[0-9a-f]{32}' <<<"$first"
"$GUARDFS" exec -c "$T/cfg.ini" -- true
check_eq "an unchanged /etc: the same copy" "$first" "$(copies | paste -sd,)"
printf 'a-changed\n' >"$PD/sub/a.txt"
check_eq "a change shows at once" a-changed \
	"$("$GUARDFS" exec -c "$T/cfg.ini" -- cat "$PD/sub/a.txt")"
check_eq "a copy of an /etc changed in the last 2 s is not kept" "" "$(copies | paste -sd,)"
sleep 2.1
# what a guardfs killed while it made a copy left behind, 0555 and 0444
mkdir -p "$COPIES/new.killed/d"
: >"$COPIES/new.killed/d/f"
chmod 444 "$COPIES/new.killed/d/f"
chmod 555 "$COPIES/new.killed/d"
"$GUARDFS" exec -c "$T/cfg.ini" -- true
second=$(copies | paste -sd,)
check "a changed /etc: a new copy, the rest removed" grep -qxE '[0-9a-f]{32}' <<<"$second"
check_fails "the new copy is another" test "$first" = "$second"
check_eq "the new copy holds the change" a-changed "$(cat "$COPIES/$second${PD#/etc}/sub/a.txt")"

# at most 64 MiB of files are copied; more refuses the sandbox
head -c $((65 << 20)) /dev/zero >"$PD/huge"
chmod 644 "$PD/huge"
check_eq "more than 64 MiB of /etc: refused" \
	"guardfs: cannot copy '$PD/huge' into the sandbox's /etc ('$COPIES/new.XXXXXX'): more than 64 MiB of files to copy|exit 1" \
	"$( ("$GUARDFS" exec -c "$T/cfg.ini" -- true 2>&1; echo "exit $?") |
		sed 's|/new\.[a-z0-9]\{6\}|/new.XXXXXX|' | paste -sd'|')"
check_eq "the refused copy is not left behind" "" "$(copies | grep -v '^[0-9a-f]\{32\}$')"
rm -f "$PD/huge"
check "umount" gfs_umount "$R"

# --- an ordinary user, reading through its group ------------------------------
if ! as_user bwrap --unshare-user --ro-bind / / true 2>/dev/null; then
	echo "skipped the ordinary user: the kernel refuses user namespaces to $U (t0101 checks the error)"
	test_done
fi
user_dir
trap 'etc_overlay_off; cleanup; rm -rf "$UD"; user_dir_modes_back' EXIT
G=$(id -gn "$U")
make_fixtures
as_user mkdir -p "$UD/root" "$UD/home" "$UD/run" "$UD/bin"
as_user chmod 700 "$UD/run"
cp "$GFS_PROBE" "$UD/bin/"
printf '[guard]\nroot = %s\n[run]\nro = %s\n' "$UD/root" "$UD/bin" |
	as_user sh -c "cat >'$UD/cfg.ini'"
cat >"$UD/bin/live.sh" <<'EOF'
P=$(dirname "$0")/gfs_probe
: >ready
i=0
while [ ! -e go ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
echo "grp_later=$($P read "$PD/sub/grp")"
echo "conf=$(cat "$PD/conf" 2>&1)"
echo "ro=$(cat "$PD/ro/f" 2>&1)"
EOF
envs=(env HOME="$UD/home" XDG_RUNTIME_DIR="$UD/run" XDG_STATE_HOME="$UD/home/state"
	XDG_DATA_HOME="$UD/home/data" XDG_CONFIG_HOME="$UD/home/config" PD="$PD")
in_root() { as_user sh -c 'cd "$1" && shift && exec "$@"' sh "$UD/root" "${envs[@]}" "$@"; }
check "user mounts" in_root "$GUARDFS" mount -c "$UD/cfg.ini"
in_root "$GUARDFS" exec -c "$UD/cfg.ini" -- sh "$UD/bin/live.sh" >"$T/user.out" 2>"$T/user.err" &
sandbox=$!
check "user exec: the sandbox is up" wait_for_file "$UD/root/ready" as_user
# made later, or turned so in place: readable by the user's group only
printf 'SECRET-grp\n' >"$PD/sub/grp"
chown "root:$G" "$PD/sub/grp" "$PD/conf"
chmod 640 "$PD/sub/grp" "$PD/conf"
printf 'SECRET-conf\n' >"$PD/conf"
check_eq "outside: the user reads the group's file" SECRET-grp "$(as_user cat "$PD/sub/grp")"
as_user sh -c ": >'$UD/root/go'"
wait "$sandbox"
check_eq "user exec: exit status" 0 "$?"
cat "$T/user.err" >&2
expect_lines "$T/user.out" "user exec, /etc changed meanwhile" grp_later=ENOENT \
	conf=conf-public ro=ro-public
UCOPIES=$UD/run/guardfs/etc
sleep 2.1
in_root "$GUARDFS" exec -c "$UD/cfg.ini" -- true
ufirst=$(as_user ls -A "$UCOPIES" | paste -sd,)
check "user: a copy kept" grep -qxE '[0-9a-f]{32}' <<<"$ufirst"
check_eq "user: the copy keeps the 0555 directory" 555 "$(stat -c %a "$UCOPIES/$ufirst${PD#/etc}/ro")"
printf 'a-changed-again\n' >"$PD/sub/a.txt"
sleep 2.1
in_root "$GUARDFS" exec -c "$UD/cfg.ini" -- true
usecond=$(as_user ls -A "$UCOPIES" | paste -sd,)
check "user: a new copy, the old one removed" grep -qxE '[0-9a-f]{32}' <<<"$usecond"
check_fails "user: the new copy is another" test "$ufirst" = "$usecond"
check "user unmounts" as_user "${envs[@]}" "$GUARDFS" umount "$UD/root"
test_done
