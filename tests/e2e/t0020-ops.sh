#!/bin/bash
# Every operation editors, git, compilers and sqlite use, through a real
# mount, checked against what the real folder then holds.
. "$(dirname "$0")/lib.sh"
# These operations delete and rename far past the breaker's defaults in
# seconds; the breaker has tests of its own (t0134 to t0138).
breaker_off

R=$T/root
M=$T/mnt
mkdir -p "$R/dir" "$M"
printf 'hello\n' >"$R/hello.txt"
check "mount at a separate mount point" gfs_mount "$M" "$R" "$M"

# Reading and writing, byte for byte. Run twice: with the data passed
# through by the kernel (the default for root on Linux >= 6.9) and with
# every read and write going through the daemon.
data_checks() {
	local t=$1 d=$M/$1 r=$R/$1
	mkdir "$d"
	printf 'hello\n' >"$r/hello.txt"
	check_eq "$t: read" "hello" "$(cat "$d/hello.txt")"
	printf 'new file\n' >"$d/new.txt"
	check_eq "$t: create+write lands in the folder" "new file" "$(cat "$r/new.txt")"
	printf 'more\n' >>"$d/new.txt"
	check_eq "$t: append" $'new file\nmore' "$(cat "$d/new.txt")"
	printf 'X' | dd of="$d/new.txt" bs=1 seek=2 conv=notrunc status=none
	check_eq "$t: write in the middle" $'neX file\nmore' "$(cat "$r/new.txt")"
	check_eq "$t: stat sees the size" 14 "$(stat -c %s "$d/new.txt")"
	check_eq "$t: mmap write" ok "$(probe mmap-write "$d/new.txt" MAPPED)"
	check_eq "$t: mmap write in folder" $'MAPPEDle\nmore' "$(cat "$r/new.txt")"
	check_eq "$t: O_EXCL on existing" EEXIST "$(probe open "$d/new.txt" wcx)"
	check_eq "$t: O_TRUNC" ok "$(probe open "$d/new.txt" wt)"
	check_eq "$t: truncated" 0 "$(stat -c %s "$r/new.txt")"
	check_eq "$t: truncate(2) up" ok "$(probe truncate "$d/new.txt" 5000)"
	check_eq "$t: truncated size" 5000 "$(stat -c %s "$d/new.txt")"
	check_eq "$t: truncate(2) down" ok "$(probe truncate "$d/new.txt" 3)"
	check_eq "$t: size in folder" 3 "$(stat -c %s "$r/new.txt")"
	check_eq "$t: open missing" ENOENT "$(probe open "$d/missing" r)"
	cp "$T/big" "$d/big"
	check_eq "$t: 50 MB copy is exact" "$BIG_SUM" "$(sha256sum <"$d/big")"
	check_eq "$t: and on disk" "$BIG_SUM" "$(sha256sum <"$r/big")"
	check_eq "$t: copy_file_range" "ok 50000000" "$(probe copy-range "$d/big" "$d/big2")"
	check "$t: copy_file_range bytes" cmp "$r/big" "$r/big2"
	check "$t: fsync" dd if=/dev/zero of="$d/synced" bs=4k count=4 conv=fsync status=none
	check_eq "$t: OFD locks conflict" EAGAIN "$(probe lock "$d/hello.txt")"
	rm -r "$d"
}
head -c 50000000 /dev/urandom >"$T/big"
BIG_SUM=$(sha256sum <"$T/big")

# Passthrough needs Linux >= 6.9 built with CONFIG_FUSE_PASSTHROUGH, and
# root. Where the kernel's config cannot be read, either path is right.
IFS=. read -r kmaj kmin _ < <(uname -r)
want_io=daemon
if ((EUID == 0 && (kmaj > 6 || (kmaj == 6 && kmin >= 9)))); then
	want_io=passthrough
	if [ -r /proc/config.gz ]; then
		zcat /proc/config.gz | grep -q '^CONFIG_FUSE_PASSTHROUGH=y' || want_io=daemon
	else
		want_io='passthrough|daemon'
	fi
fi
io=$(status_field "$M" io)
check "data path is $want_io (got $io)" bash -c '[[ $0 =~ ^($1)$ ]]' "$io" "$want_io"
check_eq "requests arrive by $(expected_requests)" "$(expected_requests)" \
	"$(status_field "$M" requests)"
