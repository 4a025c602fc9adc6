#!/bin/bash
# P5 and the exclude rules: a store that cannot take a pre-image refuses
# the change (EIO) and loses nothing; on_failure = allow lets it pass;
# default excludes leave regenerable trees unrecorded.
. "$(dirname "$0")/lib.sh"

R=$T/root
mkdir -p "$R" "$T/small"
mount -t tmpfs -o size=8m gfs-test-small "$T/small" || { echo "FAIL: tmpfs"; exit 1; }
# Unmount guardfs before the store's file system, whatever happens.
trap 'cleanup_all' EXIT
cleanup_all() {
	local mp
	for mp in "${mounted[@]}"; do
		grep -q " $mp fuse.guardfs " /proc/mounts &&
			"$GUARDFS" umount "$mp" >/dev/null 2>&1
	done
	umount "$T/small" 2>/dev/null
	cleanup
}

printf '[snapshot]\nstore = %s/store.git\n' "$T/small" >"$T/full.ini"
chmod 600 "$T/full.ini"
check "mount with the store on a small disk" gfs_mount "$R" -c "$T/full.ini" "$R"
# made first: once the store has failed a commit, every change (this
# create too) fails with EIO until it has room again; the log waits
# for the store to have recorded it, so the disk fills after its commit
: >"$R/x"
check "the store has recorded x" sh -c "cd '$R' && '$GUARDFS' log -n 1 >/dev/null"
# Fill the store's disk, then make a file the store cannot record.
dd if=/dev/zero of="$T/small/filler" bs=64k status=none 2>/dev/null
head -c 1000000 /dev/urandom >"$T/new.bin"
cp "$T/new.bin" "$R/new.bin"
sum=$(sha256sum <"$T/new.bin")
sleep 0.5 # the worker tries, and fails, to commit it
check_eq "overwrite of unrecorded content is refused" EIO "$(probe open "$R/new.bin" w)"
check_eq "truncate is refused" EIO "$(probe truncate "$R/new.bin" 0)"
check_eq "unlink is refused" EIO "$(probe unlink "$R/new.bin")"
check_eq "rename over it is refused" EIO "$(probe rename "$R/x" "$R/new.bin")"
check_eq "nothing was lost" "$sum" "$(sha256sum <"$R/new.bin")"
rm -f "$T/small/filler"
# A failed store is tried again at most every 100 ms on demand (and
# every second by itself): the first change after the room is made may
# still find the last try's answer.
unlink_when_room() {
	for _ in $(seq 30); do
		[ "$(probe unlink "$R/new.bin")" = ok ] && return 0
		sleep 0.1
	done
	return 1
}
check "with room again, the change goes through (within 3 s)" unlink_when_room
check "umount" gfs_umount "$R"
check "the refusal is audited" grep -q '"op":"unlink","path":"new.bin","result":"EIO"' "$(audit_file)"

printf '[snapshot]\nstore = %s/store.git\non_failure = allow\n' "$T/small" >"$T/allow.ini"
chmod 600 "$T/allow.ini"
check "mount with on_failure = allow" gfs_mount "$R" -c "$T/allow.ini" "$R"
dd if=/dev/zero of="$T/small/filler" bs=64k status=none 2>/dev/null
cp "$T/new.bin" "$R/new2.bin"
sleep 0.5
check_eq "unlink passes unrecorded" ok "$(probe unlink "$R/new2.bin")"
rm -f "$T/small/filler"
check "umount" gfs_umount "$R"

# Hidden names are never recorded: the store would be a second copy of
# the credentials they hold.
mkdir -p "$T/h"
echo 'API_KEY=abc' >"$T/h/.env"
echo 'key' >"$T/h/id_ed25519"
echo 'code' >"$T/h/main.c"
check "mount a folder with credentials" gfs_mount "$T/h" "$T/h"
echo 'more' >>"$T/h/main.c"
check "umount" gfs_umount "$T/h"
tree=$(git -C "$XDG_DATA_HOME"/guardfs/h-*.git ls-tree -r --name-only main)
check_eq "the store holds main.c only" "main.c" "$tree"

# Default excludes: node_modules/ is guarded but not recorded, unless
# default_excludes = no.
excluded_tree() { # STORE-NAME CONFIG-TEXT: is node_modules in the store's tree?
	printf '%s' "$2" >"$R/.guardfs.ini"
	chmod 600 "$R/.guardfs.ini"
	gfs_mount "$R" "$R" || return 1
	mkdir -p "$R/node_modules/pkg" "$R/src"
	echo 'module.exports = 1' >"$R/node_modules/pkg/index.js"
	echo 'x' >"$R/src/a.js"
	gfs_umount "$R" || return 1
	# The operation may be listed in a batch's trailers either way; what
	# counts is whether its content is in the snapshot.
	if git -C "$T/$1" ls-tree -r --name-only main | grep -qx 'node_modules/pkg/index.js'; then
		echo recorded
	else
		echo absent
	fi
	rm -rf "$R/node_modules" "$R/src"
}
check_eq "node_modules is not recorded by default" absent \
	"$(excluded_tree ex1.git "$(printf '[snapshot]\nstore = %s/ex1.git\n' "$T")")"
check_eq "default_excludes = no records it" recorded \
	"$(excluded_tree ex2.git "$(printf '[snapshot]\nstore = %s/ex2.git\ndefault_excludes = no\n' "$T")")"
test_done
