#!/bin/bash
# Snapshots on a real mount, in place: an agent's damage (sed -i, >
# overwrite, truncate, rename over, rm -rf, chmod, a script rewriting
# files, a symlink swap, git reset --hard and a branch switch in a
# repository inside) undone by one `restore --all --at`, compared byte
# for byte with a copy taken before, modes and symlinks included; then
# log, diff, restore and undo outputs; then kill -9 of the daemon during
# heavy overwriting leaves a store that git fsck finds clean.
. "$(dirname "$0")/lib.sh"

R=$T/root
mkdir -p "$R/src/lib" "$R/docs"
printf 'int main(void) { return 0; }\n' >"$R/src/main.c"
printf 'int lib(void) { return 2; }\n' >"$R/src/lib/lib.c"
printf 'line 1\nline 2\n' >"$R/docs/notes.txt"
printf '#!/bin/sh\necho hi\n' >"$R/run.sh"
chmod 755 "$R/run.sh"
ln -s src/main.c "$R/link"
head -c 3000 /dev/urandom >"$R/blob.bin"
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
git -C "$R" init -q -b main repo
printf 'v1\n' >"$R/repo/file"
git -C "$R/repo" add file
git -C "$R/repo" -c user.name=t -c user.email=t@t commit -q -m one
git -C "$R/repo" branch other
printf 'v2\n' >"$R/repo/file"
git -C "$R/repo" -c user.name=t -c user.email=t@t commit -q -am two
cp -a "$R" "$T/before"

# what a folder holds: kinds, modes, names, link targets, then contents
snapshot_of() {
	(cd "$1" && find . -mindepth 1 -printf '%y %m %p %l\n' | sort &&
		find . -type f -print0 | sort -z | xargs -0 sha256sum)
}

