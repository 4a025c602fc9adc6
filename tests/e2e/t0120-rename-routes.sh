#!/bin/bash
# A rename, a link or a restore never makes something visible that was
# hidden, never gives a refused file's bytes a readable name, never moves
# a symlink to where it leads out, and a restore never writes into an
# inode a reader holds open. Each route replayed as an agent would,
# through the mount (issue 10).
. "$(dirname "$0")/lib.sh"

R=$T/root
mkdir -p "$T/outside" "$R/outside"
echo 'TOPSECRET outside the root' >"$T/outside/secret.txt"
echo 'inside' >"$R/outside/secret.txt"

# (a) Parents of anchored built-in rules. Plain content: only the name
# hides these files, so a rename that exposes the name exposes the bytes.
mkdir -p "$R/.m2" "$R/.config/gh" "$R/.config/Code" "$R/.docker" \
	"$R/home/.m2" "$R/work"
echo '<settings><password>m2-plain</password></settings>' >"$R/.m2/settings.xml"
echo 'repo list' >"$R/.m2/notes.txt"
echo 'oauth_token: gh-plain' >"$R/.config/gh/hosts.yml"
echo '{"editor": 1}' >"$R/.config/Code/settings.json"
echo '{"auths": "docker-plain"}' >"$R/.docker/config.json"
echo '<settings>home</settings>' >"$R/home/.m2/settings.xml"
echo 'work' >"$R/work/a.txt"

check "mount" gfs_mount "$R" "$R"
check_eq ".m2/settings.xml is hidden" ENOENT "$(probe stat "$R/.m2/settings.xml")"
check_eq ".m2/notes.txt is visible" "repo list" "$(cat "$R/.m2/notes.txt")"
check_eq "mv .m2 m2 is refused" EACCES "$(probe rename "$R/.m2" "$R/m2")"
check_fails "mv(1) too" mv "$R/.m2" "$R/m2"
check_eq "m2/settings.xml does not appear" ENOENT "$(probe stat "$R/m2/settings.xml")"
check_eq ".m2 is where it was" "notes.txt" "$(ls -A "$R/.m2")"
check_eq "mv .config config is refused" EACCES "$(probe rename "$R/.config" "$R/config")"
check_eq "config/gh/hosts.yml does not appear" ENOENT "$(probe stat "$R/config/gh/hosts.yml")"
check_eq "mv .config/gh .config/gh2 is refused" EACCES \
	"$(probe rename "$R/.config/gh" "$R/.config/gh2")"
check_eq "exchange .config with a plain dir is refused" EACCES \
	"$(probe rename-exchange "$R/.config" "$R/work")"
check_eq "mv .docker docker is refused" EACCES "$(probe rename "$R/.docker" "$R/docker")"
check_eq "docker/config.json does not appear" ENOENT "$(probe stat "$R/docker/config.json")"
check_eq "a rename no rule tells apart is fine" ok \
	"$(probe rename "$R/.config/Code" "$R/.config/Code2")"
check_eq "moving a whole tree keeps .m2 whole" ok "$(probe rename "$R/home" "$R/home2")"
check_eq "home2/.m2/settings.xml stays hidden" ENOENT "$(probe stat "$R/home2/.m2/settings.xml")"
check_eq "a plain directory moves" ok "$(probe rename "$R/work" "$R/work2")"
check_eq "and reads" work "$(cat "$R/work2/a.txt")"

# (c) A symlink that stays inside where it is made but leads out once its
# directory moves up.
mkdir -p "$R/sy/a/b" "$R/sy/outside"
echo 'inside sy' >"$R/sy/outside/secret.txt"
check_eq "make sy/a/b/link (inside)" ok \
	"$(probe symlink ../../outside/secret.txt "$R/sy/a/b/link")"
check_eq "it reads the file inside" "inside sy" "$(cat "$R/sy/a/b/link")"
check_eq "moving sy/a/b up is refused" EACCES "$(probe rename "$R/sy/a/b" "$R/b")"
check_fails "mv(1) too" mv "$R/sy/a/b" "$R/b"
check_eq "b/link does not exist" ENOENT "$(probe stat "$R/b/link")"
check_eq "moving the link itself up is refused" EACCES \
	"$(probe rename "$R/sy/a/b/link" "$R/link")"
