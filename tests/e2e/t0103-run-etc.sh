#!/bin/bash
# guardfs run and exec started by root: the agent is root inside, so
# every entry of /etc that others may not read is left out of the
# sandbox's /etc (ENOENT, and nothing can be made in its place: EROFS);
# what others may read is shown byte for byte, and the tools that read
# /etc keep working. (t0106 changes /etc while a sandbox runs.)
#
# The fixtures live in this test's own mount namespace, on an overlay of
# the machine's /etc: the machine's /etc never holds them, and the other
# tests' sandboxes, which walk it, never see them come and go.
GFS_OWN_MOUNT_NS="files only root reads"
. "$(dirname "$0")/lib.sh"

etc_test_setup

E=/etc/guardfs-test-$$
ROOTFILE=$E-secret # 0600: only root reads it
ROOTDIR=$E-dir     # 0700, holding a 0644 and a 0600 file
XDIR=$E-dirx       # 0711: others may enter, not list
TREE=$E-tree/a/b   # 0755 all the way, a 0600 and a 0644 file at the end
PUBLIC=$E-public   # 0644, bytes of every kind
LINK=$E-link       # a symlink to $ROOTFILE
FIFO=$E-fifo       # a 0600 fifo
printf 'etc-secret-fixture\n' >"$ROOTFILE"
chmod 600 "$ROOTFILE"
mkdir -m 700 "$ROOTDIR"
echo dir-public >"$ROOTDIR/public"
echo dir-secret >"$ROOTDIR/secret"
chmod 644 "$ROOTDIR/public"
chmod 600 "$ROOTDIR/secret"
mkdir -m 711 "$XDIR"
echo dirx-public >"$XDIR/public"
chmod 644 "$XDIR/public"
mkdir -p "$TREE"
chmod 755 "$E-tree" "$E-tree/a" "$TREE"
echo deep-secret >"$TREE/secret"
echo deep-public >"$TREE/public"
chmod 600 "$TREE/secret"
chmod 644 "$TREE/public"
printf 'public\tbytes\0\377\n' >"$PUBLIC"
chmod 644 "$PUBLIC"
ln -s "$ROOTFILE" "$LINK"
mkfifo -m 600 "$FIFO"

R=$T/root
B=$T/bin # the test's tools, shown read-only in the sandbox
mkdir -p "$R" "$B"
cp "$GFS_PROBE" "$B/"
printf '[guard]\nroot = %s\n[run]\nro = %s\n' "$R" "$B" >"$T/cfg.ini"
chmod 600 "$T/cfg.ini"

# What only root may read, one line each: NAME=OUTCOME.
cat >"$B/masked.sh" <<'EOF'
P=$(dirname "$0")/gfs_probe
echo "secret=$($P read "$ROOTFILE")"
echo "secret_bytes=$(cat "$ROOTFILE" 2>/dev/null | wc -c)"
echo "secret_write=$($P open "$ROOTFILE" w)"
echo "link=$($P read "$LINK")"
echo "fifo=$(timeout 5 "$P" read "$FIFO")"
echo "dir=$($P read "$ROOTDIR/public")"
echo "dir_secret=$($P read "$ROOTDIR/secret")"
echo "dir_entries=$(ls -A "$ROOTDIR" 2>/dev/null | wc -l)"
echo "dir_write=$($P open "$ROOTDIR/planted" wc)"
echo "dir_lstat=$($P lstat "$ROOTDIR")"
echo "dirx=$($P read "$XDIR/public")"
echo "deep_secret=$($P read "$TREE/secret")"
echo "deep_write=$($P open "$TREE/planted" wc)"
echo "shadow=$($P read /etc/shadow)"
echo "shadow_lstat=$($P lstat /etc/shadow)"
echo "shadow_bytes=$(cat /etc/shadow 2>/dev/null | wc -c)"
echo "shadow_make=$($P open /etc/shadow wc)"
echo "gshadow=$($P read /etc/gshadow)"
echo "etc_write=$($P open /etc/planted wc)"
EOF
masked_lines="secret=ENOENT secret_bytes=0 secret_write=ENOENT link=ENOENT
	fifo=ENOENT dir=ENOENT dir_secret=ENOENT dir_entries=0 dir_write=ENOENT
	dir_lstat=ENOENT dirx=ENOENT deep_secret=ENOENT deep_write=EROFS
	shadow=ENOENT shadow_lstat=ENOENT shadow_bytes=0 shadow_make=EROFS
	gshadow=ENOENT etc_write=EROFS"