check "mount in place" gfs_mount "$R" "$R"
STORE=$("$GUARDFS" status --json | python3 -c '
import json, sys
print(json.load(sys.stdin)["mounts"][0]["store"])')
check "the store exists" test -d "$STORE"

# The damage, as an agent's tools would do it.
(
	cd "$R" || exit 1
	sed -i 's/return 0/return 1/' src/main.c
	echo overwritten >docs/notes.txt
	truncate -s 10 blob.bin
	echo replaced >tmp && mv tmp run.sh
	chmod 600 docs/notes.txt
	rm -rf src/lib
	ln -sfn docs link
	python3 -c 'import pathlib
for p in pathlib.Path(".").glob("*.bin"): p.write_bytes(b"rewritten")'
	git -C repo reset -q --hard HEAD~1
	git -C repo checkout -q other
	echo created >new.txt
)
sleep 1

cd "$R" || exit 1
log=$("$GUARDFS" log .) # every operation
check_eq "log names sed's rename over main.c" 1 \
	"$(grep -c '  sed ([0-9]*)  rename  src/main.c <- src/sed' <<<"$log")"
check "log names rm's unlink" grep -q '  rm ([0-9]*)  unlink  src/lib/lib.c$' <<<"$log"
check "log names python" grep -q '  python3 ([0-9]*)  write  blob.bin$' <<<"$log"
check "log --process filters" test "$("$GUARDFS" log --process rm | wc -l)" -ge 2
check_eq "log -n" 1 "$("$GUARDFS" log -n 1 | wc -l)"
# echo's create and its write session may share a commit (then the write,
# which found nothing new, is not listed)
check "log -n 1 . is the newest op" grep -qE '  (create|write)  new.txt$' \
	< <("$GUARDFS" log -n 1 .)
check_eq "log PATH" $'rmdir  src/lib\nunlink  src/lib/lib.c' \
	"$("$GUARDFS" log src/lib | sed 's/.*)  //')"
check "log --json is JSON" python3 -c '
import json, sys
ops = json.load(sys.stdin)
assert ops[0]["op"] in ("create", "write"), ops[0]
assert ops[0]["path"] == "new.txt", ops[0]
assert all(set(o) >= {"id", "time", "process", "pid", "op", "path"} for o in ops)
' < <("$GUARDFS" log --json .)
notes_diff=$("$GUARDFS" diff session docs/notes.txt)
check "diff since session" grep -q '^-line 1$' <<<"$notes_diff"
check "diff shows the new content" grep -q '^+overwritten$' <<<"$notes_diff"
check "diff shows the lost x bit" grep -q '^old mode 100755$' \
	< <("$GUARDFS" diff session run.sh)
check "binary summarized" grep -q '^Binary files' < <("$GUARDFS" diff session blob.bin)

# One path, before its last change.
check "restore one path" "$GUARDFS" restore src/main.c
check_eq "main.c is back" "int main(void) { return 0; }" "$(cat src/main.c)"
check_fails "unknown id" "$GUARDFS" restore --all --at deadbeef
check_fails "bad time" "$GUARDFS" restore --all --at yesterday-ish

# The whole folder, as the session found it.
dry=$("$GUARDFS" restore --all --at session --dry-run)
check "dry run lists the removal" grep -qx 'would remove new.txt' <<<"$dry"
check "dry run changed nothing" test -e new.txt
check "restore --all --at session" "$GUARDFS" restore --all --at session
cd / || exit 1
sleep 1

# Undo: one change, undone.
echo "late edit" >"$R/docs/notes.txt"
sleep 1
(cd "$R" && "$GUARDFS" undo >/dev/null)
check_eq "undo brought the notes back" $'line 1\nline 2' "$(cat "$R/docs/notes.txt")"

check "umount" gfs_umount "$R"
check_eq "byte for byte as before, modes and links" \
	"$(snapshot_of "$T/before")" "$(snapshot_of "$R")"
check "git fsck of the repository inside" git -C "$R/repo" fsck
check_eq "store fsck" "" "$(git -C "$STORE" fsck --strict --no-dangling 2>&1)"

# kill -9 during heavy overwriting.
check "mount again" gfs_mount "$R" "$R"
pid=$(daemon_pid "$R")
(for i in $(seq 1 100000); do echo "v$i" >"$R/docs/notes.txt" || exit; done) \
	2>/dev/null &
writer=$!
sleep 2
kill -9 "$pid"
wait "$writer"
"$GUARDFS" umount "$R" >/dev/null 2>&1 || umount -l "$R"
check_eq "store fsck after kill -9" "" \
	"$(git -C "$STORE" fsck --strict --no-dangling 2>&1)"
check "mount after the crash" gfs_mount "$R" "$R"
sleep 0.5
check_eq "the file as it was left is the latest snapshot" \
	"$(cat "$R/docs/notes.txt")" \
	"$(git -C "$STORE" cat-file blob HEAD:docs/notes.txt)"
check "umount" gfs_umount "$R"

# Undo inside a burst: operations that share one snapshot are undone one
# at a time, by count or by their SNAPSHOT@SEQ id.
B=$T/burst
mkdir -p "$B"
printf 'A\n' >"$B/a.txt"
printf 'B\n' >"$B/b.txt"
printf 'C\n' >"$B/c.txt"
printf 'D\n' >"$B/d.txt"
printf 'keep\n' >"$B/keep.txt"
check "mount the burst folder" gfs_mount "$B" "$B"
BSTORE=$("$GUARDFS" status --json | python3 -c '
import json, sys
print([m["store"] for m in json.load(sys.stdin)["mounts"]
       if m["mountpoint"] == sys.argv[1]][0])' "$B")
# six operations in a few milliseconds: one snapshot
(cd "$B" && python3 -c 'import os
os.rename("a.txt", "a2.txt"); os.unlink("b.txt"); os.mkdir("dir")
os.rename("c.txt", "dir/c.txt"); os.rename("a2.txt", "a3.txt")
os.unlink("d.txt")')
sleep 1.5
check_eq "the burst shares one commit" \
	$'rename a2.txt (+5 more)\nsession-start '"$B" \
	"$(git -C "$BSTORE" log --format=%s)"
P=$(git -C "$BSTORE" rev-parse --short=10 HEAD)
blog() { (cd "$B" && "$GUARDFS" log "$@" .); }
check_eq "each operation listed with its own id" \
	"$P@6  unlink  d.txt
$P@5  rename  a3.txt <- a2.txt
$P@4  rename  dir/c.txt <- c.txt
$P@3  mkdir  dir
$P@2  unlink  b.txt
$P@1  rename  a2.txt <- a.txt" \
	"$(blog | grep -v session-start |
		sed -E 's/  [0-9]{4}-[0-9-]+ [0-9:]+  python3 \([0-9]+\)//')"
check_eq "log --json has op_id" "$P@6 $P@1" "$(blog --json | python3 -c '
import json, sys
ops = [o for o in json.load(sys.stdin) if o["op"] != "session-start"]
print(ops[0]["op_id"], ops[-1]["op_id"])')"

check_eq "diff of one operation of the burst" "diff --git a/b.txt b/b.txt
deleted file mode 100644
index 223b783..0000000
--- a/b.txt
+++ /dev/null
@@ -1 +0,0 @@
-B" "$(cd "$B" && "$GUARDFS" diff "$P@2")"
# what the shared snapshot did at that operation's paths: a.txt went,
# and a2.txt, renamed on within the burst, is not in the snapshot
check_eq "diff of an operation whose path the burst changed again" \
	"diff --git a/a.txt b/a.txt
deleted file mode 100644
index f70f10e..0000000
--- a/a.txt
+++ /dev/null
@@ -1 +0,0 @@
-A" "$(cd "$B" && "$GUARDFS" diff "$P@1")"

# what the folder holds: a listing of kinds and names, then contents
burst_is() {
	local want=$T/want
	rm -rf "$want" && mkdir "$want" && (cd "$want" && eval "$1") &&
		check_eq "$2" "$(snapshot_of "$want")" "$(snapshot_of "$B")"
}
(cd "$B" && "$GUARDFS" undo --last-ops 1 >/dev/null)
sleep 1.2
burst_is "printf 'A\n' >a3.txt; mkdir dir; printf 'C\n' >dir/c.txt
	printf 'D\n' >d.txt; printf 'keep\n' >keep.txt" \
	"undo --last-ops 1: only the last operation of the burst"
# undo's own restore is one operation too: it, then three of the burst
check_eq "the undo is one snapshot" "undo --last-ops 1 (1 path)" "$(git -C "$BSTORE" log -1 --format=%s)"
(cd "$B" && "$GUARDFS" undo --last-ops 4 >/dev/null)
sleep 1.2
burst_is "printf 'A\n' >a2.txt; mkdir dir; printf 'C\n' >c.txt
	printf 'D\n' >d.txt; printf 'keep\n' >keep.txt" \
	"undo N ending mid-burst: the first three operations stay"
(cd "$B" && "$GUARDFS" undo "$P@2" >/dev/null)
sleep 1.2
burst_is "printf 'A\n' >a2.txt; mkdir dir; printf 'C\n' >c.txt
	printf 'B\n' >b.txt; printf 'D\n' >d.txt; printf 'keep\n' >keep.txt" \
	"undo of one operation in the middle of a burst"
out=$(cd "$B" && "$GUARDFS" undo "$P@3" 2>&1)
check_eq "an operation a later one built on is refused" \
	"1 guardfs: left 'dir' alone: a later operation changed it again" \
	"$? $out"
burst_is "printf 'A\n' >a2.txt; mkdir dir; printf 'C\n' >c.txt
	printf 'B\n' >b.txt; printf 'D\n' >d.txt; printf 'keep\n' >keep.txt" \
	"the refusal changed nothing"
check_fails "an unknown operation id" "$GUARDFS" undo -c /dev/null "$P@99"
out=$(cd "$B" && "$GUARDFS" undo "$P@99" 2>&1)
check_eq "its message" \
	"guardfs: snapshot '$P' holds no operation 99" "$out"
check "umount the burst folder" gfs_umount "$B"
check_eq "burst store fsck" "" \
	"$(git -C "$BSTORE" fsck --strict --no-dangling 2>&1)"

test_done
