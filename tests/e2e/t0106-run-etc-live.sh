#!/bin/bash
# /etc changed by the host while a sandbox runs: what others may not read
# never shows, whether made later, renamed over a hidden file (chpasswd
# rewrites /etc/shadow so) or put in place of a hidden directory moved
# aside. A mask on the host's dentry would be dropped by the kernel at
# such a rename; the sandbox's /etc is made afresh instead, so a public
# file of it is the copy taken as the sandbox started. For root (the
# agent is root inside), then for an ordinary user reading through its
# group; and a project that lies in /etc. (t0108: the same in
# directories that held nothing private as the sandbox started.)
#
# In a mount namespace of its own, on an overlay of /etc (as t0103): the
# machine's /etc never changes.
GFS_OWN_MOUNT_NS="files only root reads"
. "$(dirname "$0")/lib.sh"

etc_test_setup
# (after the overlay: a user it must add goes into the overlay only)
as_ordinary_user

E=/etc/guardfs-test-$$
printf 'old-secret\n' >"$E-secret" # 0600, renamed over while it runs
chmod 600 "$E-secret"
mkdir -m 755 "$E-dir" # a public directory holding a 0600 file
printf 'dir-key\n' >"$E-dir/key"
printf 'dir-pub\n' >"$E-dir/pub"
chmod 600 "$E-dir/key"
chmod 644 "$E-dir/pub"
mkdir -m 700 "$E-mdir" # hidden whole, moved aside while it runs
printf 'mdir-old\n' >"$E-mdir/secret"
printf 'public-old\n' >"$E-public" # 0644, renamed over while it runs
chmod 644 "$E-public"
mkdir -m 755 "$E-sub" # nothing hidden in it: copied all the same

R=$T/root
B=$T/bin
mkdir -p "$R" "$B"
cp "$GFS_PROBE" "$B/"
printf '[guard]\nroot = %s\n[run]\nro = %s\n' "$R" "$B" >"$T/cfg.ini"
chmod 600 "$T/cfg.ini"