# What others may read, and the tools: the same inside as outside.
cat >"$B/shown.sh" <<'EOF'
tool() { command -v "$1" >/dev/null && "$@" 2>&1 | head -n 1 || echo "no $1"; }
sum() { sha256sum <"$1" | cut -c1-64; }
echo "public=$(sum "$PUBLIC")"
echo "deep_public=$(cat "$TREE/public")"
echo "ls_etc=$(ls /etc | grep -cx passwd)"
echo "passwd=$(sum /etc/passwd)"
echo "group=$(sum /etc/group)"
echo "nsswitch=$(sum /etc/nsswitch.conf)"
echo "hosts=$(sum /etc/hosts)"
echo "resolv=$(if [ -L /etc/resolv.conf ]; then echo a link; else sum /etc/resolv.conf; fi)"
echo "getent=$(getent passwd root)"
echo "localhost=$(getent hosts localhost | head -n 1)"
echo "apt=$(tool apt-get --version)"
echo "ssh=$(tool ssh -V)"
echo "openssl=$(tool openssl version)"
EOF

sum_of() { sha256sum <"$1" | cut -c1-64; }

fixtures=(env ROOTFILE="$ROOTFILE" ROOTDIR="$ROOTDIR" XDIR="$XDIR" TREE="$TREE"
	PUBLIC="$PUBLIC" LINK="$LINK" FIFO="$FIFO")
"${fixtures[@]}" sh "$B/shown.sh" >"$T/shown.outside"
check_eq "outside: root reads the secret" etc-secret-fixture "$(cat "$ROOTFILE")"

# expect OUTPUT MODE: the masked lines as they must be, the shown ones
# as outside.
expect() {
	local line
	for line in $masked_lines; do
		check_eq "$2: ${line%%=*}" "$line" "$(grep "^${line%%=*}=" "$1")"
	done
	while IFS= read -r line; do
		check_eq "$2: ${line%%=*}" "$line" "$(grep "^${line%%=*}=" "$1")"
	done <"$T/shown.outside"
}

# --- guardfs exec, on a mount made beforehand ------------------------------
cd "$R" || exit 1
check "mount" gfs_mount "$R" -c "$T/cfg.ini"
"${fixtures[@]}" "$GUARDFS" exec -c "$T/cfg.ini" -- \
	sh -c 'sh "$1"/masked.sh; sh "$1"/shown.sh' sh "$B" >"$T/exec.out" 2>"$T/exec.err"
check_eq "exec: exit status" 0 "$?"
expect "$T/exec.out" exec

# --- guardfs run, mounting on its own --------------------------------------
check "umount" gfs_umount "$R"
"${fixtures[@]}" "$GUARDFS" run -c "$T/cfg.ini" -- \
	sh -c 'sh "$1"/masked.sh; sh "$1"/shown.sh' sh "$B" >"$T/run.out" 2>"$T/run.err"
check_eq "run: exit status" 0 "$?"
expect "$T/run.out" run
check "mount again" gfs_mount "$R" -c "$T/cfg.ini"

# --print: /etc is one read-only bind of the copy guardfs made of what
# others may read in it (sandbox_etc.h): public files byte for byte,
# links as links; what others may not read is neither named nor copied
sleep 2.1 # (a copy of an /etc changed in the last 2 s is not kept)
printed=$("$GUARDFS" exec -c "$T/cfg.ini" --print -- true)
out=" $(tail -n 1 <<<"$printed") "
copy=$(sed -n 's|^# /etc is the copy \(.*\) of what others may read in it.*|\1|p' <<<"$printed")
check "--print binds /etc from a descriptor" grep -qE -- " --ro-bind-fd [0-9]+ /etc " <<<"$out"
check_eq "--print: no other step makes /etc" "" \
	"$(grep -oE -- "--(tmpfs|remount-ro|dir|file [0-9]+|symlink [^ ]+) /etc[/ ]" <<<"$out")"
