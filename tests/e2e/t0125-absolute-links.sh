#!/bin/bash
# P1 with absolute symlinks: a target below where the agent sees the folder
# stays inside and works; one into a read-only system tree (/usr, /bin,
# /lib*, /etc/alternatives, not /usr/local) is allowed, as python's venv
# and Debian's alternatives need; every other absolute target, and any
# with "." or "..", is refused when made and hidden when found.
. "$(dirname "$0")/lib.sh"

R=$T/root
mkdir -p "$R/sub"
echo hello >"$R/a.txt"
ln -s "$R/a.txt" "$R/found-in"          # made before the mount, inside
ln -s /etc/hostname "$R/found-out"      # made before the mount, outside
ln -s /usr/bin/env "$R/found-usr"       # into a system tree
check "mount in place" gfs_mount "$R" "$R"

check_eq "ln -s \$R/a.txt (inside)" ok "$(probe symlink "$R/a.txt" "$R/sub/abs-in")"
check_eq "reads through it" hello "$(cat "$R/sub/abs-in")"
check_eq "ln -s \$R (the root itself)" ok "$(probe symlink "$R" "$R/top")"
check_eq "ln -s with .. inside an absolute target" EACCES \
	"$(probe symlink "$R/sub/../a.txt" "$R/dots")"
check_eq "ln -s /usr/bin/env (system tree)" ok "$(probe symlink /usr/bin/env "$R/env")"
check_eq "it runs" ok "$("$R/env" echo ok)"
check_eq "ln -s /etc/alternatives/x" ok "$(probe symlink /etc/alternatives/x "$R/alt")"
check_eq "ln -s /lib (the tree itself)" ok "$(probe symlink /lib "$R/lib")"
check_eq "ln -s /usr/local/bin/x" EACCES "$(probe symlink /usr/local/bin/x "$R/ul")"
check_eq "ln -s /etc/passwd" EACCES "$(probe symlink /etc/passwd "$R/pw")"
check_eq "ln -s \$HOME/.ssh/id_rsa" EACCES "$(probe symlink "$HOME/.ssh/id_rsa" "$R/key")"
check_eq "ln -s /usr/../etc/shadow" EACCES "$(probe symlink /usr/../etc/shadow "$R/sh")"
check_eq "ln -s to a sibling of the root sharing its prefix" EACCES \
	"$(probe symlink "${R}2/x" "$R/sib")"
check_fails "no trace of refused links" test -L "$R/pw"
check_eq "a found inside link is visible" hello "$(cat "$R/found-in")"
check_eq "a found outside link is hidden" ENOENT "$(probe lstat "$R/found-out")"
check_eq "a found system link is visible" ok "$(probe lstat "$R/found-usr")"
check_eq "a link through an absolute inside link" hello \
	"$(probe symlink top/a.txt "$R/via" >/dev/null; cat "$R/via")"
check_eq "moving an absolute inside link keeps it" hello \
	"$(mv "$R/sub/abs-in" "$R/moved" && cat "$R/moved")"
check_eq "explain: inside link visible" "$R/found-in: visible" \
	"$("$GUARDFS" explain "$R/found-in")"

# what tools do with them
mkdir "$T/pack" "$T/pack/d"
echo in-tar >"$T/pack/d/f"
ln -s /usr/bin/env "$T/pack/d/tool"
ln -s "$R/x/d/f" "$T/pack/d/self"
(cd "$T/pack" && tar -cf "$T/links.tar" d)
check "tar -x of outward system links and absolute inside links" \
	sh -c 'mkdir "$1/x" && tar -C "$1/x" -xf "$2"' _ "$R" "$T/links.tar"
check_eq "the extracted absolute link reads" in-tar "$(cat "$R/x/d/self")"
check "python3 -m venv links its interpreter" /usr/bin/python3 -m venv --without-pip "$R/venv"
check "venv/bin/python3 is a symlink, not a copy" test -L "$R/venv/bin/python3"
check_eq "and runs" 3 "$("$R/venv/bin/python3" -c 'import sys; print(sys.version_info[0])')"

# Loops: made as on any filesystem, ELOOP when used. Breaking the loop
# with a link that leads out is still refused, and so is a loop member
# that leads out once the loop is broken by a move.
check_eq "ln -s self self (a loop of one)" ok "$(probe symlink self "$R/self")"
check_eq "ln -s two one; ln -s one two" "ok ok" \
	"$(probe symlink two "$R/one") $(probe symlink one "$R/two")"
check_eq "using the loop answers ELOOP" ELOOP "$(probe stat "$R/one")"
check_eq "the loop is listed, as on disk" "one self two" \
	"$(cd "$R" && ls -d one self two | tr '\n' ' ' | sed 's/ $//')"
check_eq "loop: lstat of a member" ok "$(probe lstat "$R/two")"
check_eq "no link in the loop may lead out" EACCES \
	"$(probe symlink ../../../etc "$R/three")"
check "rm of the loop" rm "$R/one" "$R/two" "$R/self"
mkdir "$R/lp"
check_eq "a loop through a directory link" "ok ok" \
	"$(probe symlink ../lp/b "$R/lp/a") $(probe symlink a "$R/lp/b")"
check_eq "a/.. style: dir link then .. above" EACCES \
	"$(probe symlink lp/../../.. "$R/up")"
check "umount" gfs_umount "$R"

# Mounted elsewhere, the folder's own path is the unguarded one: a link
# there leads out of the mount.
mkdir "$T/mnt"
check "mount at a separate point" gfs_mount "$T/mnt" "$R" "$T/mnt"
check_eq "ln -s MOUNT/a.txt (inside)" ok "$(probe symlink "$T/mnt/a.txt" "$T/mnt/m-in")"
check_eq "ln -s ROOT/a.txt (the unguarded path)" EACCES \
	"$(probe symlink "$R/a.txt" "$T/mnt/r-out")"
check_eq "the link made at ROOT before is hidden here" ENOENT \
	"$(probe lstat "$T/mnt/found-in")"
check "umount" gfs_umount "$T/mnt"
check "the audit names the refusals" grep -q \
	'"op":"symlink".*"result":"EACCES","rule":"symlink-leaves-root"' "$(audit_file)"
test_done
