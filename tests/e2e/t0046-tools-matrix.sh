#!/bin/bash
# More real tools inside the mount, each asserted by its exact outcome:
# python3 -m venv with pip installing a local wheel, npm ci from a local
# cache and rm -rf node_modules, git worktree and clone --recurse-submodules,
# cmake with make -j, tar with hard links and symlinks, rsync -a both ways,
# an editor's save dance, and flock between processes.
. "$(dirname "$0")/lib.sh"

R=$T/root
S=$T/outside
mkdir -p "$R" "$S"
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org
export GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.org
export GIT_CONFIG_NOSYSTEM=1
export npm_config_cache=$T/npm-cache npm_config_update_notifier=false
export npm_config_fund=false npm_config_audit=false

# Inputs made outside the mount, as a user's would be.
# A wheel, built by hand (a wheel is a zip with its metadata).
/usr/bin/python3 - "$S/greet-1.0-py3-none-any.whl" <<'PY'
import base64, hashlib, sys, zipfile
files = {
    "greet/__init__.py": b"def hello():\n    return 'hello from a wheel'\n",
    "greet-1.0.dist-info/METADATA":
        b"Metadata-Version: 2.1\nName: greet\nVersion: 1.0\n",
    "greet-1.0.dist-info/WHEEL":
        b"Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n",
}
record = ""
for name, data in files.items():
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest())
    record += "%s,sha256=%s,%d\n" % (name, digest.rstrip(b"=").decode(),
                                     len(data))
record += "greet-1.0.dist-info/RECORD,,\n"
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for name, data in files.items():
        z.writestr(name, data)
    z.writestr("greet-1.0.dist-info/RECORD", record)
PY
# An npm package as a tarball, and a project that depends on it.
mkdir -p "$S/left-pad"
printf '{"name":"left-pad","version":"1.3.0","main":"index.js"}\n' >"$S/left-pad/package.json"
printf 'module.exports = (s, n) => String(s).padStart(n);\n' >"$S/left-pad/index.js"
(cd "$S" && npm pack ./left-pad >/dev/null 2>&1)
# A git repository with a submodule.
git init -q -b main "$S/sub" && echo sub >"$S/sub/s.txt" &&
	git -C "$S/sub" add s.txt && git -C "$S/sub" commit -qm sub
git init -q -b main "$S/super" && echo top >"$S/super/t.txt" &&
	git -C "$S/super" add t.txt &&
	git -C "$S/super" -c protocol.file.allow=always submodule add -q "$S/sub" sub &&
	git -C "$S/super" commit -qm super
# A tar with a hard link, a relative symlink and a directory link.
mkdir -p "$S/tree/d" && echo linked >"$S/tree/d/a" && ln "$S/tree/d/a" "$S/tree/d/hard" &&
	ln -s a "$S/tree/d/soft" && ln -s d "$S/tree/dlink" &&
	tar -C "$S" -cf "$S/tree.tar" tree

check "mount" gfs_mount "$R" "$R"
STORE=$(status_field "$R" store)
cd "$R" || exit 1

# python: venv with pip, a local wheel installed offline, and imported.
check "python3 -m venv (with pip)" /usr/bin/python3 -m venv "$R/venv"
check "pip install of a local wheel, offline" \
	"$R/venv/bin/pip" install -q --no-index --no-deps "$S/greet-1.0-py3-none-any.whl"
check_eq "the wheel imports" "hello from a wheel" \
	"$("$R/venv/bin/python3" -c 'import greet; print(greet.hello())')"
check "pip uninstall" "$R/venv/bin/pip" uninstall -q -y greet
check_fails "gone after uninstall" "$R/venv/bin/python3" -c 'import greet'

# npm: install from a tarball, then ci offline from the cache, rm -rf.
mkdir "$R/app" && cd "$R/app" || exit 1
printf '{"name":"app","version":"1.0.0","private":true}\n' >package.json
check "npm install of a local tarball" npm install -s "$S/left-pad-1.3.0.tgz"
check "npm ci --offline" npm ci -s --offline
check_eq "the package runs" "   x" "$(node -e 'console.log(require("left-pad")("x", 4))')"
check "rm -rf node_modules" rm -rf node_modules
check_fails "node_modules gone" test -e node_modules
cd "$R" || exit 1

