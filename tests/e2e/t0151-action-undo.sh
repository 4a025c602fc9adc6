#!/bin/bash
# Hidden side effects, each undone by ONE `guardfs undo` (the last
# action), byte for byte: a formatter script that edits one file and
# deletes two; a `make package` rule that deletes src/ (a tree with an
# empty directory), README and LICENSE; a compiled helper whose source
# is gone that deletes files; a setup script that overwrites .env (with
# a config that shows .env: by default the name is hidden and the
# overwrite refused); sed -i (its temporary file never comes back); git
# status (its index.lock never comes back); rm -rf of a tree of 151
# files. Each command runs in its own process group (setsid), as a
# shell's job does: one action each.
. "$(dirname "$0")/lib.sh"

R=$T/root
mkdir -p "$R/src/lib" "$R/src/empty" "$R/docs"
printf 'int main(void)\n{\n    return 0;\n}\n' >"$R/src/main.c"
printf 'int lib(void) { return 2; }\n' >"$R/src/lib/lib.c"
printf 'Read me\n' >"$R/README"
printf 'MIT\n' >"$R/LICENSE"
printf 'guide\n' >"$R/docs/guide.md"
printf 'api\n' >"$R/docs/api.md"
printf 'PORT=8080\nDEBUG=0\n' >"$R/.env"
head -c 5000 /dev/urandom >"$R/data.bin"
# a formatter with a hidden side effect: it "cleans" docs/
cat >"$R/fmt.sh" <<'EOF'
#!/bin/sh
python3 - <<'PY'
import os
src = open("src/main.c").read().replace("    ", "\t")
open("src/main.c.tmp", "w").write(src)
os.rename("src/main.c.tmp", "src/main.c")
PY
rm docs/guide.md docs/api.md
EOF
printf 'package:\n\tmkdir -p dist\n\tcat src/main.c src/lib/lib.c >dist/app.txt\n\trm -rf src README LICENSE\n' >"$R/Makefile"
cat >"$R/setup.sh" <<'EOF'
#!/bin/sh
printf 'PORT=9999\nDEBUG=1\n' >.env
mkdir -p config && printf '{}\n' >config/settings.json
EOF
printf '[deny]\npattern = !/.env\n' >"$T/show-env.ini"
chmod 600 "$T/show-env.ini"
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
git -C "$R" init -q -b main repo
printf 'v1\n' >"$R/repo/file"
git -C "$R/repo" add file
git -C "$R/repo" -c user.name=t -c user.email=t@t commit -q -m one

# same_as COPY DESCRIPTION: the folder holds exactly what COPY holds
# (names, kinds, modes, then every file compared with cmp).
same_as() {
	local copy=$1 what=$2 f bad=
	if [ "$(cd "$copy" && find . -printf '%y %m %p\n' | sort)" != \
		"$(cd "$R" && find . -printf '%y %m %p\n' | sort)" ]; then
		bad="the names differ: $(diff <(cd "$copy" && find . | sort) <(cd "$R" && find . | sort) | xargs)"
	fi
	while IFS= read -r -d '' f; do
		cmp -s "$copy/$f" "$R/$f" || bad="$bad $f differs"
	done < <(cd "$copy" && find . -type f -print0)
	check_eq "$what" "" "$bad"
}
# act CMD...: one command as its own process group, in the folder
act() { (cd "$R" && setsid -w "$@"); }
# flushes the store (log while mounted waits for the daemon)
flushed() { (cd "$R" && "$GUARDFS" log -n 1 >/dev/null); }
newest() { (cd "$R" && "$GUARDFS" log -n 1); }
undo() { (cd "$R" && "$GUARDFS" undo >"$T/undo.out" 2>&1); }
snap() { rm -rf "$T/copy" && cp -a "$R" "$T/copy"; }

check "mount with .env shown" gfs_mount "$R" -c "$T/show-env.ini" "$R"

# 1. The formatter: one edit, two deletes, one undo.
snap
check "the formatter runs" act sh fmt.sh
flushed
check "log: the formatter is the newest action, one changed, two deleted" \
	grep -qE '^A[0-9]+  .*  1 changed, 0 created, 2 deleted  sh fmt.sh$' < <(newest)
check "the formatter's undo" undo
same_as "$T/copy" "formatter: one undo, byte for byte"

# 2. make package: a tree (with an empty directory), README and LICENSE.
snap
check "make package runs" act make -s package
flushed
check "log: make package" grep -qE '  0 changed, 1 created, 4 deleted  make -s package$' < <(newest)
check "make package's undo" undo
same_as "$T/copy" "make package: src/, README, LICENSE back, dist/ gone"
check_eq "the empty directory came back" d "$(stat -c %F "$R/src/empty" | cut -c1)"

