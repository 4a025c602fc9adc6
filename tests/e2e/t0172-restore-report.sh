#!/bin/bash
# restore --all says what it left alone and why: the trees the store does
# not record ([snapshot] exclude, the default excludes such as
# node_modules/ and .venv/) named in a last line, then a summary of
# counts; a count of changes on a terminal's stderr, none in scripts.
. "$(dirname "$0")/lib.sh"

R=$T/root
mkdir -p "$R"
for f in a b c; do echo "${f^^}" >"$R/$f.txt"; done
printf '[snapshot]\nexclude = build/\n' >"$R/.guardfs.ini"
chmod 600 "$R/.guardfs.ini"
check "mount" gfs_mount "$R" "$R"
cd "$R" || exit 1
echo x >a.txt
rm b.txt
echo n >n.txt
mkdir -p node_modules/p .venv/bin build lib/node_modules
echo 1 >node_modules/p/i.js
echo o >build/o
sleep 1

check_eq "restore --all --dry-run: plan, left alone, summary" \
	"would remove n.txt
would roll back a.txt
would restore b.txt
would remove lib
left alone: .venv/, lib/node_modules/, node_modules/ (not recorded: [snapshot] default excludes)
left alone: build/ (not recorded: [snapshot] exclude)
would restore 1 file, remove 2, recreate 1; left alone 4 (0 with unrecorded or later changes, 4 not recorded)" \
	"$("$GUARDFS" restore --all --at session --dry-run)"
out=$("$GUARDFS" restore --all --at session 2>"$T/err")
check_eq "restore --all: exit 1, lib/ holds what the store never saw" 1 "$?"
check_eq "restore --all: what it did, left alone, summary" \
	"removed n.txt
rolled back a.txt
restored b.txt
left alone: .venv/, lib/node_modules/, node_modules/ (not recorded: [snapshot] default excludes)
left alone: build/ (not recorded: [snapshot] exclude)
restored 1 file, removed 1, recreated 1; left alone 5 (1 with unrecorded or later changes, 4 not recorded)" \
	"$out"
check_eq "stderr in a script: the refusal alone, no progress" \
	"guardfs: left 'lib' alone: it holds changes the store has not recorded (--force overwrites them)" \
	"$(cat "$T/err")"
check_eq "the folder" "a.txt:A b.txt:B build/o:o c.txt:C node_modules/p/i.js:1" \
	"$(grep -r . --exclude-dir=.venv | sort | xargs)"
# (lib/ held only an excluded tree: the store knew it empty)
rm -rf lib
check_eq "nothing more to do" \
	"left alone: .venv/, node_modules/ (not recorded: [snapshot] default excludes)
left alone: build/ (not recorded: [snapshot] exclude)
would restore 0 files, remove 0, recreate 0; left alone 3 (0 with unrecorded or later changes, 3 not recorded)" \
	"$("$GUARDFS" restore --all --at session --dry-run)"

# Progress: a count on a terminal's stderr while the list goes to a file.
sleep 1
echo y >a.txt
rm c.txt
sleep 1
tty_err=$(script -qec "'$GUARDFS' restore --all --at session >'$T/list'" /dev/null)
check_eq "the count on the terminal, then cleared" \
	$'\rguardfs: changes made so far: 1\r\033[K' "$tty_err"
check_eq "the list went to the file" "rolled back a.txt
restored c.txt" "$(head -2 "$T/list")"
check_eq "restored" "A C" "$(cat a.txt c.txt | xargs)"

# Undo and single-path restores print no summary.
echo z >a.txt
sleep 1
check_eq "restore PATH: one line" "rolled back a.txt" \
	"$("$GUARDFS" restore a.txt)"

cd / || exit 1
check "umount" gfs_umount "$R"
test_done
