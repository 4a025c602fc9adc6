#!/bin/bash
# A file written and unlinked again and again, as fast as it can be
# (sqlite's rollback journal, at each transaction's end), often before
# the store's worker has read it: every version the unlinks removed is in
# history, in order, also after a kill -9 of the daemon right after the
# last unlink, and what that cost the unlinks is counted.
. "$(dirname "$0")/lib.sh"

R=$T/root
mkdir -p "$R"
breaker_off
check "mount" gfs_mount "$R" "$R"
STORE=$(status_field "$R" store)

# journal FIRST LAST: writes j (about 8 KiB, as a journal of one small
# transaction) and unlinks it, once per version, as fast as it can
journal() {
	python3 - "$R/j" "$1" "$2" <<'PY'
import os, sys
path, first, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(first, last + 1):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.write(fd, b"journal %d\n" % i + b"x" * 8192)
    os.close(fd)
    os.unlink(path)
PY
}
# versions FIRST LAST: what history must hold of j, one line each
versions() {
	seq -f 'journal %g' "$1" "$2"
}
# history's versions of j, oldest first, each once as it came
history_of_j() {
	local c
	for c in $(git -C "$STORE" rev-list --reverse HEAD -- j); do
		git -C "$STORE" cat-file blob "$c:j" 2>/dev/null | head -1
	done | uniq
}
# what history lacks or has more of than versions FIRST LAST (a diff)
history_diff() {
	diff <(versions "$1" "$2") <(history_of_j) | grep '^[<>]'
}

check "300 journals written and unlinked" journal 1 300
(cd "$R" && "$GUARDFS" log -n 1 >/dev/null)
check_eq "each version in history, in order" "" "$(history_diff 1 300)"
waits=$(status_field "$R" store_waits)
captures=$(status_field "$R" store_captures)
echo "# waited for the queue: $waits, for a capture: $captures," \
	"$(status_field "$R" store_wait_ms) ms"
check "the unlinks' waits are counted" test "$((waits + captures))" -gt 0

# killed right after the last unlink: each version an unlink relied on
# is in the journal or a commit, and the next mount records it
pid=$(daemon_pid "$R")
check "300 more" journal 301 600
kill -9 "$pid"
"$GUARDFS" umount "$R" >/dev/null 2>&1 || umount -l "$R"
check "mount after the kill" gfs_mount "$R" "$R"
(cd "$R" && "$GUARDFS" log -n 1 >/dev/null)
check_eq "each version in history, in order, after the kill" "" \
	"$(history_diff 1 600)"
check "umount" gfs_umount "$R"
# after the unmount: while mounted the packer may move loose objects into
# a pack under fsck's feet ("unable to mmap", then "missing")
check_eq "store fsck" "" "$(git -C "$STORE" fsck --strict --no-dangling 2>&1)"
test_done