check_eq "the copy lies in the runtime directory" "$XDG_RUNTIME_DIR/guardfs/etc" "${copy%/*}"
check_eq "the copy: $PUBLIC" "$(sum_of "$PUBLIC")" "$(sum_of "$copy/${PUBLIC#/etc/}")"
check_eq "the copy: /etc/passwd" "$(sum_of /etc/passwd)" "$(sum_of "$copy/passwd")"
check_eq "the copy: $TREE/public" deep-public "$(cat "$copy/${TREE#/etc/}/public")"
check_eq "the copy: the link" "$ROOTFILE" "$(readlink "$copy/${LINK#/etc/}")"
check_eq "the copy holds nothing others may not read" "" \
	"$(find "$copy" ! -type l ! -perm -o=r -printf '%P\n')"
for path in "$ROOTFILE" "$ROOTDIR" "$XDIR" "$TREE/secret" "$FIFO" /etc/shadow \
	/etc/gshadow /dev/null; do
	case "$out" in
	*" $path "*|*" $path/"*) check_eq "--print never names $path" "" "$path" ;;
	*) check_eq "--print never names $path" ok ok ;;
	esac
	check_fails "the copy holds no $path" test -e "$copy/${path#/etc/}"
done

# an entry others may not read cannot be shared by [run] ro/rw either
refused() { # PATH: what exec says of [run] ro = PATH
	printf '[guard]\nroot = %s\n[run]\nro = %s\n' "$R" "$1" >"$T/bad.ini"
	chmod 600 "$T/bad.ini"
	"$GUARDFS" exec -c "$T/bad.ini" -- true 2>&1
	echo "exit $?"
}
check_eq "ro = the secret is refused" \
	"guardfs: $T/bad.ini:4: cannot share '$ROOTFILE' with the sandbox: a file others may not read '$ROOTFILE' is never shown|exit 1" \
	"$(refused "$ROOTFILE" | paste -sd'|')"
check_eq "ro = a link to the secret is refused" \
	"guardfs: $T/bad.ini:4: cannot share '$LINK' with the sandbox: a file others may not read '$ROOTFILE' is never shown|exit 1" \
	"$(refused "$LINK" | paste -sd'|')"
check_eq "ro = a file in the private directory is refused" \
	"guardfs: $T/bad.ini:4: cannot share '$ROOTDIR/public' with the sandbox: a directory others may not read '$ROOTDIR' holds it|exit 1" \
	"$(refused "$ROOTDIR/public" | paste -sd'|')"
out=$(refused /etc | paste -sd'|')
case "$out" in
"guardfs: $T/bad.ini:4: cannot share '/etc' with the sandbox: "*" lies inside it|exit 1")
	check_eq "ro = /etc is refused" ok ok ;;
*) check_eq "ro = /etc is refused" "guardfs: $T/bad.ini:4: cannot share '/etc' ... lies inside it|exit 1" "$out" ;;
esac

# the walk is bounded: 32 directories deep at most, else no sandbox
deep=$E-deep$(printf '/d%.0s' $(seq 31))
mkdir -p "$deep"
check_eq "32 directories deep: the sandbox starts" ok \
	"$("$GUARDFS" exec -c "$T/cfg.ini" -- echo ok 2>&1)"
mkdir "$deep/d"
check_eq "33 directories deep: refused, with the place" \
	"guardfs: cannot look through '$deep/d' for what others may not read: more than 32 directories deep|exit 1" \
	"$( ("$GUARDFS" exec -c "$T/cfg.ini" -- echo ok 2>&1; echo "exit $?") | paste -sd'|')"
rm -rf "$E-deep"

check "umount" gfs_umount "$R"
test_done
