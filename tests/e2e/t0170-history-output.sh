#!/bin/bash
# Readable history output on a real mount: bad input refused with a
# message and a non-zero exit, times in the local zone and natural WHENs,
# diff --stat and --name-only, .git/ internals summarised unless --git,
# colour and a pager on a terminal (a pty made by script(1)).
. "$(dirname "$0")/lib.sh"

R=$T/root
mkdir -p "$R/src"
printf 'a\nb\nc\n' >"$R/a.txt"
printf 'x\n' >"$R/src/m.c"
head -c 100 /dev/zero >"$R/bin.dat"
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
git -C "$R" init -q -b main
unset NO_COLOR GUARDFS_PAGER PAGER

check "mount" gfs_mount "$R" "$R"
STORE=$(status_field "$R" store)
cd "$R" || exit 1
printf 'a\nB\nc\nd\n' >a.txt
rm src/m.c
echo new >n.txt
head -c 50 /dev/zero >bin.dat
git add a.txt
sleep 1

# exit status and stderr of a command, stdout dropped
status_of() {
	local err rc
	err=$("$@" 2>&1 >/dev/null)
	rc=$?
	echo "$rc $err"
}

# 1. Bad input is never a silent success.
check_eq "diff of a mistyped WHEN" \
	"2 guardfs: 'yesterdy' is neither a time, an operation id, nor a path in the folder or its history" \
	"$(status_of "$GUARDFS" diff yesterdy)"
check_eq "diff of a missing path after WHEN" \
	"2 guardfs: 'no/such' is neither a time, an operation id, nor a path in the folder or its history" \
	"$(status_of "$GUARDFS" diff session no/such)"
check_eq "diff of a deleted path is no mistake" "1 0" \
	"$("$GUARDFS" diff session src/m.c | grep -c '^-x$') $?"
check_eq "diff of an unknown operation id" \
	"1 guardfs: no snapshot with id 'abcdef12'" \
	"$(status_of "$GUARDFS" diff abcdef12@3)"
check_eq "restore --at garbage" \
	"1 guardfs: 'garbage' is neither a snapshot id nor a time (90s, 15m, 2h, 1d, yesterday, 10:30, 'yesterday 10:30', 2026-11-24T13:05:00+00:00, session)" \
	"$(status_of "$GUARDFS" restore --all --at garbage)"
check_eq "undo of an unknown id" "1 guardfs: no snapshot with id 'deadbeef'" \
	"$(status_of "$GUARDFS" undo deadbeef)"
check_eq "log -n x" "2" "$(status_of "$GUARDFS" log -n x | head -1 | cut -d" " -f1)"
check_eq "log --since garbage" "2" \
	"$(status_of "$GUARDFS" log --since garbage | head -1 | cut -d" " -f1)"
check_eq "log of a path nothing touched and not in the folder" \
	"1 guardfs: 'no/such' is not in the folder, and no recorded operation touched it" \
	"$(status_of "$GUARDFS" log no/such)"
check_eq "log of a deleted path lists its deletion" "unlink  src/m.c" \
	"$("$GUARDFS" log src/m.c | sed 's/.*)  //')"
check_eq "nothing restored by the refusals" "$(printf 'a\nB\nc\nd')" "$(cat a.txt)"

# 2. Times: local in text (TZ), UTC in JSON; natural WHENs.
ct=$(git -C "$STORE" log -1 --format=%ct)
check_eq "log text in TZ" \
	"$(TZ=Asia/Kolkata date -d "@$ct" '+%Y-%m-%d %H:%M:%S')" \
	"$(TZ=Asia/Kolkata "$GUARDFS" log -n 1 . | awk '{print $2, $3}')"
check_eq "log text in another TZ" \
	"$(TZ=America/New_York date -d "@$ct" '+%Y-%m-%d %H:%M:%S')" \
	"$(TZ=America/New_York "$GUARDFS" log -n 1 . | awk '{print $2, $3}')"
check_eq "log --json stays UTC" \
	"$(TZ=UTC date -u -d "@$ct" '+%Y-%m-%dT%H:%M:%SZ')" \
	"$(TZ=Asia/Kolkata "$GUARDFS" log -n 1 --json . | python3 -c '
import json, sys
print(json.load(sys.stdin)[0]["time"])')"
nops=$("$GUARDFS" log | wc -l)
check_eq "log --since today" "$nops" "$(TZ=UTC "$GUARDFS" log --since today | wc -l)"
check_eq "log --since 'yesterday 10:30'" "$nops" \
	"$("$GUARDFS" log --since 'yesterday 10:30' | wc -l)"
check_eq "log --since a minute from now (a clock time still to come)" \
	"$nops" \
	"$(TZ=UTC "$GUARDFS" log --since "$(TZ=UTC date -d '+2 min' +%H:%M)" | wc -l)"
