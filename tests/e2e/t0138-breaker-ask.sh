#!/bin/bash
# [limits] ask = yes: the delete that would trip the breaker waits for
# the user instead of freezing (guardfs ask, or a key in guardfs watch).
# Allowed once, it goes ahead and the next one asks again; allowed
# always, the minute starts afresh; denied, the mount freezes as it would
# have, with the rule.
. "$(dirname "$0")/lib.sh"

R=$T/root
mkdir -p "$R/d"
for i in $(seq 1 20); do echo "$i" >"$R/d/f$i"; done
cat >"$R/.guardfs.ini" <<INI
[guard]
root = $R
[limits]
deletes_per_minute = 3
ask = yes
[ask]
timeout = 20
INI
chmod 600 "$R/.guardfs.ini"
check "mount" gfs_mount "$R" "$R"

for i in 1 2 3; do check_eq "delete $i" ok "$(probe unlink "$R/d/f$i")"; done
# the fourth would trip deletes_per_minute: it waits
probe unlink "$R/d/f4" >"$T/f4.out" &
rm4=$!
id=$(ask_id d/f4)
check "the fourth delete waits for an answer" test -n "$id"
check_eq "listed as an unlink" unlink \
	"$("$GUARDFS" ask list "$R" | awk -F'\t' '$4 == "d/f4" {print $2}')"
check_eq "not frozen while it waits" no "$(status_field "$R" frozen)"
check "allow once" "$GUARDFS" ask answer "$id" allow "$R"
wait "$rm4"
check_eq "allowed once: deleted" ok "$(cat "$T/f4.out")"

# the next one asks again; always starts a fresh minute
probe unlink "$R/d/f5" >"$T/f5.out" &
rm5=$!
id=$(ask_id d/f5)
check "allow always" "$GUARDFS" ask answer "$id" always "$R"
wait "$rm5"
check_eq "allowed always: deleted" ok "$(cat "$T/f5.out")"
for i in 6 7 8; do check_eq "a fresh minute: delete $i" ok "$(probe unlink "$R/d/f$i")"; done

# denied: the mount freezes, with the rule
probe unlink "$R/d/f9" >"$T/f9.out" &
rm9=$!
id=$(ask_id d/f9)
check "deny" "$GUARDFS" ask answer "$id" deny "$R"
wait "$rm9"
check_eq "denied: EROFS" EROFS "$(cat "$T/f9.out")"
check_eq "frozen by the rule" "yes deletes_per_minute" \
	"$(status_field "$R" frozen) $(status_field "$R" frozen_rule)"
check_eq "writes fail" EROFS "$(probe open "$R/new" wc)"
check_eq "f9 is there" 9 "$(cat "$R/d/f9")"
check_eq "unfreeze" "unfroze $R" "$("$GUARDFS" unfreeze "$R")"
check "umount" gfs_umount "$R"
test_done
