#!/bin/bash
# A listing opens no descriptor per file (issue 12): a regular file that
# readdirplus returns is remembered by (parent, name, dev, ino) without an
# O_PATH fd, and opened by name, checked, when a request first uses it.
# Here: ls -l of 2,000 files leaves the daemon's descriptors where they
# were (it opened and later closed one per file before); a listed file
# still reads its own bytes, a content-refused one is still refused, a
# hidden name still never shows, and a name another file took outside the
# mount after the listing leads to that file, never to bytes of the
# one listed.
. "$(dirname "$0")/lib.sh"

R=$T/root
mkdir -p "$R"
make_tree "$R/tree" 2000
printf 'id_rsa stays hidden\n' >"$R/tree/d0003/id_rsa"
pem_body=$(head -c 1200 /dev/urandom | base64 -w 64)
printf 'notes\n-----BEGIN RSA PRIVATE KEY-----\n%s\n-----END RSA PRIVATE KEY-----\n' \
	"$pem_body" >"$R/tree/d0004/notes.txt"
printf 'listed\n' >"$R/tree/d0005/swap"
printf 'replacement\n' >"$R/other"
M=$T/mnt
mkdir -p "$M"
check "mount at another mount point" gfs_mount "$M" "$R" "$M"
pid=$(daemon_pid "$M")

fds() { ls "/proc/$pid/fd" | wc -l; }
before=$(fds)
check_eq "ls -l lists every file" 2002 \
	"$(ls -l "$M"/tree/d* | grep -c '^-')"
after=$(fds)
# 20 directories keep an fd each; 2,000 files would be 2,000 more.
check "the listing cost no descriptor per file ($before -> $after)" \
	test "$after" -le "$((before + 40))"
sizes() { find "$1" -type f ! -name id_rsa -printf '%P %s\n' | sort; }
check_eq "find sees every size, as natively" "$(sizes "$R/tree")" \
	"$(sizes "$M/tree")"
check_eq "a listed file reads its own bytes" 1234 "$(cat "$M/tree/d0012/f1234")"
check_eq "a hidden name is not listed" "" "$(ls -a "$M/tree/d0003" | grep id_rsa)"
check_eq "nor found by name" \
	"ENOENT" "$(probe stat "$M/tree/d0003/id_rsa" 2>&1)"
check_eq "a listed file with a key in it is still refused" \
	"EACCES" "$(probe read "$M/tree/d0004/notes.txt" 2>&1)"
check_fails "and no byte of the key comes out" \
	grep -q -F "${pem_body:0:40}" <(cat "$M/tree/d0004/notes.txt" 2>/dev/null)

# Outside the mount, another file takes a listed name: the listed inode
# is gone, and its name now leads to the other file.
mv "$R/other" "$R/tree/d0005/swap"
check_eq "the name leads to the file now there" replacement \
	"$(cat "$M/tree/d0005/swap")"
check "umount" gfs_umount "$M"
test_done