check_eq "log --since '2026-12-06 10:30'-style local time" 0 \
	"$("$GUARDFS" log --since "$(date -d '+1 day' '+%Y-%m-%d %H:%M')" | wc -l)"
stat_now=$("$GUARDFS" diff --stat)
check_eq "diff yesterday: since the first snapshot, said so" \
	"$stat_now|guardfs: history begins after 'yesterday': changes since its first snapshot" \
	"$("$GUARDFS" diff --stat yesterday 2>"$T/err")|$(cat "$T/err")"

# 4. diff --stat, --name-only, .git/ summarised, colour, pager.
check_eq "diff --stat" \
	" a.txt   | 3 ++-
 bin.dat | Bin 100 -> 50 bytes
 n.txt   | 1 +
 src/m.c | 1 -
 4 files changed, 3 insertions(+), 2 deletions(-)
.git/: 2 files changed (git's own bookkeeping; --git shows them)" "$stat_now"
check_eq "diff --name-only" \
	"M	a.txt
M	bin.dat
A	n.txt
D	src/m.c
.git/: 2 files changed (git's own bookkeeping; --git shows them)" \
	"$("$GUARDFS" diff --name-only)"
blob=$(printf 'a\nB\nc\nd\n' | git hash-object --stdin)
check_eq "diff --name-only --git" \
	"A	.git/index
A	.git/objects/${blob:0:2}/${blob:2}
M	a.txt
M	bin.dat
A	n.txt
D	src/m.c" "$("$GUARDFS" diff --name-only --git)"
check_eq "the patch leaves .git/ out too" \
	"1 diff --git a/a.txt b/a.txt" \
	"$("$GUARDFS" diff | grep -c '^diff --git a/.git\|^\.git/: 2 files changed') $("$GUARDFS" diff | head -1)"
check_eq "diff --git shows .git/ in the patch" 2 \
	"$("$GUARDFS" diff --git | grep -c '^diff --git a/\.git/')"
check_eq "a type change is T" "T	a.txt" \
	"$(rm a.txt && ln -s n.txt a.txt && sleep 1 &&
		"$GUARDFS" diff --name-only -- a.txt; rm a.txt &&
		printf 'a\nB\nc\nd\n' >a.txt && sleep 1)"
check_eq "--stat and --name-only together" 2 \
	"$(status_of "$GUARDFS" diff --stat --name-only | head -1 | cut -d" " -f1)"
check_eq "--color=sometimes" \
	"2 guardfs: --color takes auto, always or never, not 'sometimes'" \
	"$(status_of "$GUARDFS" diff --color=sometimes)"
E=$'\033'
check_eq "diff --color=always" \
	"${E}[1mdiff --git a/a.txt b/a.txt${E}[m
${E}[1mindex de98044..$(git rev-parse --short=7 "$blob") 100644${E}[m
${E}[1m--- a/a.txt${E}[m
${E}[1m+++ b/a.txt${E}[m
${E}[36m@@ -1,3 +1,4 @@${E}[m
 a
${E}[31m-b${E}[m
${E}[32m+B${E}[m
 c
${E}[32m+d${E}[m" "$("$GUARDFS" diff --color=always a.txt)"
check_eq "no colour into a pipe" 0 "$("$GUARDFS" diff a.txt | grep -c "$E")"

# On a terminal: paged through GUARDFS_PAGER (then PAGER), coloured
# unless NO_COLOR; -P and --color=never turn each off.
on_tty() {
	script -qec "$*" /dev/null | tr -d '\r'
}
cd "$R" || exit 1
export PAGER='sed s/^/PAGER:/'
check_eq "paged through GUARDFS_PAGER, coloured" \
	"GUARDFS:${E}[1mdiff --git a/a.txt b/a.txt${E}[m" \
	"$(GUARDFS_PAGER='sed s/^/GUARDFS:/' on_tty "$GUARDFS" diff a.txt | head -1)"
check_eq "then PAGER" "PAGER: a.txt | 3 ++-" \
	"$(on_tty "$GUARDFS" diff --stat --color=never a.txt | head -1)"
check_eq "NO_COLOR" "PAGER:diff --git a/a.txt b/a.txt" \
	"$(NO_COLOR=1 on_tty "$GUARDFS" diff a.txt | head -1)"
check_eq "-P: no pager" "${E}[1mdiff --git a/a.txt b/a.txt${E}[m" \
	"$(on_tty "$GUARDFS" diff -P a.txt | head -1)"
check_eq "--no-pager" "M	a.txt" \
	"$(on_tty "$GUARDFS" diff --no-pager --name-only a.txt | head -1)"
unset PAGER

cd / || exit 1
check "umount" gfs_umount "$R"
test_done