data_checks default

check_eq "read" "hello" "$(cat "$M/hello.txt")"
# The kernel answers these itself (see fs/ops_file.c): all data.
check_eq "SEEK_DATA/SEEK_HOLE" "data=0 hole=1048577" "$(probe seek "$M/sparse")"
check "fallocate" fallocate -l 1M "$M/alloc"
check_eq "fallocate size" 1048576 "$(stat -c %s "$R/alloc")"
check "punch hole" fallocate -p -o 0 -l 4096 "$M/alloc"

# Attributes.
check "chmod" chmod 640 "$M/hello.txt"
check_eq "mode in folder" 640 "$(stat -c %a "$R/hello.txt")"
check "chown" chown 1234:5678 "$M/hello.txt"
check_eq "owner in folder" 1234:5678 "$(stat -c %u:%g "$R/hello.txt")"
check "touch -d" touch -d @1577934245 "$M/hello.txt"
check_eq "mtime in folder" 1577934245 "$(TZ=UTC0 stat -c %Y "$R/hello.txt")"
check "touch now" touch "$M/hello.txt"
check "mtime moved on" test "$(stat -c %Y "$R/hello.txt")" -gt 1577934245

# Directories.
check_eq "mkdir" ok "$(probe mkdir "$M/d1")"
check "dir in folder" test -d "$R/d1"
check_eq "mkdir existing" EEXIST "$(probe mkdir "$M/d1")"
touch "$M/d1/f"
check_eq "rmdir non-empty" ENOTEMPTY "$(probe rmdir "$M/d1")"
rm "$M/d1/f"
check_eq "rmdir" ok "$(probe rmdir "$M/d1")"
check_fails "dir gone" test -e "$R/d1"
mkdir -p "$M/many"
for i in $(seq 1 1500); do : >"$M/many/f$i"; done
check_eq "readdir of 1500 entries" 1500 "$(ls "$M/many" | wc -l)"
check_eq "find sees them" 1501 "$(find "$M/many" | wc -l)"
# Listings are read in pieces, each READDIR opening the directory again
# at the kernel's offset: every name exactly once, in the folder's order.
check_eq "listing matches the folder" "$(ls -U "$R/many" | sort)" "$(ls -U "$M/many" | sort)"
check_eq "no name twice" 1500 "$(ls -U "$M/many" | sort -u | wc -l)"
# The kernel keeps listings; a change through the mount refreshes them.
: >"$M/many/late"
check_eq "a new name shows in a cached listing" 1501 "$(ls "$M/many" | wc -l)"
rm "$M/many/f1"
check_fails "a removed one goes" bash -c 'ls "$0" | grep -qx f1' "$M/many"
check "fsync of a directory" python3 -c 'import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY); os.fsync(fd); os.close(fd)' "$M/many"
rm -rf "$M/many"
check_fails "rm -rf" test -e "$R/many"

# Renames.
echo a >"$M/a"
echo b >"$M/b"
check_eq "rename" ok "$(probe rename "$M/a" "$M/c")"
check_eq "renamed content" a "$(cat "$R/c")"
check_eq "RENAME_NOREPLACE over existing" EEXIST "$(probe rename-noreplace "$M/c" "$M/b")"
check_eq "RENAME_EXCHANGE" ok "$(probe rename-exchange "$M/c" "$M/b")"
check_eq "exchanged b" a "$(cat "$M/b")"
check_eq "exchanged c" b "$(cat "$M/c")"
check_eq "rename over" ok "$(probe rename "$M/b" "$M/c")"
check_eq "rename over content" a "$(cat "$R/c")"
mkdir -p "$M/tree/sub"
echo deep >"$M/tree/sub/file"
check_eq "rename a directory" ok "$(probe rename "$M/tree" "$M/dir/tree2")"
check_eq "content under renamed dir" deep "$(cat "$M/dir/tree2/sub/file")"
echo changed >"$M/dir/tree2/sub/file"
check_eq "write under renamed dir" changed "$(cat "$R/dir/tree2/sub/file")"

