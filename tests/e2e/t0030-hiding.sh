#!/bin/bash
# P1 and P2: hidden names do not exist for the agent, whatever path or
# trick it uses, and nothing outside the root is reachable.
. "$(dirname "$0")/lib.sh"

R=$T/root
mkdir -p "$R/src" "$R/private" "$R/keys/.ssh" "$R/sub" "$R/open"
echo 'API_KEY=abc' >"$R/.env"
echo 'API_KEY=changeme' >"$R/.env.example"
echo 'X=1' >"$R/src/.ENV"
echo 'key' >"$R/keys/id_rsa"
echo 'ssh-ed25519 AAAA user' >"$R/keys/id_rsa.pub"
echo 'cert' >"$R/keys/server.crt"
echo 'cfg' >"$R/keys/.ssh/config"
echo 'private notes' >"$R/private/notes.txt"
echo 'db' >"$R/data.sqlite"
echo 'keep' >"$R/keep.sqlite"
echo 'hello' >"$R/a.txt"
echo 'in open' >"$R/open/a.txt"
ln -s ../../etc/passwd "$R/sub/evil"
ln -s /etc/passwd "$R/abs"
ln -s .. "$R/sub/up"            # the root itself: inside
ln -s sub/up/.. "$R/chained"    # lexically inside, really outside
ln -s a.txt "$R/good"
mkdir "$R/linked" "$R/linked/away"
echo 'shared' >"$R/linked/shared.txt"
ln "$R/linked/shared.txt" "$R/linked/away/.env" # one inode, a visible and a hidden name
cat >"$R/.guardfs.ini" <<INI
[guard]
root = $R
[deny]
pattern = private/
pattern = *.sqlite
pattern = !keep.sqlite
pattern = /locked/*.txt
INI
chmod 600 "$R/.guardfs.ini"
check "mount in place with ROOT/.guardfs.ini" gfs_mount "$R" "$R"

# Built-in names.
check_eq ".env is ENOENT" ENOENT "$(probe stat "$R/.env")"
check_eq ".env.example is visible" ok "$(probe stat "$R/.env.example")"
check_eq ".ENV (case) is ENOENT" ENOENT "$(probe stat "$R/src/.ENV")"
check_eq "src/../.env is ENOENT" ENOENT "$(probe stat "$R/src/../.env")"
check_eq "./.env is ENOENT" ENOENT "$(probe open "$R/./.env" r)"
check_eq "id_rsa is ENOENT" ENOENT "$(probe stat "$R/keys/id_rsa")"
check_eq "id_rsa.pub is visible" ok "$(probe stat "$R/keys/id_rsa.pub")"
check_eq "server.crt is visible" ok "$(probe stat "$R/keys/server.crt")"
check_eq ".ssh/ is ENOENT" ENOENT "$(probe stat "$R/keys/.ssh")"
check_eq "below .ssh/ is ENOENT" ENOENT "$(probe stat "$R/keys/.ssh/config")"
check_eq "the config is hidden (P6)" ENOENT "$(probe stat "$R/.guardfs.ini")"
check_eq "listing leaves them out" \
	".env.example a.txt good keep.sqlite keys linked open src sub" \
	"$(cd "$R" && ls -A | tr '\n' ' ' | sed 's/ $//')"
check_eq "globbing finds only the example" ".env.example" \
	"$(cd "$R" && echo .env*)"
check_eq "find leaves them out" "" \
	"$(cd "$R" && find . \( -iname '.env' -o -name id_rsa -o -name '.ssh' -o -name '*.ini' \))"
check_fails "grep -r never reads .env" grep -rq 'API_KEY=abc' "$R"

# A hidden hard link of a known inode: a listing sends known inodes as
# plain entries (fs/ops_dir.c), and must neither show the hidden name
# nor let the inode be known by it afterwards.
check_eq "stat the visible name first" ok "$(probe stat "$R/linked/shared.txt")"
check_eq "listing leaves the hidden link out" "" "$(ls -A "$R/linked/away")"
check_eq "the hidden link is ENOENT" ENOENT "$(probe stat "$R/linked/away/.env")"
check "the visible name still works" chmod 640 "$R/linked/shared.txt"

# User patterns: directory rule, negation.
check_eq "private/ is ENOENT" ENOENT "$(probe stat "$R/private")"
check_eq "a file below private/ is ENOENT" ENOENT "$(probe stat "$R/private/notes.txt")"
check_eq "*.sqlite is ENOENT" ENOENT "$(probe stat "$R/data.sqlite")"
check_eq "!keep.sqlite is visible" ok "$(probe stat "$R/keep.sqlite")"

# Creating, renaming or linking to or from a hidden name.
check_eq "create .env" EACCES "$(probe open "$R/.env" wc)"
check_eq "create .ENV elsewhere" EACCES "$(probe open "$R/open/.ENV" wc)"
check_eq "mkdir .ssh" EACCES "$(probe mkdir "$R/.ssh")"
check_eq "mkdir private" EACCES "$(probe mkdir "$R/private")"
check_eq "rename onto .env" EACCES "$(probe rename "$R/a.txt" "$R/.env")"
check_eq "rename into private/" ENOENT "$(probe rename "$R/a.txt" "$R/private/a.txt")"
check_eq "rename onto x.sqlite" EACCES "$(probe rename "$R/a.txt" "$R/x.sqlite")"
check_eq "rename .env away" ENOENT "$(probe rename "$R/.env" "$R/stolen")"
check_eq "exchange with .env" ENOENT "$(probe rename-exchange "$R/a.txt" "$R/.env")"
check_eq "link onto .env" EACCES "$(probe link "$R/a.txt" "$R/.env")"
check_eq "link .env away" ENOENT "$(probe link "$R/.env" "$R/stolen")"
check_eq "mkfifo .env" EACCES "$(probe fifo "$R/sub/.env")"
# ".env/" is re-exposed for virtualenvs; a hidden .env file must not show
# through the EEXIST or ENOTDIR a collision would give.
check_eq "mkdir over a hidden .env file" EACCES "$(probe mkdir "$R/.env")"
mkdir "$R/venvdir"
check_eq "rename a dir over a hidden .env file" EACCES "$(probe rename "$R/venvdir" "$R/.env")"
rmdir "$R/venvdir"
check_eq "a symlink to .env can be made" ok "$(probe symlink .env "$R/alias")"
check_eq "but does not lead to it" ENOENT "$(probe read "$R/alias")"

# Symlinks that leave the root.
check_eq "make ../../etc/passwd" EACCES "$(probe symlink ../../etc/passwd "$R/sub/p")"
check_eq "make /etc/passwd" EACCES "$(probe symlink /etc/passwd "$R/p")"
check_eq "make a chained escape" EACCES "$(probe symlink sub/up/.. "$R/p")"
check_fails "no trace of refused links" test -L "$T/root/p"
check_eq "found ../../etc/passwd is hidden" ENOENT "$(probe lstat "$R/sub/evil")"
check_eq "found /etc/passwd link is hidden" ENOENT "$(probe lstat "$R/abs")"
check_eq "found chained escape is hidden" ENOENT "$(probe lstat "$R/chained")"
check_eq "a link to the root is fine" ok "$(probe stat "$R/sub/up")"
check_eq "a link inside works" hello "$(cat "$R/good")"
check_eq "make ../a.txt" ok "$(probe symlink ../a.txt "$R/sub/back")"
check_eq "read through it" hello "$(cat "$R/sub/back")"

# A directory renamed to where its cached children become hidden.
check_eq "child readable before" "in open" "$(cat "$R/open/a.txt")"
check_eq "rename the directory" ok "$(probe rename "$R/open" "$R/locked")"
sleep 0.2 # the kernel drops the cached entry from a helper thread
check_eq "child hidden after the rename" ENOENT "$(probe stat "$R/locked/a.txt")"
check_eq "listing hides it too" "" "$(ls -A "$R/locked")"

# Names that are hard to print stay usable and audit as valid JSON.
name=$'odd\nname \x01\xff.txt'
echo odd >"$R/$name"
check_eq "odd name readable" odd "$(cat "$R/$name")"

check "umount" gfs_umount "$R"
check "audit is valid JSON, one object per line" python3 -c '
import json, sys
for line in open(sys.argv[1], "rb"):
    json.loads(line)' "$(audit_file)"
check "audit names the refusals with their rules, the hard link by its own name" python3 -c '
import json, sys
hits = [json.loads(l) for l in open(sys.argv[1], "rb")]
assert any(h["op"] == "lookup" and h["path"] == ".env" and
           h["result"] == "ENOENT" and h["rule"].startswith("builtin:")
           for h in hits), "no lookup refusal"
assert any(h["op"] == "rename" and h["path"] == "a.txt" and
           h["path2"] == ".env" and h["result"] == "EACCES"
           for h in hits), "no rename refusal"
assert any(h["op"] == "symlink" and h["result"] == "EACCES" and
           h["rule"] == "symlink-leaves-root" for h in hits), "no symlink refusal"
chmods = [h["path"] for h in hits if h["op"] == "chmod" and
          h["path"].startswith("linked/")]
assert chmods == ["linked/shared.txt"], "chmod of the hard link: %r" % chmods
# The invalid byte 0xff is written as the escape \u00ff.
assert any(h["op"] == "create" and h["path"] == "odd\nname \x01\xff.txt"
           for h in hits), "no odd name"
' "$(audit_file)"

# Case-sensitive matching and the built-in list turned off.
printf '[deny]\ncase_sensitive = yes\n' >"$T/cs.ini"
chmod 600 "$T/cs.ini"
check "mount case-sensitive" gfs_mount "$R" -c "$T/cs.ini" "$R"
check_eq "case_sensitive: .ENV visible" ok "$(probe stat "$R/src/.ENV")"
check_eq "case_sensitive: .env hidden" ENOENT "$(probe stat "$R/.env")"
check "umount" gfs_umount "$R"
printf '[deny]\nbuiltin = no\n' >"$T/nb.ini"
chmod 600 "$T/nb.ini"
check "mount without the built-in list" gfs_mount "$R" -c "$T/nb.ini" "$R"
check_eq "builtin = no: .env visible" "API_KEY=abc" "$(cat "$R/.env")"
check_eq "builtin = no: escaping links still hidden" ENOENT "$(probe lstat "$R/sub/evil")"
check "umount" gfs_umount "$R"
test_done
