#!/bin/bash
# New entries behave as on the plain folder: the caller's umask (or a
# directory's default ACL), the caller as owner, setgid directories, and
# O_DIRECT reads and writes in both data paths.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "skipped: needs root (another user creates)"; exit 0; }
as_ordinary_user
G=gfs-test-grp
getent group "$G" >/dev/null || groupadd "$G"
id -nG "$U" | grep -qw "$G" || usermod -aG "$G" "$U"

# A place the user can reach ($T is 0700).
R=$(mktemp -d /tmp/gfs-posix.XXXXXX)
trap 'cleanup; rm -rf "$R"' EXIT
chmod 755 "$R"
mkdir -m 0777 "$R/pub"
mkdir "$R/sgid" "$R/grpw" "$R/acl"
chgrp "$G" "$R/sgid" "$R/grpw"
chmod 2777 "$R/sgid"
chmod 0770 "$R/grpw" # the user may write here only through its group
chmod 0777 "$R/acl"
# default ACL user::rwx group::rwx other::r-x (system.posix_acl_default)
python3 -c '
import os, struct, sys
acl = struct.pack("<I", 2) + b"".join(struct.pack("<HHI", t, p, 0xffffffff)
    for t, p in ((1, 7), (4, 7), (0x20, 5)))
os.setxattr(sys.argv[1], "system.posix_acl_default", acl)' "$R/acl"
head -c 12288 /dev/zero | tr '\0' a >"$R/direct"

check "mount" gfs_mount "$R" "$R"

# umask: the caller's, not the daemon's.
check "mkdir, file, fifo with umask 002" sh -c "cd '$R/pub' && umask 002 &&
	mkdir d2 && : >f2 && mkfifo p2"
check_eq "umask 002: dir 775" 775 "$(stat -c %a "$R/pub/d2")"
check_eq "umask 002: file 664" 664 "$(stat -c %a "$R/pub/f2")"
check_eq "umask 002: fifo 664" 664 "$(stat -c %a "$R/pub/p2")"
check "mkdir and file with umask 077" sh -c "cd '$R/pub' && umask 077 &&
	mkdir d7 && : >f7"
check_eq "umask 077: dir 700" 700 "$(stat -c %a "$R/pub/d7")"
check_eq "umask 077: file 600" 600 "$(stat -c %a "$R/pub/f7")"
# A default ACL replaces the umask, as on the plain folder.
check "mkdir and file under a default ACL, umask 077" sh -c "cd '$R/acl' &&
	umask 077 && mkdir d && : >f"
check_eq "default ACL: dir 775" 775 "$(stat -c %a "$R/acl/d")"
check_eq "default ACL: file 664" 664 "$(stat -c %a "$R/acl/f")"

# Ownership: the caller's.
check "user creates file, dir, symlink, fifo" as_user sh -c "cd '$R/pub' &&
	umask 022 && echo u >uf && mkdir ud && ln -s uf ul && mkfifo up"
for n in uf ud ul up; do
	check_eq "$n is the user's" "$U:$U" "$(stat -c %U:%G "$R/pub/$n")"
done
check_eq "user's file 644" 644 "$(stat -c %a "$R/pub/uf")"
check "user sets the times of its file" as_user touch -d @1000000000 "$R/pub/uf"
check_eq "mtime set" 1000000000 "$(stat -c %Y "$R/pub/uf")"
check "user works in its new directory" as_user sh -c "echo x >'$R/pub/ud/x'"
check_eq "root's new file stays root's" root:root "$(stat -c %U:%G "$R/pub/f2")"
# A setgid directory passes on its group, and its bit to directories.
check "user creates in a setgid dir" as_user sh -c "cd '$R/sgid' &&
	: >sf && mkdir sd"
check_eq "setgid: file's group" "$U:$G" "$(stat -c %U:%G "$R/sgid/sf")"
check_eq "setgid: dir's group and bit" "$U:$G 2755" "$(stat -c '%U:%G %a' "$R/sgid/sd")"
# Rights through a supplementary group are the caller's too.
check "user creates through its group" as_user sh -c "echo g >'$R/grpw/gf'"
check_eq "group-writable dir: file is the user's" "$U:$U" "$(stat -c %U:%G "$R/grpw/gf")"
check_eq "others still cannot create there" EACCES \
	"$(runuser -u nobody -- "$GFS_PROBE" open "$R/grpw/nf" wc)"
# A hard link made by the user: allowed, no new owner.
check "user links its file" as_user ln "$R/pub/uf" "$R/pub/uf2"
check_eq "link shares the owner" "$U:$U" "$(stat -c %U:%G "$R/pub/uf2")"

# O_DIRECT: aligned reads and writes, read back exactly.
odirect() {
	python3 - "$1" <<'PY'
import hashlib, mmap, os, sys
buf = mmap.mmap(-1, 8192)
buf.write(bytes((i * 7) & 0xff for i in range(8192)))
fd = os.open(sys.argv[1], os.O_RDWR | os.O_DIRECT)
n = os.pwritev(fd, [buf], 4096)
os.close(fd)
out = ["write=%d" % n]
for fl in (os.O_RDONLY, os.O_RDWR):
    fd = os.open(sys.argv[1], fl | os.O_DIRECT)
    r = mmap.mmap(-1, 16384)
    got = os.preadv(fd, [r], 0)
    os.close(fd)
    out.append("read=%d:%s" % (got, hashlib.sha1(r[:got]).hexdigest()[:12]))
print(" ".join(out))
PY
}
want="write=8192 read=12288:3a4de9037c9f read=12288:3a4de9037c9f"
check_eq "O_DIRECT (passthrough)" "$want" "$(odirect "$R/direct")"
check_eq "O_DIRECT: the data path" passthrough "$(status_field "$R" io)"
check "unmount" gfs_umount "$R"
check_eq "O_DIRECT bytes on disk" 3a4de9037c9f "$(sha1sum <"$R/direct" | cut -c1-12)"

# The same through the daemon.
head -c 12288 /dev/zero | tr '\0' a >"$R/direct"
cat >"$T/nopt.ini" <<INI
[guard]
root = $R
passthrough = no
INI
chmod 600 "$T/nopt.ini"
check "mount, passthrough = no" gfs_mount "$R" -c "$T/nopt.ini"
check_eq "O_DIRECT: the data path" daemon "$(status_field "$R" io)"
check_eq "O_DIRECT (daemon)" "$want" "$(odirect "$R/direct")"
check "unmount" gfs_umount "$R"
check_eq "O_DIRECT bytes on disk" 3a4de9037c9f "$(sha1sum <"$R/direct" | cut -c1-12)"
store=$(echo "$XDG_DATA_HOME"/guardfs/*.git)
check_eq "the store holds them" 3a4de9037c9f \
	"$(git -C "$store" show HEAD:direct | sha1sum | cut -c1-12)"

# Times a program sets are the times it reads back: the store reads the
# file it records without touching its access time (O_NOATIME).
check "mount for times" gfs_mount "$R" "$R"
echo timed >"$R/timed"
touch -d @1000000000 "$R/timed"
"$GUARDFS" log -n 1 . >/dev/null # the store has read it by now
check_eq "the access time set stays, on disk" 1000000000 "$(stat -c %X "$R/timed")"
check "unmount" gfs_umount "$R"
check_eq "and after the unmount" 1000000000 "$(stat -c %X "$R/timed")"
test_done
