#!/bin/bash
# git writes each object under a temporary name, links it to its own name
# and unlinks the temporary one. That unlink takes no bytes away: it does
# not wait for the store's worker (status counts it as store_linked_away)
# and the bytes are recorded under the name they stay at. What history
# holds stays exact around it: a new name changed right after its link
# is recorded before it changes, and a link into an excluded tree, or a
# name written again after its link, still waits and keeps the bytes
# under the old name.
. "$(dirname "$0")/lib.sh"

R=$T/root
mkdir -p "$R/objects" "$R/node_modules" "$R/d"
breaker_off
check "mount" gfs_mount "$R" "$R"
STORE=$(status_field "$R" store)

# objects N: git's dance N times, as fast as python makes it
objects() {
	python3 - "$R/objects" "$1" <<'PY'
import os, sys
top, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    sub = os.path.join(top, "%02x" % (i % 16))
    os.makedirs(sub, exist_ok=True)
    tmp = os.path.join(sub, "tmp_obj_%d" % i)
    fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o444)
    os.write(fd, b"object %d\n" % i)
    os.close(fd)
    os.link(tmp, os.path.join(sub, "obj_%d" % i))
    os.unlink(tmp)
PY
}
# blobs PATH: the store's versions of PATH, oldest first, each once
blobs() {
	local c
	for c in $(git -C "$STORE" rev-list --reverse HEAD -- "$1"); do
		git -C "$STORE" cat-file blob "$c:$1" 2>/dev/null
	done | uniq
}
flush() { (cd "$R" && "$GUARDFS" log -n 1 >/dev/null); }
# ops STEP...: file operations under $R in one process, as fast as it
# runs: new:P:TEXT (created, O_EXCL), trunc:P:TEXT, append:P:TEXT (each a
# line), link:P:Q, unlink:P
ops() {
	python3 - "$R" "$@" <<'PY'
import os, sys
root = sys.argv[1]
for step in sys.argv[2:]:
    kind, *args = step.split(":")
    path = os.path.join(root, args[0])
    if kind == "link":
        os.link(path, os.path.join(root, args[1]))
    elif kind == "unlink":
        os.unlink(path)
    else:
        how = {"new": os.O_CREAT | os.O_EXCL, "trunc": os.O_TRUNC,
               "append": os.O_APPEND}[kind]
        fd = os.open(path, os.O_WRONLY | how, 0o644)
        os.write(fd, args[1].encode() + b"\n")
        os.close(fd)
PY
}

check "300 objects written, linked and unlinked" objects 300
flush
# Old builds waited at nearly every one of these unlinks (284 and 292 of
# 300); now only one whose link the worker applied before it arrived,
# while a release the kernel sent late was still queued, may wait.
waits=$(status_field "$R" store_waits)
echo "# unlinks that waited for the worker: $waits of 300"
check "next to no unlink waited for the worker" test "${waits:-300}" -le 15
away=$(status_field "$R" store_linked_away)
echo "# unlinks that needed no wait: $away of 300"
check "the unlinks are counted as linked away" test "${away:-0}" -gt 0
check_eq "every object recorded under its name" 300 \
	"$(git -C "$STORE" ls-tree -r --name-only HEAD objects | grep -c /obj_)"
check_eq "no temporary name in the tree" 0 \
	"$(git -C "$STORE" ls-tree -r --name-only HEAD objects | grep -c tmp_obj)"
check_eq "an object's bytes" "object 37" \
	"$(git -C "$STORE" cat-file blob HEAD:objects/05/obj_37)"

# The new name rewritten right after the unlink: its first bytes are
# recorded before the rewrite (it waits for the link's job).
check "link, unlink, rewrite the new name" \
	ops new:d/t:first link:d/t:d/n unlink:d/t trunc:d/n:second
flush
check_eq "the new name's versions" "first
second" "$(blobs d/n)"

# Linked into an excluded tree (node_modules/, a default exclude): the
# store would not read the new name, so the unlink waits and history
# keeps the bytes under the old one.
before=$(status_field "$R" store_linked_away)
check "link into node_modules, unlink" \
	ops "new:d/e:kept under d/e" link:d/e:node_modules/e unlink:d/e
flush
check_eq "that unlink was not linked away" "$before" \
	"$(status_field "$R" store_linked_away)"
check_eq "the old name's bytes in history" "kept under d/e" "$(blobs d/e)"

# Written again under the old name after the link: that open waits for
# the link's job (it changes bytes the store has yet to read), so the
# unlink after it has no link queued to rely on and waits in turn;
# history has the old name's last bytes, and the new name holds them.
before=$(status_field "$R" store_linked_away)
check "link, append to the old name, unlink" \
	ops new:d/c:one link:d/c:d/c2 append:d/c:two unlink:d/c
flush
check_eq "that unlink was not linked away" "$before" \
	"$(status_field "$R" store_linked_away)"
check_eq "the old name's last bytes in history" "one
two" "$(blobs d/c | tail -2)"
check_eq "the new name holds them" "one
two" "$(git -C "$STORE" cat-file blob HEAD:d/c2)"

check "umount" gfs_umount "$R"
check_eq "store fsck" "" "$(git -C "$STORE" fsck --strict --no-dangling 2>&1)"
test_done
