#!/bin/bash
# guardfs prune --keep DURATION: whole sessions that ended before it are
# dropped, never the newest, never while mounted; the kept snapshots keep
# their trees, times and messages, the store shrinks (what only the
# dropped sessions held is gone), and git fsck and guardfs check are clean.
. "$(dirname "$0")/lib.sh"

R=$T/root
mkdir -p "$R"
for f in a b c; do echo "${f^^}" >"$R/$f.txt"; done

# session 1: a large file made and removed, held only by its snapshots
check "mount 1" gfs_mount "$R" "$R"
STORE=$(status_field "$R" store)
head -c 300000 /dev/urandom >"$R/big"
sleep 1
big=$(git -C "$STORE" rev-parse HEAD:big)
rm "$R/big"
sleep 1
check "umount 1" gfs_umount "$R"
sleep 10
# sessions 2 and 3, moments ago
check "mount 2" gfs_mount "$R" "$R"
echo x >"$R/a.txt"
sleep 1
check "umount 2" gfs_umount "$R"
check "mount 3" gfs_mount "$R" "$R"
echo y >"$R/c.txt"
sleep 1

cd "$R" || exit 1
out=$("$GUARDFS" prune --keep 8s 2>&1)
rc=$?
check_eq "refused while mounted" \
	"1 guardfs: prune: the folder is mounted (daemon pid $(daemon_pid "$R")); unmount it first" \
	"$rc $out"
cd / || exit 1
check "umount 3" gfs_umount "$R"
cd "$R" || exit 1

sessions=$(git -C "$STORE" log --format='%(trailers:key=Guardfs-Session,valueonly)' | grep . | uniq)
s1=$(tail -1 <<<"$sessions")
kept_before=$(git -C "$STORE" log --format='%T %at %ct %B' "$(git -C "$STORE" log --format=%H --grep="Guardfs-Session: $s1" | head -1)"..HEAD)
ncommits=$(git -C "$STORE" rev-list --count HEAD)
n1=$(git -C "$STORE" log --format=%H --grep="Guardfs-Session: $s1" | wc -l)

out=$("$GUARDFS" prune --keep soon 2>&1)
check_eq "--keep garbage" \
	"2 guardfs: --keep takes a duration (30d, 12h, 2w) or a time, not 'soon'" \
	"$? $out"
check_eq "--keep is required" 2 "$("$GUARDFS" prune >/dev/null 2>&1; echo $?)"
check_eq "nothing older than 30 days" \
	"nothing to prune: no session but the newest ended before $(date -d '-30 days' '+%Y-%m-%d %H:%M')" \
	"$("$GUARDFS" prune --keep 30d | cut -c1-73)"
dry=$("$GUARDFS" prune --keep 8s --dry-run)
check "dry run names session 1" grep -q "^would drop session $s1 (.*, $n1 snapshots)$" <<<"$dry"
check_eq "dry run: only it" 2 "$(wc -l <<<"$dry")"
check_eq "dry run changed nothing" "$ncommits" "$(git -C "$STORE" rev-list --count HEAD)"

before=$(du -sk "$STORE" | cut -f1)
out=$("$GUARDFS" prune --keep 8s)
check_eq "prune" 0 "$?"
check "it says what went" grep -q "^dropped 1 session ($n1 snapshots); the store went from " <<<"$out"
check_eq "the kept commits: same trees, times and messages" "$kept_before" \
	"$(git -C "$STORE" log --format='%T %at %ct %B' -n $((ncommits - n1)))"
check_eq "history starts at session 2's start" \
	"$((ncommits - n1)) session-start $R" \
	"$(git -C "$STORE" rev-list --count HEAD) $(git -C "$STORE" log -1 --format=%s "$(git -C "$STORE" rev-list --max-parents=0 HEAD)")"
check_fails "the big file's blob is gone" git -C "$STORE" cat-file -e "$big"
check "the store shrank" test "$(du -sk "$STORE" | cut -f1)" -lt "$((before - 200))"
check_eq "git fsck" "" "$(git -C "$STORE" fsck --strict 2>&1)"
check "guardfs check" "$GUARDFS" check
check_eq "sessions: two left" 2 "$("$GUARDFS" sessions | grep -c '^2026\|^20[0-9][0-9][01]')"
check_eq "pruning again: nothing" \
	"nothing to prune: no session but the newest ended before" \
	"$("$GUARDFS" prune --keep 8s | cut -c1-56)"
check_eq "the newest always stays" "1" \
	"$("$GUARDFS" prune --keep 0s >/dev/null; "$GUARDFS" sessions | grep -c '^20')"

# the store works on: a mount, a change, an undo
cd / || exit 1
check "mount after prune" gfs_mount "$R" "$R"
echo z >"$R/c.txt"
sleep 1
(cd "$R" && "$GUARDFS" undo >/dev/null)
check_eq "undo after prune" y "$(cat "$R/c.txt")"
check "umount" gfs_umount "$R"
check_eq "git fsck at the end" "" \
	"$(git -C "$STORE" fsck --strict --no-dangling 2>&1)"
test_done