check_eq "a hard link of it up there too" EACCES \
	"$(probe link "$R/sy/a/b/link" "$R/hlink")"
check_eq "a move where it stays inside is fine" ok \
	"$(probe rename "$R/sy/a/b" "$R/sy/b")"
check_eq "sy/b/link now reads ROOT/outside" inside "$(cat "$R/sy/b/link")"
check_eq "moving it deeper is fine" ok "$(probe rename "$R/sy/b" "$R/sy/a/b")"
check_eq "and it reads sy/outside again" "inside sy" "$(cat "$R/sy/a/b/link")"
check_fails "nothing outside was ever read" grep -rqs TOPSECRET "$R"
check "umount" gfs_umount "$R"

# Found before the mount: a link that resolves nowhere while d is missing
# and leads out once d is made. Judged by its text, it is hidden now.
ln -s d/../../outside/secret.txt "$R/dl"
check "mount again" gfs_mount "$R" "$R"
check_eq "dl is hidden" ENOENT "$(probe lstat "$R/dl")"
check "explain says so while d is missing" bash -c '"$1" explain "$2" | grep -q "hidden.*symlink\|symlink.*hidden"' _ "$GUARDFS" "$R/dl"
mkdir "$R/d"
check_eq "and stays hidden once d exists" ENOENT "$(probe read "$R/dl")"
check "umount" gfs_umount "$R"
rm "$R/dl"
rmdir "$R/d"

