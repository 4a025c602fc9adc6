#!/bin/bash
# The breaker with its defaults: an `rm -rf` of a 5,000-file tree trips
# deletes_per_minute (1000) at its threshold, long before it finishes.
# The mount freezes: every change answers EROFS, reads go on byte-exact,
# the trip is audited with its rule and counters, the user is told (a
# desktop notification where a session bus is known), `guardfs status`
# shows it; `guardfs unfreeze` resumes, and one restore brings back every
# file deleted before the trip.
. "$(dirname "$0")/lib.sh"

R=$T/root
REF=$T/ref
mkdir -p "$R/tree" "$T/bin"
for d in $(seq -w 1 50); do
	mkdir "$R/tree/d$d"
	for f in $(seq -w 1 100); do
		printf 'file %s/%s %s\n' "$d" "$f" "$RANDOM$RANDOM" >"$R/tree/d$d/f$f"
	done
done
echo 'keep me' >"$R/notes.txt"
cp -a "$R/tree" "$REF"

# A notifier that records what it was asked to show (the daemon finds
# notify-send on its PATH once a session bus is named).
cat >"$T/bin/notify-send" <<SH
#!/bin/sh
printf '%s\n' "\$@" >"$T/notified"
SH
chmod +x "$T/bin/notify-send"
PATH=$T/bin:$PATH DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent \
	check "mount with the default limits" gfs_mount "$R" "$R"
check_eq "not frozen at first" no "$(status_field "$R" frozen)"

(cd "$R" && rm -rf tree) 2>"$T/rm.err"
check_eq "rm -rf fails" 1 "$?"
check "rm is told EROFS" grep -q "Read-only file system" "$T/rm.err"
left=$(find "$R/tree" -type f | wc -l)
check "most files still exist ($left of 5000)" test "$left" -ge 3900

audit=$(audit_file "$R")
sleep 0.5 # (the trail is written a few times a second)
check_eq "one freeze, at the threshold" \
	'{"op":"freeze","result":"EROFS","rule":"deletes_per_minute","deletes":"1001/1000"}' \
	"$(python3 -c '
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["op"] == "freeze":
        d = dict(kv.split("=") for kv in e["detail"].split())
        print(json.dumps({"op": e["op"], "result": e["result"],
                          "rule": e["rule"], "deletes": d["deletes"]},
                         separators=(",", ":")))' "$audit")"
# Deletes are counted before they happen: the 1001st is the first one
# refused, by the rule, and froze the mount.
check_eq "exactly 1000 deletes went through" 1000 \
	"$(grep -E '"op":"(unlink|rmdir)"' "$audit" | grep -c '"result":"ok"')"
check_eq "the 1001st was refused by the rule" 1 \
	"$(grep -E '"op":"(unlink|rmdir)".*"result":"EROFS","rule":"deletes_per_minute"' "$audit" | wc -l)"
check_eq "the deletes after it were refused as frozen" yes \
	"$(grep -E '"op":"(unlink|rmdir)".*"result":"EROFS","rule":"frozen"' "$audit" >/dev/null && echo yes)"

f=$(find "$R/tree" -type f | sort | head -1)
rel=${f#"$R"/tree/}
check_eq "status: frozen" yes "$(status_field "$R" frozen)"
check_eq "status: the rule" deletes_per_minute "$(status_field "$R" frozen_rule)"
check "status: the counters" bash -c '[[ $1 == "deletes=1001/1000 "* ]]' _ "$(status_field "$R" breaker)"
check_eq "unlink: EROFS" EROFS "$(probe unlink "$f")"
check_eq "open for writing: EROFS" EROFS "$(probe open "$f" w)"
check_eq "open with O_TRUNC: EROFS" EROFS "$(probe open "$f" rt)"
check_eq "create: EROFS" EROFS "$(probe open "$R/new.txt" wc)"
check_eq "mkdir: EROFS" EROFS "$(probe mkdir "$R/newdir")"
check_eq "rename: EROFS" EROFS "$(probe rename "$R/notes.txt" "$R/moved.txt")"
check_eq "chmod: EROFS" EROFS "$(probe chmod "$f" 600)"
check_eq "symlink: EROFS" EROFS "$(probe symlink notes.txt "$R/link")"
check_eq "link: EROFS" EROFS "$(probe link "$R/notes.txt" "$R/hard")"
check "reads work, byte-exact" cmp "$f" "$REF/$rel"
check_eq "listing works" "$(find "$R/tree" -type f | wc -l)" "$left"
check_eq "the file is untouched" "keep me" "$(cat "$R/notes.txt")"

for _ in $(seq 50); do [ -s "$T/notified" ] && break; sleep 0.1; done
check "the desktop was told, with the rule" grep -q "deletes_per_minute tripped" "$T/notified"

check_eq "unfreeze" "unfroze $R" "$("$GUARDFS" unfreeze "$R")"
check_eq "status: thawed" no "$(status_field "$R" frozen)"
check_eq "writes resume" ok "$(probe open "$R/new.txt" wc)"
for _ in $(seq 50); do grep -q '"op":"unfreeze"' "$audit" && break; sleep 0.1; done
check "an audit line for the thaw" grep -q '"op":"unfreeze"' "$audit"

# One restore brings back everything deleted before the trip.
check "restore the tree" bash -c 'cd "$1" && "$2" restore tree --at session >/dev/null' _ "$R" "$GUARDFS"
check_eq "all 5000 files are back" 5000 "$(find "$R/tree" -type f | wc -l)"
check "byte-exact" diff -r "$REF" "$R/tree"
check_eq "the restore did not trip it" no "$(status_field "$R" frozen)"
check "umount" gfs_umount "$R"
test_done
