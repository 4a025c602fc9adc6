#!/bin/bash
# Bounded descriptors at any tree size (issue 12): with the daemon's
# descriptor limit at 1024, which it cannot raise, find, ls -R, git
# status and rm -rf of a tree eight times that size succeed with exact
# counts, creating 2000 files through the mount succeeds, the daemon never
# holds more descriptors than its limit, and the history is complete: the
# store records every create and every delete.
. "$(dirname "$0")/lib.sh"

N=8000
R=$T/root
mkdir -p "$R"
make_tree "$R/tree" $N
git -C "$R" init -q
git -C "$R" add -A
git -C "$R" -c user.name=t -c user.email=t@t commit -qm tree
# rm -rf of 8,000 files is past the breaker's defaults on purpose
breaker_off
check "mount with the descriptor limit at 1024" gfs_mount_limited 1024 "$R"

peak=0
sample() {
	local n
	n=$(ls "/proc/$pid/fd" | wc -l)
	[ "$n" -gt "$peak" ] && peak=$n
}

check_eq "find lists every file" "$N" \
	"$(find "$R/tree" -type f 2>"$T/err" | wc -l)"
check_eq "find reports no error" "" "$(head -3 "$T/err")"
sample
check_eq "ls -R lists every file" "$N" \
	"$(ls -R "$R/tree" 2>"$T/err" | grep -c '^f')"
check_eq "ls -R reports no error" "" "$(head -3 "$T/err")"
sample
check_eq "git status: clean" "" "$(git -C "$R" status --porcelain 2>&1)"
printf 'changed\n' >>"$R/tree/d0000/f0"
printf 'changed\n' >>"$R/tree/d0040/f4000"
printf 'changed\n' >>"$R/tree/d0079/f7999"
check_eq "git status: the three changed files" \
	" M tree/d0000/f0 M tree/d0040/f4000 M tree/d0079/f7999" \
	"$(git -C "$R" status --porcelain 2>&1 | tr -d '\n')"
sample

python3 - "$R/new" >"$T/errors" <<'PY'
import errno, os, sys
root = sys.argv[1]
seen = {}
for i in range(2000):
    d = f"{root}/n{i // 100:02d}"
    try:
        os.makedirs(d, exist_ok=True)
        with open(f"{d}/f{i}", "w") as f:
            f.write(f"new {i}\n")
    except OSError as e:
        seen[errno.errorcode[e.errno]] = seen.get(errno.errorcode[e.errno], 0) + 1
print(" ".join(f"{k}={v}" for k, v in sorted(seen.items())))
PY
check_eq "2000 creates through the mount all succeed" "" "$(cat "$T/errors")"
sample
check_eq "status answers" "$R" "$(status_field "$R" mountpoint)"
check "rm -rf of the tree succeeds" rm -rf "$R/tree"
check_eq "and leaves nothing" "" "$(ls "$R" | grep tree)"
sample
check "the daemon never held more than its limit ($peak)" test "$peak" -le 1024
check "fds were closed and opened again by name" \
	test "$(status_field "$R" reopens)" -gt 0
check "umount" gfs_umount "$R"

STORE=$(echo "$XDG_DATA_HOME"/guardfs/*.git)
AUDIT=$(audit_file)
# the first snapshot (the mount's) holds the tree, the last one not
check_eq "the first snapshot holds the whole tree" "$N" \
	"$(git -C "$STORE" ls-tree -r --name-only "$(git -C "$STORE" rev-list --max-parents=0 HEAD)" | grep -c '^tree/')"
check_eq "the last one no file of it" 0 \
	"$(git -C "$STORE" ls-tree -r --name-only HEAD | grep -c '^tree/')"
check_eq "and every created file, with its bytes" 2000 \
	"$(git -C "$STORE" ls-tree -r --name-only HEAD | grep -c '^new/')"
check_eq "new/n07/f777 in the store" "new 777" \
	"$(git -C "$STORE" show HEAD:new/n07/f777)"
check_eq "every delete audited as recorded (a store seq)" "$N" \
	"$(grep '"op":"unlink","path":"tree/' "$AUDIT" | grep '"result":"ok"' | grep -c '"seq":[1-9]')"
check_eq "every create audited as recorded" 2000 \
	"$(grep '"op":"create","path":"new/' "$AUDIT" | grep '"result":"ok"' | grep -c '"seq":[1-9]')"
check_eq "no operation failed for want of descriptors" 0 \
	"$(grep -c '"result":"E\(MFILE\|NFILE\|STALE\)"' "$AUDIT")"
test_done