# 3. A compiled helper with no source that deletes files.
cat >"$R/cleaner.c" <<'EOF'
#include <stdio.h>
#include <unistd.h>
int main(void)
{
	return unlink("LICENSE") || unlink("data.bin") || unlink("src/lib/lib.c") ||
	       rmdir("src/lib");
}
EOF
check "compile the helper" act cc -o cleaner cleaner.c
rm "$R/cleaner.c"
sleep 2.2 # the test shell's own changes: an action that ends here
snap
check "the helper runs" act ./cleaner
flushed
check "log: the helper" grep -qE '  0 changed, 0 created, 3 deleted  cleaner$' < <(newest)
check "the helper's undo" undo
same_as "$T/copy" "compiled helper: its deletions undone"

# 4. A setup script overwrites .env.
snap
check "setup runs" act sh setup.sh
flushed
check_eq "setup overwrote .env" "PORT=9999" "$(head -1 "$R/.env")"
check "setup's undo" undo
same_as "$T/copy" "setup: .env back byte for byte, config/ gone"

# 5. sed -i: a temporary file, written, renamed over.
snap
check "sed -i runs" act sed -i 's/Read/Do read/' README
flushed
check "log -v lists sed's temporary file" grep -qE '^    [0-9a-f]{10}@[0-9]+  .*  sed \([0-9]+\)  create  sed[A-Za-z0-9]+$' \
	< <(cd "$R" && "$GUARDFS" log -v -n 1)
check "sed's undo" undo
same_as "$T/copy" "sed -i: README back, no temporary file"
check_eq "no sed temporary file anywhere" "" "$(cd "$R" && find . -name 'sed*')"

# 6. git status writes the index through index.lock.
touch "$R/repo/file" # stale stat: git status refreshes the index
sleep 2.2
snap
check "git status runs" act git -C repo status --porcelain
flushed
check "log: git status is the newest action" grep -qE '  git -C repo status --porcelain$' < <(newest)
check "git status's undo" undo
same_as "$T/copy" "git status: the index back"
check_eq "index.lock did not come back" ENOENT "$(probe stat "$R/repo/.git/index.lock")"

# 7. rm -rf of a tree large enough for the restore's threads (each takes
# runs of one directory): every file back with its bytes and its mode
# (empty, executable, one of 300 KB), in one recorded restore.
python3 - "$R" <<'EOF'
import os, sys
for i in range(151):
    d = "%s/big/d%d" % (sys.argv[1], i // 50)
    os.makedirs(d, exist_ok=True)
    p = "%s/f%03d" % (d, i)
    with open(p, "wb") as f:
        f.write(os.urandom(300000) if i == 77 else b"line %d\n" % i * (i % 4))
    os.chmod(p, 0o755 if i % 5 == 0 else 0o644)
EOF
sleep 2.2 # the test shell's own changes: an action that ends here
snap
check "rm -rf of the tree runs" act rm -rf big
flushed
check "log: rm -rf, 151 deleted" grep -qE '  0 changed, 0 created, 151 deleted  rm -rf big$' < <(newest)
STORE=$(echo "$XDG_DATA_HOME"/guardfs/*.git)
commits=$(git -C "$STORE" rev-list --count HEAD)
check "rm -rf's undo" undo
same_as "$T/copy" "rm -rf: 151 files back, bytes and modes"
check_eq "the undo reported each file once" 151 "$(grep -c '^restored big/' "$T/undo.out")"
flushed
check_eq "one commit for the undo" $((commits + 1)) "$(git -C "$STORE" rev-list --count HEAD)"
check "its subject names the undo" bash -c '[[ $(git -C "$1" log -1 --format=%s) =~ ^"undo 1 ("[0-9]+" paths)"$ ]]' _ "$STORE"
check_eq "its operations are all restores" restore \
	"$(git -C "$STORE" log -1 --format=%b | sed -n 's/^Guardfs-Op: //p' | sort -u)"
check_eq "each file listed once" 151 \
	"$(git -C "$STORE" log -1 --format=%b | grep -cE '^Guardfs-Path: big/d[0-3]/f[0-9]{3}$')"
check "umount" gfs_umount "$R"

# By default .env is hidden: the setup script cannot overwrite it, and
# the store never holds it, so there is nothing to undo.
rm -rf "$R/config"
snap
check "mount with the default policy" gfs_mount "$R" "$R"
act sh setup.sh 2>/dev/null
check "umount" gfs_umount "$R" # (writes out the audit trail)
check "the overwrite of the hidden .env was refused" \
	grep -qE '"op":"(create|open)","path":".env","result":"EACCES","rule":"builtin:' \
	"$(audit_file)"
check_eq ".env untouched on disk, byte for byte" "" "$(cmp "$T/copy/.env" "$R/.env" 2>&1)"
test_done