# A move too deep to judge goes ahead (links only), and the kernel's cached
# copy of a link below is judged again where it now is: 130 levels, below
# which the walk gives up, then a link that leads out one level higher.
deep=up/m
for _ in $(seq 130); do deep=$deep/a; done
mkdir -p "$R/$deep"
dots=$(printf '../%.0s' $(seq 132))
ln -s "${dots}outside/secret.txt" "$R/$deep/l"
check "mount again" gfs_mount "$R" "$R"
check_eq "the deep link reads inside" inside "$(cat "$R/$deep/l")"
check_eq "moving up/m up is allowed (too deep to judge)" ok "$(probe rename "$R/up/m" "$R/m")"
moved=m/${deep#up/m/}
sleep 0.2 # the kernel drops the cached entries from a helper thread
check_eq "the cached link no longer leads out" ENOENT "$(probe read "$R/$moved/l")"
check_eq "it is hidden" ENOENT "$(probe lstat "$R/$moved/l")"
check "umount" gfs_umount "$R"
rm -rf "$R/m" "$R/up"

# (b) allow_path inherited by moving: the verdict belongs to the bytes.
key_id=AKIA$(printf 'YMZON5RNXXRBWA7V')
secret=XcrzEBZshBfTf39VMBlMJzjtPrcWC3f5fMqIY3Dw
mkdir -p "$R/src/pkg" "$R/fixtures"
cat >"$R/src/upload.py" <<PY
import boto3


def client():
    return boto3.client("s3", aws_access_key_id="$key_id",
                        aws_secret_access_key="$secret")
PY
cp "$R/src/upload.py" "$R/src/pkg/deep.py"
cp "$R/src/upload.py" "$R/fixtures/fake.py"
echo 'clean' >"$R/src/clean.txt"
printf '[secrets]\nallow_path = fixtures/\n' >"$T/allow.ini"
chmod 600 "$T/allow.ini"
check "mount with allow_path" gfs_mount "$R" -c "$T/allow.ini" "$R"
check_eq "src/upload.py is refused" EACCES "$(probe read "$R/src/upload.py")"
check_eq "fixtures/fake.py reads" ok "$(probe read "$R/fixtures/fake.py")"
check_eq "ln into fixtures/ is refused" EACCES \
	"$(probe link "$R/src/upload.py" "$R/fixtures/upload.py")"
check_fails "ln(1) too" ln "$R/src/upload.py" "$R/fixtures/upload2.py"
check_eq "mv into fixtures/ is refused" EACCES \
	"$(probe rename "$R/src/upload.py" "$R/fixtures/upload.py")"
check_fails "mv(1) too" mv "$R/src/upload.py" "$R/fixtures/"
check_eq "nothing reached fixtures/" "fake.py" "$(ls "$R/fixtures")"
check_eq "a directory holding one is refused too" EACCES \
	"$(probe rename "$R/src/pkg" "$R/fixtures/pkg")"
check_eq "exchanging it in is refused" EACCES \
	"$(probe rename-exchange "$R/src/upload.py" "$R/fixtures/fake.py")"
check_eq "a clean file moves in" ok "$(probe rename "$R/src/clean.txt" "$R/fixtures/clean.txt")"
check_eq "a clean file links in" ok "$(probe link "$R/fixtures/clean.txt" "$R/src/clean.txt")"
check_eq "moving within fixtures/ is fine" ok \
	"$(probe rename "$R/fixtures/fake.py" "$R/fixtures/fake2.py")"
check_eq "and out of it (refused outside)" ok \
	"$(probe rename "$R/fixtures/fake2.py" "$R/src/fake.py")"
check_eq "where it is refused" EACCES "$(probe read "$R/src/fake.py")"
# Too large to judge (here: deeper than the walk descends) when files
# would land under allow_path: EXDEV, as across file systems, so mv
# copies file by file, each read under its own verdict.
deep=src/big
for _ in $(seq 130); do deep=$deep/a; done
mkdir -p "$R/$deep"
check_eq "a tree too deep to judge answers EXDEV" EXDEV \
	"$(probe rename "$R/src/big" "$R/fixtures/big")"
check_fails "no key was read" grep -rqs "$secret" "$R"
check "umount" gfs_umount "$R"

# (d) A restore never writes into an inode a reader holds open: the agent
# empties a refused file (a write needs no scan), opens it for reading
# while it is empty, and waits for a restore.
mkdir -p "$R/rs"
cp "$R/src/upload.py" "$R/rs/conf.py"
printf '#!/bin/sh\necho run\n' >"$R/rs/run.sh"
chmod 755 "$R/rs/run.sh"
echo 'notes v1' >"$R/rs/notes.txt"
echo 'other' >"$R/rs/other.txt"
in_root() { (cd "$R" && "$GUARDFS" "$@"); }
check "mount for restores" gfs_mount "$R" "$R"
STORE=$(echo "$XDG_DATA_HOME"/guardfs/*.git)
check_eq "rs/conf.py is refused" EACCES "$(probe read "$R/rs/conf.py")"
check "empty it" truncate -s 0 "$R/rs/conf.py"
check "empty run.sh" truncate -s 0 "$R/rs/run.sh"
in_root log -n 1 >/dev/null
exec 3<"$R/rs/conf.py"
check "restore it while mounted" in_root restore rs/conf.py rs/run.sh --at session
check_eq "the held descriptor still reads the empty file" "" "$(cat <&3)"
exec 3<&-
check_eq "the restored file is refused" EACCES "$(probe read "$R/rs/conf.py")"
check_eq "run.sh came back as it was" "755 #!/bin/sh echo run" \
	"$(stat -c %a "$R/rs/run.sh") $(tr '\n' ' ' <"$R/rs/run.sh" | sed 's/ $//')"
in_root log -n 1 >/dev/null
check_eq "the restore lists its paths, not temporary names" \
	$'restore rs/conf.py\nrestore rs/run.sh' \
	"$(git -C "$STORE" log -1 --format=%b | sed -n '/^restore /p' | sort)"
check_eq "no temporary file is left" "conf.py notes.txt other.txt run.sh" \
	"$(ls -A "$R/rs" | tr '\n' ' ' | sed 's/ $//')"
# A symlink planted where a file was is replaced, never written through.
rm "$R/rs/notes.txt"
ln -s other.txt "$R/rs/notes.txt"
in_root log -n 1 >/dev/null # commits what the change queued
check "restore over the planted link" in_root restore rs/notes.txt --at session
check_eq "other.txt is untouched" other "$(cat "$R/rs/other.txt")"
check_eq "notes.txt is a file again" "regular file notes v1" \
	"$(stat -c %F "$R/rs/notes.txt") $(cat "$R/rs/notes.txt")"
check "empty conf.py again" truncate -s 0 "$R/rs/conf.py"
check "umount" gfs_umount "$R"
# Unmounted, a process of the user holding the file open is the reader.
exec 3<"$R/rs/conf.py"
check "restore it unmounted" in_root restore rs/conf.py --at session
check_eq "the held descriptor still reads the empty file" "" "$(cat <&3)"
exec 3<&-
check_eq "the key is back in the folder" 1 "$(grep -c "$secret" "$R/rs/conf.py")"
check "mount once more" gfs_mount "$R" "$R"
check_eq "and refused through the mount" EACCES "$(probe read "$R/rs/conf.py")"
check "umount" gfs_umount "$R"

# With a file pattern as allow_path, the restore's temporary name is not
# allowed but the path is: the restore's own rename still goes through,
# while an agent's move of a refused file onto such a name does not.
printf '[secrets]\nallow_path = fixtures/*.py\n' >"$T/allow-py.ini"
chmod 600 "$T/allow-py.ini"
cp "$R/rs/conf.py" "$R/fixtures/fake3.py"
check "mount with a file pattern" gfs_mount "$R" -c "$T/allow-py.ini" "$R"
check_eq "mv a refused file onto fixtures/*.py is refused" EACCES \
	"$(probe rename "$R/src/upload.py" "$R/fixtures/up.py")"
check_eq "the fixture reads" ok "$(probe read "$R/fixtures/fake3.py")"
check "empty it" truncate -s 0 "$R/fixtures/fake3.py"
in_root log -n 1 >/dev/null
check "restore the fixture" in_root restore fixtures/fake3.py --at session
check_eq "it reads again" 1 "$(grep -c "$secret" "$R/fixtures/fake3.py")"
check "umount" gfs_umount "$R"

check "audit names each refusal, its rule and what it protected" python3 - "$(audit_file)" <<'PY'
import json, sys
hits = [json.loads(l) for l in open(sys.argv[1], "rb")]
def refused(op, path, path2, rule_start, detail):
    for h in hits:
        if (h["op"], h["path"], h.get("path2"), h["result"]) == (op, path, path2, "EACCES") \
           and h.get("rule", "").startswith(rule_start) and h.get("detail") == detail:
            return
    raise SystemExit("no %s %s -> %s refusal by %s for %s" % (op, path, path2, rule_start, detail))
refused("rename", ".m2", "m2", "builtin:", ".m2/settings.xml")
refused("rename", ".config", "config", "builtin:", ".config/gh/hosts.yml")
refused("rename", ".docker", "docker", "builtin:", ".docker/config.json")
refused("rename", "sy/a/b", "b", "symlink-leaves-root", "sy/a/b/link")
refused("rename", "sy/a/b/link", "link", "symlink-leaves-root", "sy/a/b/link")
refused("link", "sy/a/b/link", "hlink", "symlink-leaves-root", "sy/a/b/link")
refused("link", "src/upload.py", "fixtures/upload.py", "secret:", "src/upload.py")
refused("rename", "src/upload.py", "fixtures/upload.py", "secret:", "src/upload.py")
refused("rename", "src/pkg", "fixtures/pkg", "secret:", "src/pkg/deep.py")
refused_exdev = [h for h in hits if h["op"] == "rename" and h["path"] == "src/big"
                 and h["result"] == "EXDEV" and h.get("rule") == "move-too-large-to-check"]
assert refused_exdev, "no EXDEV for src/big"
assert any(h["op"] in ("lookup", "readlink") and h["result"] == "ENOENT" and
           h.get("rule") == "symlink-leaves-root" and h["path"].endswith("/l")
           for h in hits), "the moved deep link was not refused"
assert any(h["op"] == "lookup" and h["path"] == "dl" and
           h.get("rule") == "symlink-leaves-root" for h in hits), "dl"
PY
test_done
