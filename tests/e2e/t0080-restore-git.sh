#!/bin/bash
# P3 on a real mount, for a folder that is itself a git repository: the
# agent switches branches, resets hard and deletes .git; one
# `restore --all --at session` brings back the folder and the repository
# byte for byte (modes and symlinks included), mounted and unmounted.
. "$(dirname "$0")/lib.sh"

R=$T/root
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org
export GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.org
export GIT_CONFIG_NOSYSTEM=1

# manifest DIR: every entry with type, mode, link target and content hash.
manifest() {
	(cd "$1" && find . -mindepth 1 -not -path './.git/*' -printf '%P %y %m %l\n' |
		LC_ALL=C sort &&
		find . -type f -not -path './.git/*' -print0 | LC_ALL=C sort -z |
		xargs -0 sha256sum)
}

# The folder before the agent: files, an executable, a symlink, a
# subtree, a git repository with two branches.
mkdir -p "$R/src/lib" "$R/docs" "$R/data"
for i in $(seq 1 30); do printf 'line %d of file %d\n' 1 "$i" >"$R/src/lib/f$i.c"; done
printf '#!/bin/sh\necho build\n' >"$R/build.sh"
chmod 755 "$R/build.sh"
printf 'Read me.\n' >"$R/docs/README"
ln -s docs/README "$R/README"
head -c 300000 /dev/urandom >"$R/data/blob.bin"
printf 'config=1\n' >"$R/app.conf"
git -C "$R" init -q -b main
git -C "$R" add -A
git -C "$R" commit -qm base
git -C "$R" checkout -q -b feature
printf 'feature work\n' >"$R/feature.txt"
git -C "$R" add feature.txt
git -C "$R" commit -qm feature
git -C "$R" checkout -q main
before=$(manifest "$R")
git_before=$(git -C "$R" rev-parse main feature HEAD)

check "mount" gfs_mount "$R" "$R"

# The damage, by the tools agents use.
sed -i 's/line/LINE/' "$R/src/lib/f1.c"
printf 'overwritten\n' >"$R/app.conf"
truncate -s 10 "$R/data/blob.bin"
printf 'new\n' >"$R/docs/new.txt"
mv "$R/docs/new.txt" "$R/docs/README"          # rename over
rm -rf "$R/src/lib"                             # a subtree
chmod 600 "$R/build.sh"
ln -sfn src "$R/README"                         # symlink swap
python3 - "$R" <<'PY'
import os, sys
root = sys.argv[1]
for name in ("created-by-script.txt", "app.conf"):
    with open(os.path.join(root, name), "w") as f:
        f.write("script was here\n")
PY
git -C "$R" checkout -q feature
git -C "$R" reset -q --hard main
printf 'uncommitted\n' >"$R/wip.txt"
rm -rf "$R/.git"
check_eq "the damage happened" "uncommitted" "$(cat "$R/wip.txt")"
check_fails "the repository is gone" test -e "$R/.git"

# Commands find the project from the folder they run in.
in_root() { (cd "$R" && "$GUARDFS" "$@"); }
STORE=$(echo "$XDG_DATA_HOME"/guardfs/*.git)
in_root log -n 1 >/dev/null # commits what the damage queued
commits_before=$(git -C "$STORE" rev-list --count HEAD)
check "restore --all --at session" in_root restore --all --at session
check_eq "folder restored byte for byte, modes and symlinks" "$before" "$(manifest "$R")"
# The restore is one operation of its own: one commit, every path listed
# as restored, its tree the session's first.
check_eq "one commit for the restore" $((commits_before + 1)) "$(git -C "$STORE" rev-list --count HEAD)"
check "its subject names the restore" bash -c '[[ $(git -C "$1" log -1 --format=%s) =~ ^"restore --all --at session ("[0-9]+" paths)"$ ]]' _ "$STORE"
check_eq "its operations are all restores" "restore" "$(git -C "$STORE" log -1 --format=%b | sed -n 's/^Guardfs-Op: //p' | sort -u)"
check_eq "by the guardfs process" "guardfs" "$(git -C "$STORE" log -1 --format=%b | sed -n 's/^Guardfs-Process: //p' | sort -u)"
check_eq "its tree is the session's start" \
	"$(git -C "$STORE" rev-parse "$(git -C "$STORE" log --format=%H --grep='^session-start' -1)^{tree}")" \
	"$(git -C "$STORE" rev-parse 'HEAD^{tree}')"

# Only the guardfs program may group its writes as a restore: another
# process of the user asking the control socket is turned away.
check_eq "the control socket groups only guardfs" "group	refused: bad key" "$(python3 -c '
import glob, os, socket, sys
path = glob.glob(os.path.join(sys.argv[1], "guardfs", "*.sock"))[0]
s = socket.socket(socket.AF_UNIX); s.connect(path)
s.sendall(b"group-begin restore --all --at session\n")
print(s.recv(4096).decode().strip())' "$XDG_RUNTIME_DIR")"

# A restore counts as one operation for undo, and an undo is one too.
check "undo 1 takes the whole restore back" in_root undo 1
check_eq "the damage is back" "uncommitted" "$(cat "$R/wip.txt")"
check_fails "the repository is gone again" test -e "$R/.git"
check_eq "the undo is one commit" "undo 1" "$(git -C "$STORE" log -1 --format=%s | sed 's/ ([0-9]* paths)$//')"
check "undo 1 of the undo" in_root undo 1
check_eq "folder restored byte for byte again" "$before" "$(manifest "$R")"
check_eq "git repository restored" "$git_before" "$(git -C "$R" rev-parse main feature HEAD 2>&1)"
check "restored repository is sound" git -C "$R" fsck --no-progress
check_eq "branch switching restored" "" "$(git -C "$R" status --porcelain)"


rm -rf "$R/src/lib"
check "restore a deleted directory" in_root restore src/lib --at session
check_eq "a file of it is back" "line 1 of file 2" "$(cat "$R/src/lib/f2.c")"
check "umount" gfs_umount "$R"

# Unmounted, restore writes the folder directly, and still records.
check "restore --all unmounted" in_root restore --all --at session
check_eq "unmounted restore is exact" "$before" "$(manifest "$R")"
check_eq "unmounted restore, git too" "$git_before" "$(git -C "$R" rev-parse main feature HEAD 2>&1)"

# Deleted while nothing was mounted: no snapshot saw it go, the restore
# finds it missing from the folder and brings it back.
rm -rf "$R/src" "$R/README"
check_eq "dry run names what is missing" "would restore README
would restore src/lib/f1.c" "$(in_root restore --all --at session --dry-run | grep -E '^would restore (README|src/lib/f1\.c)$')"
check "restore --all unmounted, after an unrecorded deletion" in_root restore --all --at session
check_eq "what went unrecorded is back" "$before" "$(manifest "$R")"

test_done