# Inside: says it is up, waits for the host's changes, then looks.
cat >"$B/live.sh" <<'EOF'
P=$(dirname "$0")/gfs_probe
: >ready
i=0
while [ ! -e go ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
echo "secret=$($P read "$E-secret")"
echo "secret_bytes=$(cat "$E-secret" 2>/dev/null | wc -c)"
echo "shadow=$($P read /etc/shadow)"
echo "shadow_planted=$(cat /etc/shadow 2>/dev/null | grep -c planted)"
echo "new=$($P read "$E-new")"
echo "dir_key=$($P read "$E-dir/key")"
echo "dir_newkey=$($P read "$E-dir/newkey")"
echo "dir_pub=$(cat "$E-dir/pub")"
echo "mdir=$($P read "$E-mdir/secret")"
echo "mdir_entries=$(ls -A "$E-mdir" 2>/dev/null | wc -l)"
echo "mdir_aside=$($P read "$E-mdir.aside/secret")"
echo "public=$(cat "$E-public")"
echo "sub_new=$($P read "$E-sub/new")"
EOF

# change_etc: what the host does while the sandbox runs
change_etc() {
	# a new 0600 file renamed over the hidden one, as passwd tools do
	(umask 077 && printf 'renamed-secret\n' >"$E-secret.tmp")
	mv -f "$E-secret.tmp" "$E-secret"
	# /etc/shadow rewritten by the real tool (a new file renamed over it)
	printf '%s:$6$t0106$planted\n' "$U" | chpasswd -e
	# a new private file beside them, and in a directory holding one
	(umask 077 && printf 'new-secret\n' >"$E-new")
	(umask 077 && printf 'new-key\n' >"$E-dir/newkey")
	# the hidden directory moved aside, a new one in its place
	mv "$E-mdir" "$E-mdir.aside"
	mkdir -m 700 "$E-mdir"
	(umask 077 && printf 'mdir-new\n' >"$E-mdir/secret")
	# a public file replaced, one made in a public directory: neither
	# shows, the sandbox's /etc is /etc as it started
	printf 'public-new\n' >"$E-public.tmp"
	chmod 644 "$E-public.tmp"
	mv -f "$E-public.tmp" "$E-public"
	printf 'sub-new\n' >"$E-sub/new"
	chmod 644 "$E-sub/new"
}

cd "$R" || exit 1
check "mount" gfs_mount "$R" -c "$T/cfg.ini"
env E="$E" "$GUARDFS" exec -c "$T/cfg.ini" -- sh "$B/live.sh" >"$T/exec.out" 2>"$T/exec.err" &
sandbox=$!
check "exec: the sandbox is up" wait_for_file "$R/ready"
change_etc
check_eq "outside: root reads the renamed secret" renamed-secret "$(cat "$E-secret")"
check_eq "outside: chpasswd renamed a new /etc/shadow" 1 "$(grep -c "^$U:\$6\$t0106\$planted:" /etc/shadow)"
: >"$R/go"
wait "$sandbox"
check_eq "exec: exit status" 0 "$?"
cat "$T/exec.err" >&2
for line in secret=ENOENT secret_bytes=0 shadow=ENOENT shadow_planted=0 \
	new=ENOENT dir_key=ENOENT dir_newkey=ENOENT dir_pub=dir-pub \
	mdir=ENOENT mdir_entries=0 mdir_aside=ENOENT public=public-old \
	sub_new=ENOENT; do
	check_eq "exec, /etc changed meanwhile: ${line%%=*}" "$line" "$(grep "^${line%%=*}=" "$T/exec.out")"
done
check "umount" gfs_umount "$R"

# --- a project that lies in /etc, and one in a directory others may not read
P1=$E-proj
P2=$E-pdir/proj
mkdir -m 755 "$P1"
mkdir -m 700 "$E-pdir"
mkdir -m 755 "$P2"
printf 'pdir-secret\n' >"$E-pdir/secret"
chmod 600 "$E-pdir/secret"
for p in "$P1" "$P2"; do
	printf 'in-etc\n' >"$p/a.txt"
	printf '[guard]\nroot = %s\n' "$p" >"$T/p.ini"
	chmod 600 "$T/p.ini"
	check "mount $p" gfs_mount "$p" -c "$T/p.ini"
	out=$(cd "$p" && "$GUARDFS" exec -c "$T/p.ini" -- sh -c \
		'pwd; cat a.txt; echo made >b.txt && echo wrote; echo "ls=$(ls "$1" 2>/dev/null | paste -sd,)"' sh "$E-pdir" 2>&1)
	if [ "$p" = "$P1" ]; then
		check_eq "exec in $p: shown, writable" "$p|in-etc|wrote|ls=" "$(paste -sd'|' <<<"$out")"
	else
		check_eq "exec in $p: shown, writable, its secret left out" "$p|in-etc|wrote|ls=proj" "$(paste -sd'|' <<<"$out")"
	fi
	check_eq "exec in $p: written through the mount" made "$(cat "$p/b.txt")"
	check "umount $p" gfs_umount "$p"
done

# --- an ordinary user, reading through its group ----------------------------
if ! as_user bwrap --unshare-user --ro-bind / / true 2>/dev/null; then
	echo "skipped the ordinary user: the kernel refuses user namespaces to $U (t0101 checks the error)"
	test_done
fi
user_dir
trap 'etc_overlay_off; cleanup; rm -rf "$UD"; user_dir_modes_back' EXIT
G=$(id -gn "$U")
GRP=$E-grp # 0640 root:G, renamed over while it runs
printf 'grp-old\n' >"$GRP"
chown "root:$G" "$GRP"
chmod 640 "$GRP"
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
echo "grp=$($P read "$GRP")"
echo "grp_new=$($P read "$GRP-new")"
EOF
envs=(env HOME="$UD/home" XDG_RUNTIME_DIR="$UD/run" XDG_STATE_HOME="$UD/home/state"
	XDG_DATA_HOME="$UD/home/data" XDG_CONFIG_HOME="$UD/home/config" GRP="$GRP")
in_root() { as_user sh -c 'cd "$1" && shift && exec "$@"' sh "$UD/root" "${envs[@]}" "$@"; }
check "user mounts" in_root "$GUARDFS" mount -c "$UD/cfg.ini"
in_root "$GUARDFS" exec -c "$UD/cfg.ini" -- sh "$UD/bin/live.sh" >"$T/user.out" 2>"$T/user.err" &
sandbox=$!
# (the user's mount, without allow_other, is the user's alone)
check "user exec: the sandbox is up" wait_for_file "$UD/root/ready" as_user
printf 'grp-renamed\n' >"$GRP.tmp"
printf 'grp-new\n' >"$GRP-new"
chown "root:$G" "$GRP.tmp" "$GRP-new"
chmod 640 "$GRP.tmp" "$GRP-new"
mv -f "$GRP.tmp" "$GRP"
check_eq "outside: the user reads the renamed file" grp-renamed "$(as_user cat "$GRP")"
as_user sh -c ": >'$UD/root/go'"
wait "$sandbox"
check_eq "user exec: exit status" 0 "$?"
cat "$T/user.err" >&2
for line in grp=ENOENT grp_new=ENOENT; do
	check_eq "user exec, /etc changed meanwhile: ${line%%=*}" "$line" "$(grep "^${line%%=*}=" "$T/user.out")"
done
check "user unmounts" as_user "${envs[@]}" "$GUARDFS" umount "$UD/root"
test_done
