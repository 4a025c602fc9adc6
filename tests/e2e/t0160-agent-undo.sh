#!/bin/bash
# The agent corrects itself from inside guardfs exec: a formatter that
# edits one file and deletes two, and a `make package` that deletes src/,
# README and LICENSE, each listed, diffed and undone by the agent's own
# guardfs log, diff and undo, byte for byte.
. "$(dirname "$0")/lib.sh"

command -v bwrap >/dev/null || { echo "FAIL: bwrap missing (apt install bubblewrap)"; exit 1; }

R=$T/root
mkdir -p "$R/docs" "$R/src/lib"
printf 'int main(){return 0;}\n' >"$R/main.c"
printf 'first doc\n' >"$R/docs/a.md"
printf 'second doc\n' >"$R/docs/b.md"
printf 'keep me\n' >"$R/docs/c.md"
printf '#include "lib/x.h"\nint x(void);\n' >"$R/src/x.c"
printf '#define X 1\n' >"$R/src/lib/x.h"
head -c 3000 /dev/urandom >"$R/src/blob.bin"
printf 'the readme\n' >"$R/README"
printf 'the license\n' >"$R/LICENSE"
cat >"$R/fmt.sh" <<'EOF'
#!/bin/sh
# a formatter with a side effect nobody asked for
printf 'int main(void) { return 0; }\n' >main.c
rm docs/a.md docs/b.md
EOF
chmod +x "$R/fmt.sh"
printf 'package:\n\ttar czf pkg.tgz src README LICENSE\n\trm -rf src README LICENSE\n' >"$R/Makefile"

