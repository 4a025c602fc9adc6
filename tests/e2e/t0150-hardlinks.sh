#!/bin/bash
# Hard links: a write through one name of a file is audited under that
# name and recorded under every name (links made through the mount and
# before it), also after a rename and an unlink of one of them.
. "$(dirname "$0")/lib.sh"

R=$T/root
mkdir -p "$R/d"
printf 'a0\n' >"$R/A"
printf 'p0\n' >"$R/P"
ln "$R/P" "$R/d/Q" # a link made before the mount
printf 'x\n' >"$R/solo"

check "mount in place" gfs_mount "$R" "$R"
STORE=$(status_field "$R" store)

# what the latest snapshot holds at NAME (after a flush)
at_head() {
	git -C "$STORE" show "HEAD:$1" 2>/dev/null
}
# each NAME's bytes on disk and in the store, "NAME=same" when equal
compare() {
	local n out=
	(cd "$R" && "$GUARDFS" log -n 1 >/dev/null) # flushes the store
	for n in "$@"; do
		if [ "$(cat "$R/$n")" = "$(at_head "$n")" ]; then
			out="$out $n=same"
		else
			out="$out $n=differs"
		fi
	done
	echo "${out# }"
}
# the paths of the audit trail's write lines, in order, once there are
# N of them (the trail is written a few times a second) or after 5 s
writes() {
	python3 -c '
import json, sys, time
for _ in range(50):
    w = [e["path"] for e in map(json.loads, open(sys.argv[1]))
         if e["op"] == "write"]
    if len(w) >= int(sys.argv[2]):
        break
    time.sleep(0.1)
print(" ".join(w))' "$(audit_file)" "$1"
}

check "ln A B through the mount" ln "$R/A" "$R/B"
sleep 1 # the kernel drops its entry for A (queued after the link)
check "write through A" sh -c "printf 'a1\n' >>'$R/A'"
check_eq "B has it too" "$(printf 'a0\na1')" "$(cat "$R/B")"
check "write through P (linked before the mount)" sh -c "printf 'p1\n' >>'$R/P'"
check "write through B" sh -c "printf 'b1\n' >>'$R/B'"
check_eq "both names in the store" "A=same B=same P=same d/Q=same solo=same" \
	"$(compare A B P d/Q solo)"
check_eq "each write audited under the name it used" "A P B" "$(writes 3)"

# a chmod and a truncate through one name reach the other
check "chmod through A" chmod 755 "$R/A"
check "truncate through d/Q" truncate -s 1 "$R/d/Q"
check_eq "after chmod and truncate" "A=same B=same P=same d/Q=same" \
	"$(compare A B P d/Q)"
(cd "$R" && "$GUARDFS" log -n 1 >/dev/null)
check_eq "B's mode in the store" 100755 \
	"$(git -C "$STORE" ls-tree HEAD B | cut -d' ' -f1)"

# rename one name, write through the new one, unlink another
check "mv B C" mv "$R/B" "$R/C"
check "write through C" sh -c "printf 'c1\n' >>'$R/C'"
check "rm A" rm "$R/A"
check "write through C again" sh -c "printf 'c2\n' >>'$R/C'"
check "write through d/Q" sh -c "printf 'q1\n' >>'$R/d/Q'"
check_eq "after rename and unlink" "C=same P=same d/Q=same" "$(compare C P d/Q)"
check_eq "A and B are gone from the store" "" "$(at_head A)$(at_head B)"
check_eq "every write audited under its name" "A P B d/Q C C d/Q" "$(writes 7)"

# a name unlinked while a write session on it is open: the file's
# remaining name still gets the bytes
check "ln C E" ln "$R/C" "$R/E"
check "write through E, unlinked while open" sh -c "exec 3>>'$R/E' &&
	rm '$R/E' && printf 'e1\n' >&3"
check_eq "after the unlinked name's session" "C=same" "$(compare C)"
# a write and then at once the removal of its name
check "ln P F" ln "$R/P" "$R/F"
check "write through F, then rm F" sh -c "printf 'f1\n' >>'$R/F' && rm '$R/F'"
check_eq "after write and rm" "P=same d/Q=same" "$(compare P d/Q)"

check "clean unmount" gfs_umount "$R"
for n in C P d/Q solo; do
	check_eq "$n in the last snapshot equals the disk" \
		"$(cat "$R/$n")" "$(at_head "$n")"
done
test_done
