#!/bin/bash
# The inode table closes unused O_PATH fds past its budget and opens them
# again by name when the kernel next names the inode (issue 12). A name
# that meanwhile leads to another inode is never followed: the request
# fails with ESTALE instead of serving the other file's bytes under the
# old inode. Here a process keeps an O_PATH descriptor of a file through
# the mount, another file is renamed over that name, a walk of a tree by
# name makes the daemon close the file's fd, and the process opens its
# descriptor. (A walk by listing would not: a listed file gets no fd
# until it is used, t0192.)
# A file whose last name went keeps its fd (nothing could reopen it):
# its own bytes, as natively; a hard-linked file whose remembered name
# went to another file: ESTALE.
. "$(dirname "$0")/lib.sh"

R=$T/root
mkdir -p "$R"
make_tree "$R/big" 3000
make_tree "$R/big2" 1000
make_tree "$R/big3" 1000
mkdir "$R/reuse"
printf 'XXXX\n' >"$R/reuse/x"
printf 'AAAA\n' >"$R/a"
printf 'BBBB\n' >"$R/b"
printf 'HHHH\n' >"$R/h"
ln "$R/h" "$R/h2"
printf 'CCCC\n' >"$R/c"
check "mount with the descriptor limit at 1024" gfs_mount_limited 1024 "$R"

# stat_walk: Python that stats each file of make_tree's TREE of N files
# by its name, unlisted: each lookup reaches the daemon and takes an fd.
stat_walk='
def stat_walk(root, tree, n):
    for i in range(n):
        os.stat(f"{root}/{tree}/d{i // 100:04d}/f{i}")
'

# held NAME RENAME_FROM TREE N: opens NAME O_PATH, renames RENAME_FROM
# over NAME through the mount, walks TREE of N files (new to the kernel:
# its lookups fill the daemon's fds), then opens the descriptor (through
# /proc/self/fd, as the kernel lets any process): prints the bytes read
# or the errno name.
held() {
	python3 - "$R" "$1" "$2" "$3" "$4" <<PY
import errno, os, sys
$stat_walk
root, name, other, tree, n = sys.argv[1:6]
fd = os.open(f"{root}/{name}", os.O_PATH)
os.rename(f"{root}/{other}", f"{root}/{name}")
stat_walk(root, tree, int(n))
try:
    rd = os.open(f"/proc/self/fd/{fd}", os.O_RDONLY)
    print(os.read(rd, 100).decode().strip())
except OSError as e:
    print(errno.errorcode[e.errno])
PY
}

check_eq "a file replaced while held reads its own bytes, not the new file's" \
	AAAA "$(held a b big 3000)"
check_eq "the name itself leads to the file moved there" BBBB "$(cat "$R/a")"

# A hard link's remembered name (h2, the last looked up) given to another
# file while the inode still has its first name: never the other's bytes.
cat "$R/h" "$R/h2" >/dev/null
stale0=$(status_field "$R" stale)
check_eq "a hard-linked file whose remembered name moved on is not followed" \
	ESTALE "$(held h2 c big2 1000)"
check "the refusal counts as a stale reopen" \
	test "$(status_field "$R" stale)" -gt "$stale0"
check_eq "its other name still reads it" HHHH "$(cat "$R/h")"
check_eq "the moved name reads the moved file" CCCC "$(cat "$R/h2")"

# A file deleted through the mount while its fd was closed: its inode
# number is free, and ext4 gives it to the next file made. That file is
# not the one the process holds.
check_eq "a deleted file's number reused is not the held file" ESTALE \
	"$(python3 - "$R" <<PY
import errno, os, sys
$stat_walk
root = sys.argv[1]
fd = os.open(f"{root}/reuse/x", os.O_PATH)
stat_walk(root, "big3", 1000)
os.unlink(f"{root}/reuse/x")
with open(f"{root}/reuse/y", "w") as f:
    f.write("YYYY\n")
os.stat(f"{root}/reuse/y")
try:
    rd = os.open(f"/proc/self/fd/{fd}", os.O_RDONLY)
    print(os.read(rd, 100).decode().strip())
except OSError as e:
    print(errno.errorcode[e.errno])
PY
)"
check_eq "the new file reads its own bytes" YYYY "$(cat "$R/reuse/y")"

# Nothing is lost on the way: the daemon reopened many fds by name and
# the tree reads whole.
check "fds were closed and opened again by name" \
	test "$(status_field "$R" reopens)" -gt 0
check_eq "every file of the tree is listed" 3000 \
	"$(find "$R/big" -type f | wc -l)"
check_eq "and reads right" "2999" "$(cat "$R/big/d0029/f2999")"
check "the daemon stayed within its limit" \
	test "$(ls "/proc/$pid/fd" | wc -l)" -le 1024
check "umount" gfs_umount "$R"
test_done