# Links.
check_eq "hard link" ok "$(probe link "$M/c" "$M/c2")"
check_eq "link count" 2 "$(stat -c %h "$M/c")"
check_eq "symlink" ok "$(probe symlink c "$M/sl")"
check_eq "readlink" c "$(probe readlink "$M/sl")"
check_eq "read through symlink" a "$(cat "$M/sl")"
check_eq "O_NOFOLLOW on symlink" ELOOP "$(probe open "$M/sl" rn)"
check_eq "symlink in folder" c "$(readlink "$R/sl")"
check "touch -h sets a symlink's own times" touch -h -d @1620284889 "$M/sl"
check_eq "symlink mtime in folder" 1620284889 "$(TZ=UTC0 stat -c %Y "$R/sl")"
check_eq "unlink symlink" ok "$(probe unlink "$M/sl")"
check_eq "unlink" ok "$(probe unlink "$M/c2")"
check_eq "unlink missing" ENOENT "$(probe unlink "$M/c2")"

# Special files.
check_eq "mkfifo" ok "$(probe fifo "$M/fifo")"
check_eq "fifo type" fifo "$(stat -c %F "$R/fifo")"
check_eq "unix socket" ok "$(probe socket "$M/sock")"
check_eq "socket type" socket "$(stat -c %F "$R/sock")"
check_eq "device nodes refused" EPERM "$(probe chardev "$M/null")"

# Extended attributes are off by default: the kernel is told there are
# none to serve (see [guard] xattrs).
check_eq "setxattr is not supported" EOPNOTSUPP "$(probe setxattr "$M/c" user.tag red)"

# Locks, fsync, statfs.
check_eq "OFD locks conflict" EAGAIN "$(probe lock "$M/c")"
check_eq "flock conflicts" EAGAIN "$(probe flock "$M/c")"
check "fsync" dd if=/dev/zero of="$M/synced" bs=4k count=4 conv=fsync status=none
check "sync -f" sync -f "$M/synced"
check_eq "statfs" "$(stat -f -c %b "$R")" "$(stat -f -c %b "$M")"

# The mount point itself and ..
check_eq "stat of the mount root" directory "$(stat -c %F "$M")"
check_eq "dir/.. stays inside" "hello" "$(cat "$M/dir/../hello.txt")"

check "umount" gfs_umount "$M"
check_eq "folder intact after umount" "a" "$(cat "$R/c")"

# The daemon's own data path ([guard] passthrough = no), with extended
# attributes served ([guard] xattrs = yes), over /dev/fuse whatever the
# kernel allows ([guard] io_uring = no).
printf '[guard]\npassthrough = no\nxattrs = yes\nio_uring = no\n' >"$T/daemon.ini"
chmod 600 "$T/daemon.ini"
check "mount with passthrough = no" gfs_mount "$M" -c "$T/daemon.ini" "$R" "$M"
check_eq "data path daemon" daemon "$(status_field "$M" io)"
check_eq "requests through /dev/fuse" /dev/fuse "$(status_field "$M" requests)"
data_checks daemon
check_eq "setxattr" ok "$(probe setxattr "$M/c" user.tag blue)"
check_eq "getxattr" blue "$(probe getxattr "$M/c" user.tag)"
check_eq "xattr in folder" blue "$(getfattr --only-values -n user.tag "$R/c" 2>/dev/null || probe getxattr "$R/c" user.tag)"
check_eq "removexattr" ok "$(probe removexattr "$M/c" user.tag)"
check_eq "getxattr removed" ENODATA "$(probe getxattr "$M/c" user.tag)"
check "umount" gfs_umount "$M"

# The store's own reads leave the folder's times alone: a directory whose
# atime a tool set (CPython's test_utime_directory) keeps it after the
# store has listed it to record a rename.
check "mount for the atime check" gfs_mount "$M" "$R" "$M"
mkdir -p "$M/timed" && echo x >"$M/timed/f"
touch -a -d @1 "$M/timed"
mv "$M/timed" "$M/timed2"
"$GUARDFS" log -n 1 "$M" >/dev/null
check_eq "the store recorded the moved directory" "x" \
	"$(git -C "$(status_field "$M" store)" cat-file blob HEAD:timed2/f)"
check_eq "a directory's atime survives the store's listing" 1 \
	"$(stat -c %X "$R/timed2")"
check "umount" gfs_umount "$M"
test_done
