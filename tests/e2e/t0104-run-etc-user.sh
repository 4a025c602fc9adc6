#!/bin/bash
# guardfs exec for an ordinary user: what others may not read in /etc is
# left out for the user too, even a file or directory the user reads
# outside through its group; bubblewrap, unprivileged, builds the
# sandbox's /etc from root's files; what others may read is shown as it
# is.
#
# In a mount namespace of its own, on an overlay of /etc (as t0103).
GFS_OWN_MOUNT_NS="files of root in /etc"
. "$(dirname "$0")/lib.sh"

as_ordinary_user
command -v bwrap >/dev/null || { echo "FAIL: bwrap missing (apt install bubblewrap)"; exit 1; }
if ! as_user bwrap --unshare-user --ro-bind / / true 2>/dev/null; then
	echo "skipped: the kernel refuses user namespaces to $U (t0101 checks the error)"
	exit 0
fi

etc_overlay || { echo "FAIL: cannot mount an overlay on /etc"; exit 1; }
user_dir
trap 'etc_overlay_off; cleanup; rm -rf "$UD"; user_dir_modes_back' EXIT

G=$(id -gn "$U")
E=/etc/guardfs-test-$$
GRPFILE=$E-grp   # 0640 root:G, the user reads it through its group
GRPDIR=$E-gdir   # 0750 root:G, holding a 0644 file
ROOTFILE=$E-root # 0600 root
PUBLIC=$E-public # 0644
echo group-fixture >"$GRPFILE"
chown "root:$G" "$GRPFILE"
chmod 640 "$GRPFILE"
mkdir -m 750 "$GRPDIR"
chown "root:$G" "$GRPDIR"
echo gdir-fixture >"$GRPDIR/file"
chmod 644 "$GRPDIR/file"
echo root-fixture >"$ROOTFILE"
chmod 600 "$ROOTFILE"
printf 'public\tbytes\0\377\n' >"$PUBLIC"
chmod 644 "$PUBLIC"

as_user mkdir -p "$UD/root" "$UD/home" "$UD/run" "$UD/bin"
as_user chmod 700 "$UD/run"
cp "$GFS_PROBE" "$UD/bin/"
as_user sh -c "echo hi >'$UD/root/a.txt'"
printf '[guard]\nroot = %s\n[run]\nro = %s\n' "$UD/root" "$UD/bin" |
	as_user sh -c "cat >'$UD/cfg.ini'"
envs=(env HOME="$UD/home" XDG_RUNTIME_DIR="$UD/run" XDG_STATE_HOME="$UD/home/state"
	XDG_DATA_HOME="$UD/home/data" XDG_CONFIG_HOME="$UD/home/config"
	GRPFILE="$GRPFILE" GRPDIR="$GRPDIR" ROOTFILE="$ROOTFILE" PUBLIC="$PUBLIC")
in_root() { as_user sh -c 'cd "$1" && shift && exec "$@"' sh "$UD/root" "${envs[@]}" "$@"; }

cat >"$UD/bin/inside.sh" <<'EOF'
P=$(dirname "$0")/gfs_probe
echo "grp=$($P read "$GRPFILE")"
echo "grp_bytes=$(cat "$GRPFILE" 2>/dev/null | wc -c)"
echo "gdir=$($P read "$GRPDIR/file")"
echo "gdir_entries=$(ls -A "$GRPDIR" 2>/dev/null | wc -l)"
echo "gdir_lstat=$($P lstat "$GRPDIR")"
echo "root=$($P read "$ROOTFILE")"
echo "shadow=$($P read /etc/shadow)"
echo "public=$(sha256sum <"$PUBLIC" | cut -c1-64)"
echo "passwd=$(sha256sum </etc/passwd | cut -c1-64)"
echo "getent=$(getent passwd root)"
echo "project=$(cat a.txt)"
EOF

check_eq "outside: the user reads the group's file" group-fixture "$(as_user cat "$GRPFILE")"
check_eq "outside: the user reads in the group's directory" gdir-fixture "$(as_user cat "$GRPDIR/file")"
check "user mounts" in_root "$GUARDFS" mount -c "$UD/cfg.ini"
in_root "$GUARDFS" exec -c "$UD/cfg.ini" -- sh "$UD/bin/inside.sh" >"$T/out" 2>"$T/err"
check_eq "user exec: exit status" 0 "$?"
cat "$T/err"
for line in grp=ENOENT grp_bytes=0 gdir=ENOENT gdir_entries=0 gdir_lstat=ENOENT \
	root=ENOENT shadow=ENOENT "public=$(sha256sum <"$PUBLIC" | cut -c1-64)" \
	"passwd=$(sha256sum </etc/passwd | cut -c1-64)" \
	"getent=$(getent passwd root)" project=hi; do
	check_eq "user exec: ${line%%=*}" "$line" "$(grep "^${line%%=*}=" "$T/out")"
done
check "user unmounts" as_user "${envs[@]}" "$GUARDFS" umount "$UD/root"
test_done