# git: clone with submodules from outside, a worktree, gc.
check "git clone --recurse-submodules" \
	git -c protocol.file.allow=always clone -q --recurse-submodules "$S/super" super
check_eq "the submodule is checked out" sub "$(cat super/sub/s.txt)"
check "git worktree add" git -C super worktree add -q ../wt -b topic
check_eq "the worktree has the files" top "$(cat wt/t.txt)"
echo more >>wt/t.txt
check "commit in the worktree" git -C wt commit -qam more
check_eq "the branch moved in the main repository" more \
	"$(git -C super log -1 --format=%s topic)"
check "git worktree remove" git -C super worktree remove ../wt
check "git gc" git -C super gc -q
check "git fsck" git -C super fsck --no-progress

# cmake and make -j.
mkdir -p "$R/cm" && cd "$R/cm" || exit 1
printf 'cmake_minimum_required(VERSION 3.13)\nproject(p C)\nadd_executable(p a.c b.c)\n' >CMakeLists.txt
printf 'int b(void);\nint main(void) { return b() - 42; }\n' >a.c
printf 'int b(void) { return 42; }\n' >b.c
check "cmake configure" cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
check "cmake --build -j2" cmake --build build -j2
check "the program runs" ./build/p
cd "$R" || exit 1

# tar: hard links and symlinks survive extraction, exactly.
check "tar -x with hard and symbolic links" tar -xf "$S/tree.tar"
check_eq "hard link: one inode, two names" "2 2" \
	"$(stat -c %h tree/d/a) $(stat -c %h tree/d/hard)"
check_eq "same inode" "$(stat -c %i tree/d/a)" "$(stat -c %i tree/d/hard)"
check_eq "symlinks kept as links" "a d" "$(readlink tree/d/soft) $(readlink tree/dlink)"
check_eq "read through the directory link" linked "$(cat tree/dlink/soft)"

# rsync -a in and out: the same tree both times.
check "rsync -a into the mount" rsync -a "$S/tree/" "$R/synced/"
check "rsync -aH out of the mount" rsync -aH "$R/synced/" "$T/back/"
check_eq "the round trip is exact" "" \
	"$(diff -r --no-dereference "$S/tree" "$T/back" 2>&1)"

# An editor's save: temp file, fsync, rename over, chmod back.
echo old >"$R/doc.txt"
chmod 640 "$R/doc.txt"
check "the save dance" /usr/bin/python3 - "$R/doc.txt" <<'PY'
import os, sys
path = sys.argv[1]
mode = os.stat(path).st_mode & 0o7777
tmp = path + ".swp~"
with open(tmp, "w") as f:
    f.write("new\n")
    f.flush()
    os.fsync(f.fileno())
os.rename(tmp, path)
os.chmod(path, mode)
dirfd = os.open(os.path.dirname(path), os.O_RDONLY)
os.fsync(dirfd)
os.close(dirfd)
PY
check_eq "saved bytes and mode" "new 640" "$(cat doc.txt) $(stat -c %a doc.txt)"
check_fails "no temporary left" test -e "doc.txt.swp~"

# flock: a second holder waits for the first.
check "flock -n while free" flock -n "$R/lockfile" true
flock "$R/lockfile" sleep 1 &
holder=$!
sleep 0.3
check_fails "flock -n while held" flock -n "$R/lockfile" true
wait "$holder"
check "flock -n after release" flock -n "$R/lockfile" true

cd / || exit 1
check "umount" gfs_umount "$R"
# the install and the uninstall, each in the trees of the history
check "the store holds the wheel's file, then its removal" bash -c '
	n=$(git -C "$1" log --format=%H -- ":(glob)venv/lib/*/site-packages/greet/__init__.py" | wc -l)
	[ "$n" -ge 2 ] &&
	! git -C "$1" ls-tree -r --name-only HEAD | grep -q "site-packages/greet/__init__.py"' _ "$STORE"
test_done
