#!/bin/bash
# restore --at takes the SNAPSHOT@SEQ ids guardfs log prints: the folder
# right after that one operation, also in the middle of a burst that
# shares one snapshot (rebuilt from the operations the snapshot lists).
. "$(dirname "$0")/lib.sh"

B=$T/burst
mkdir -p "$B"
for f in a b c d; do echo "${f^^}" >"$B/$f.txt"; done
check "mount" gfs_mount "$B" "$B"
STORE=$(status_field "$B" store)
cd "$B" || exit 1
# five operations in a few milliseconds: one snapshot
python3 -c 'import os
os.rename("a.txt", "a2.txt"); os.unlink("b.txt")
open("c.txt", "w").write("C2\n"); os.rename("a2.txt", "a3.txt")
os.unlink("d.txt")'
sleep 1.5
check_eq "the burst shares one commit" \
	$'rename a2.txt (+4 more)\nsession-start '"$B" \
	"$(git -C "$STORE" log --format=%s)"
P=$(git -C "$STORE" rev-parse --short=10 HEAD)
check_eq "log names them SNAPSHOT@SEQ" "$P@5 $P@4 $P@3 $P@2 $P@1" \
	"$("$GUARDFS" log . | grep -v session-start | cut -d' ' -f1 | xargs)"
# The write session of c.txt is recorded at its RELEASE, which the
# kernel sends after close() returns, without waiting: it may reach the
# daemon after the rename python made next (seen over io_uring). The
# expectations follow the order the store recorded.
if "$GUARDFS" log . | grep -q "^$P@3 .* write  c.txt$"; then
	at3="a2.txt:A c.txt:C2 d.txt:D" paths3="1 path" paths5="3 paths"
else
	check_eq "or the rename third, the write fourth" \
		"rename  a3.txt <- a2.txt|write  c.txt" \
		"$("$GUARDFS" log . | grep "^$P@3 " | sed 's/.*)  //')|$("$GUARDFS" log . | grep "^$P@4 " | sed 's/.*)  //')"
	at3="a3.txt:A c.txt:C d.txt:D" paths3="2 paths" paths5="2 paths"
fi

# what the folder holds: names and contents
folder() { (cd "$B" && grep -r . | sort | xargs); }

check_eq "--at SNAPSHOT@SEQ, dry run" \
	"would remove a3.txt
would restore a2.txt
would roll back c.txt
would restore d.txt
would restore 1 file, remove 1, recreate 2" \
	"$("$GUARDFS" restore --all --at "$P@2" --dry-run)"
check_eq "the dry run changed nothing" "a3.txt:A c.txt:C2" "$(folder)"
check_eq "--all --at SNAPSHOT@2: after the second operation" \
	"0 a2.txt:A c.txt:C d.txt:D" \
	"$("$GUARDFS" restore --all --at "$P@2" >/dev/null; echo $?) $(folder)"
sleep 1
check_eq "--all --at SNAPSHOT@3: after the third operation" \
	"0 $at3" \
	"$("$GUARDFS" restore --all --at "$P@3" >/dev/null; echo $?) $(folder)"
sleep 1
check_eq "--at the last operation is the snapshot itself" \
	"0 a3.txt:A c.txt:C2" \
	"$("$GUARDFS" restore --all --at "$P@5" >/dev/null; echo $?) $(folder)"
sleep 1
check_eq "one path --at SNAPSHOT@SEQ" \
	"rolled back c.txt|a3.txt:A c.txt:C" \
	"$("$GUARDFS" restore c.txt --at "$P@2")|$(folder)"
sleep 1
check_eq "each restore is one snapshot, named as asked" \
	"restore c.txt --at $P@2 (1 path)
restore --all --at $P@5 ($paths5)
restore --all --at $P@3 ($paths3)
restore --all --at $P@2 (4 paths)" \
	"$(git -C "$STORE" log --format=%s -4)"
out=$("$GUARDFS" restore --all --at "$P@9" 2>&1)
check_eq "an operation the snapshot does not list" \
	"1 guardfs: snapshot '$P' holds no operation 9" "$? $out"
out=$("$GUARDFS" restore --all --at "$P@x" 2>&1)
check_eq "a malformed operation id" \
	"1 guardfs: '$P@x' is no operation id (COMMIT@SEQ, as guardfs log prints it)" \
	"$? $out"
check_eq "nothing changed by the refusals" "a3.txt:A c.txt:C" "$(folder)"
# diff and undo keep taking both forms
check_eq "diff SNAPSHOT@SEQ" "D	b.txt" "$("$GUARDFS" diff --name-only "$P@2")"
check_eq "diff SNAPSHOT@SEQ PATH of the path it deleted" "D	b.txt" \
	"$("$GUARDFS" diff --name-only "$P@2" b.txt)"
check_eq "diff SNAPSHOT" "R	a.txt	a3.txt
D	b.txt
M	c.txt
D	d.txt" "$("$GUARDFS" diff --name-only "$P")"

cd / || exit 1
check "umount" gfs_umount "$B"
check_eq "store fsck" "" "$(git -C "$STORE" fsck --strict --no-dangling 2>&1)"
test_done