# the folder's files and their bytes, one line each
tree_sum() {
	(cd "$R" && find . -path ./.git -prune -o -type f -print | LC_ALL=C sort | xargs sha256sum)
}
commits() { git -C "$XDG_DATA_HOME"/guardfs/*.git rev-list --count HEAD; }

check "mount" gfs_mount "$R" "$R"
cd "$R" || exit 1
before=$(tree_sum)

# --- the formatter -------------------------------------------------------
"$GUARDFS" exec -- ./fmt.sh
check_eq "the formatter deleted two docs" "c.md" "$(ls docs)"

"$GUARDFS" exec -- guardfs log >"$T/log.out" 2>"$T/log.err"
check_eq "log inside: exit 0" 0 "$?"
check_eq "log inside: one action" 1 "$(wc -l <"$T/log.out")"
check "log inside: the label and the counts" grep -q \
	'  \[./fmt.sh\]  1 changed, 0 created, 2 deleted (3 operations)$' "$T/log.out"
check "log inside: the user's own writes are not listed" \
	sh -c "! grep -q 'fmt.sh]' '$T/log.out' || ! grep -q Makefile '$T/log.out'"
ID=$(cut -d' ' -f1 "$T/log.out")
check "log inside: the id is A<n>" sh -c "echo '$ID' | grep -Eq '^A[0-9]+$'"
check "the user's log names the same action" sh -c "'$GUARDFS' log | grep -q '^$ID '"

"$GUARDFS" exec -- guardfs log --json -v >"$T/log.json"
check_eq "log --json -v inside" \
	"$ID ./fmt.sh 3 1 0 2 write:main.c unlink:docs/a.md unlink:docs/b.md" \
	"$(python3 -c '
import json, sys
a = json.load(open(sys.argv[1]))
assert len(a) == 1
a = a[0]
print(a["id"], a["label"], a["operations"], a["changed"], a["created"],
      a["deleted"], " ".join(o["op"] + ":" + o["path"] for o in a["ops"]))' "$T/log.json")"

"$GUARDFS" exec -- guardfs diff --stat "$ID" >"$T/stat.out"
check_eq "diff --stat inside" " docs/a.md | 1 -
 docs/b.md | 1 -
 main.c    | 2 +-
 3 files changed, 1 insertion(+), 3 deletions(-)" "$(cat "$T/stat.out")"
"$GUARDFS" exec -- guardfs diff --name-only >"$T/names.out"
check_eq "diff --name-only inside (the last action)" "D	docs/a.md
D	docs/b.md
M	main.c" "$(cat "$T/names.out")"
"$GUARDFS" exec -- guardfs diff -P "$ID" >"$T/patch.out"
check "diff inside: the deleted doc's text" grep -qx -- '-first doc' "$T/patch.out"
check "diff inside: the edit" grep -qx -- '+int main(void) { return 0; }' "$T/patch.out"
check "diff inside: the old line" grep -qx -- '-int main(){return 0;}' "$T/patch.out"

"$GUARDFS" exec -- guardfs undo --dry-run "$ID" >"$T/dry.out"
check_eq "undo --dry-run inside changes nothing" "c.md" "$(ls docs)"
check "undo --dry-run inside says what it would do" grep -qx 'would restore docs/a.md' "$T/dry.out"

n0=$(commits)
"$GUARDFS" exec -- guardfs undo "$ID" >"$T/undo.out" 2>"$T/undo.err"
check_eq "undo inside: exit 0" 0 "$?"
check_eq "undo inside: what it did" "restored docs/a.md
restored docs/b.md
rolled back main.c" "$(cat "$T/undo.out")"
check_eq "undo inside: byte for byte" "$before" "$(tree_sum)"
# among the commits made since (another may follow it), one names the
# agent's undo and lists its three paths, each as a restore
undo_commit=$(git -C $XDG_DATA_HOME/guardfs/*.git log -n "$(( $(commits) - n0 ))" \
	--format='%H %s' | grep " agent undo $ID \\[./fmt.sh\\] (3 paths)$" | cut -d' ' -f1)
check_eq "undo inside: one commit names the agent's undo" 1 \
	"$(echo "$undo_commit" | grep -c .)"
check_eq "undo inside: recorded as one restore commit" "3" \
	"$(git -C $XDG_DATA_HOME/guardfs/*.git log -1 --format=%B "${undo_commit:-HEAD}" | grep -c '^Guardfs-Op: restore$')"
[ -n "$undo_commit" ] || { echo "commits since:" >&2; git -C $XDG_DATA_HOME/guardfs/*.git log -n 4 --format=%s >&2; cat "$T/undo.err" >&2; }
check "the user's log shows the restore" sh -c "'$GUARDFS' log . | head -3 | grep -q 'restore  main.c'"

# --- make package --------------------------------------------------------
before=$(tree_sum)
"$GUARDFS" exec -- make -s package
check_eq "make package deleted src, README, LICENSE" "Makefile
docs
fmt.sh
main.c
pkg.tgz" "$(ls)"
"$GUARDFS" exec -- guardfs log >"$T/log2.out"
check_eq "log inside: two actions, newest first" "[make -s package]
[./fmt.sh]" "$(grep -o '\[[^]]*\]' "$T/log2.out")"
check "log inside: make's counts" grep -q \
	'\[make -s package\]  0 changed, 1 created, 5 deleted (9 operations)' "$T/log2.out"
"$GUARDFS" exec -- guardfs diff --name-only last >"$T/names2.out"
check_eq "diff --name-only of make package" "D	LICENSE
D	README
A	pkg.tgz
D	src/blob.bin
D	src/lib/x.h
D	src/x.c" "$(cat "$T/names2.out")"
"$GUARDFS" exec -- sh -c 'guardfs undo >/dev/null'
check_eq "undo inside: make package undone byte for byte" "$before" "$(tree_sum)"
check_eq "undo inside: src/ is back with its subdirectory" "blob.bin
lib
x.c" "$(ls src)"

# git readers see which sandbox each operation came from
check_eq "the store names the sandbox of each agent operation (the formatter's, make's)" 2 \
	"$(git -C "$XDG_DATA_HOME"/guardfs/*.git log --format=%B | grep '^Guardfs-Sandbox: ' | sort -u | wc -l)"
check_eq "the formatter's operations: sandbox 1" 3 \
	"$(git -C "$XDG_DATA_HOME"/guardfs/*.git log --format=%B | grep -c '^Guardfs-Sandbox: 1$')"

# the same from guardfs run: one sandbox, one action, undone twice
"$GUARDFS" run -- sh -c 'rm README && guardfs undo >/dev/null && cat README &&
	rm LICENSE && guardfs undo >/dev/null && cat LICENSE' >"$T/run.out"
check_eq "run: the agent undoes its own rm, twice in one run" "the readme
the license" "$(cat "$T/run.out")"
check_eq "run: byte for byte" "$before" "$(tree_sum)"

cd "$T" || exit 1
check "umount" gfs_umount "$R"
test_done
