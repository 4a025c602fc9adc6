#!/bin/bash
# guardfs sessions (each mount session in the store: start, end or
# running/not closed, snapshots, operations; --json) and guardfs check
# (every commit, tree and blob read and verified; the stat index and the
# journal), on a store with three sessions, then damaged on purpose.
. "$(dirname "$0")/lib.sh"

R=$T/root
mkdir -p "$R"
for f in a b c; do echo "${f^^}" >"$R/$f.txt"; done
export TZ=Asia/Kolkata

check "mount 1" gfs_mount "$R" "$R"
STORE=$(status_field "$R" store)
echo x >"$R/a.txt"
sleep 1
check "umount 1" gfs_umount "$R"
check "mount 2" gfs_mount "$R" "$R"
rm "$R/b.txt"
echo n >"$R/n.txt"
sleep 1
check "umount 2" gfs_umount "$R"
check "mount 3" gfs_mount "$R" "$R"
echo y >"$R/c.txt"
sleep 1

cd "$R" || exit 1
# the store's own account: session ids, their first and last commit times
ids=$(git -C "$STORE" log --format='%(trailers:key=Guardfs-Session,valueonly)' | grep . | uniq)
sid() { sed -n "${1}p" <<<"$ids"; }
first_ct() { git -C "$STORE" log --format='%ct %(trailers:key=Guardfs-Session,valueonly)' | grep -F "$1" | tail -1 | cut -d' ' -f1; }
last_ct() { git -C "$STORE" log --format='%ct %(trailers:key=Guardfs-Session,valueonly)' | grep -F "$1" | head -1 | cut -d' ' -f1; }
lt() { date -d "@$1" '+%Y-%m-%d %H:%M:%S'; }
ut() { date -u -d "@$1" '+%Y-%m-%dT%H:%M:%SZ'; }
check_eq "three sessions in the store" 3 "$(wc -l <<<"$ids")"
# its operations: the Guardfs-Op trailers of its commits, session-start not
nops() {
	git -C "$STORE" log --format=%B%x00 | python3 -c '
import sys
n = 0
for msg in sys.stdin.read().split("\0"):
    if "Guardfs-Session: " + sys.argv[1] + "\n" in msg:
        n += sum(1 for l in msg.splitlines()
                 if l.startswith("Guardfs-Op: ") and l != "Guardfs-Op: session-start")
print(n)' "$1"
}
row() { printf '%-24s %-19s  %-19s  %9s  %10s\n' "$@"; }
s1=$(sid 3) s2=$(sid 2) s3=$(sid 1)
out=$("$GUARDFS" sessions)
check_eq "sessions: newest first, the mounted one running" \
	"$(row SESSION START END SNAPSHOTS OPERATIONS)
$(row "$s3" "$(lt "$(first_ct "$s3")")" running 2 1)
$(row "$s2" "$(lt "$(first_ct "$s2")")" "$(lt "$(last_ct "$s2")")" 2 "$(nops "$s2")")
$(row "$s1" "$(lt "$(first_ct "$s1")")" "$(lt "$(last_ct "$s1")")" 2 1)" \
	"$(head -4 <<<"$out")"
check "sessions: the store's size" grep -qE "^store $STORE: [0-9.]+ MiB on disk$" <<<"$(tail -1 <<<"$out")"
check_eq "sessions --json" \
	"$s3 $(ut "$(first_ct "$s3")") None running 2 1|$s1 ended 2 1" \
	"$("$GUARDFS" sessions --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
a, c = d["sessions"][0], d["sessions"][2]
assert d["store_bytes"] > 0 and len(d["sessions"]) == 3
print(a["id"], a["start"], a["end"], a["state"], a["snapshots"], a["operations"], end="|")
print(c["id"], c["state"], c["snapshots"], c["operations"])')"

check_eq "check of a sound store" "store $STORE
history: 6 commits, 4 trees, 6 blobs read, hashes verified
index: 3 records, 0 of blobs no longer kept (a cache: harmless)
journal: empty
no problems found" "$("$GUARDFS" check)"
check_eq "and git fsck agrees" "" "$(git -C "$STORE" fsck --strict --no-dangling 2>&1)"

# A daemon killed: its session was never closed.
pid=$(daemon_pid "$R")
cd / || exit 1
kill -9 "$pid"
sleep 0.5
"$GUARDFS" umount "$R" >/dev/null 2>&1
cd "$R" || exit 1
check_eq "sessions: the killed one is not closed" \
	"$(row "$s3" "$(lt "$(first_ct "$s3")")" "not closed" 2 1)" \
	"$("$GUARDFS" sessions | sed -n 2p)"

# Damage, one kind at a time; each named, exit 1.
obj() { local o; o=$(git -C "$STORE" rev-parse "$1"); echo "$STORE/objects/${o:0:2}/${o:2}"; }
f=$(obj "HEAD:c.txt")
cp "$f" "$T/saved" && chmod u+w "$f" && echo garbage >"$f"
out=$("$GUARDFS" check 2>&1)
rc=$?
check_eq "a corrupt blob" "1 guardfs: check: blob $(git -C "$STORE" rev-parse HEAD:c.txt) of 'c.txt': failed to inflate loose object" \
	"$rc $(grep 'check:' <<<"$out")"
check_eq "its count" "1 problem found" "$(tail -1 <<<"$out")"
rm -f "$f"
out=$("$GUARDFS" check 2>&1)
check_eq "a missing blob" 1 "$?"
check "named" grep -q "^guardfs: check: blob $(basename "$(dirname "$f")")$(basename "$f") of 'c.txt': " <<<"$out"
cp "$T/saved" "$f"
check "restored, sound again" "$GUARDFS" check

cp "$STORE/guardfs-index" "$T/index"
head -c 30 "$T/index" >"$STORE/guardfs-index"
out=$("$GUARDFS" check 2>&1)
check_eq "a cut index" "1 guardfs: check: guardfs-index: record 1 is malformed or cut short" \
	"$? $(grep 'check:' <<<"$out")"
echo nonsense >"$STORE/guardfs-index"
check_eq "not an index" "guardfs: check: guardfs-index: not an index (its first bytes are wrong); the next mount rereads the folder instead" \
	"$("$GUARDFS" check 2>&1 | grep 'check:')"
cp "$T/index" "$STORE/guardfs-index"

good=$(git -C "$STORE" rev-parse HEAD:a.txt)
printf '%s\0' "100644 $good a.txt" \
	"100644 1234567890123456789012345678901234567890 gone.txt" \
	>"$STORE/guardfs-journal"
out=$("$GUARDFS" check 2>&1)
check_eq "a journal naming a version the store lacks" \
	"1 guardfs: check: guardfs-journal: the version of 'gone.txt' a session relied on (blob 1234567890) is not in the store: lost" \
	"$? $(grep 'check:' <<<"$out")"
check "the journal's count" grep -qx "journal: 2 versions a session that died relied on; the next mount commits them" <<<"$out"
: >"$STORE/guardfs-journal"
check "sound again" "$GUARDFS" check

cd / || exit 1
test_done
