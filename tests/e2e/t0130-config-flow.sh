#!/bin/bash
# The project config flow: after `guardfs init DIR` and `guardfs mount
# DIR`, the config is hidden under the mount, yet log, diff, restore, undo
# and explain work while mounted (the daemon hands them the config it
# loaded) exactly as they do unmounted. The config names the project and
# adds a deny rule, so a command that fell back to the defaults would look
# for another store and explain another rule.
. "$(dirname "$0")/lib.sh"

R=$T/proj
mkdir -p "$R/private"
printf 'v1\n' >"$R/notes.txt"
printf 'mine\n' >"$R/private/diary.txt"
check "init" "$GUARDFS" init "$R"
sed -i -e 's|^# name = .*|name = flowproj|' \
	-e 's|^# pattern = private/|pattern = private/|' "$R/.guardfs.ini"
rule_line=$(grep -n -x 'pattern = private/' "$R/.guardfs.ini" | cut -d: -f1)

# history PHASE A B: log, diff, restore and explain of the change A -> B
# that the mount recorded last; the file holds B.
history() {
	local phase=$1 out
	out=$(cd "$R" && "$GUARDFS" log -n 1 . 2>&1)
	check_eq "$phase: log names the last write" "write notes.txt" \
		"$(echo "$out" | awk '{print $(NF-1), $NF}')"
	out=$(cd "$R" && "$GUARDFS" diff "$(echo "$out" | awk '{print $1}')" 2>&1)
	check_eq "$phase: diff shows the change" "-$2 +$3" \
		"$(echo "$out" | grep -E '^[-+][^-+]' | tr '\n' ' ' | sed 's/ $//')"
	out=$(cd "$R" && "$GUARDFS" explain private/diary.txt 2>&1)
	check_eq "$phase: explain uses the project's rule" \
		"private/diary.txt: hidden by name rule $R/.guardfs.ini:$rule_line (private/)" "$out"
	(cd "$R" && "$GUARDFS" restore notes.txt >/dev/null 2>&1)
	check_eq "$phase: restore exits 0" "0" "$?"
	check_eq "$phase: restore brought the previous bytes" "$2" "$(cat "$R/notes.txt")"
}

check "mount in place" gfs_mount "$R" "$R"
check_eq "the config is hidden under the mount" ENOENT "$(probe stat "$R/.guardfs.ini")"
check_eq "the store is the config's" "$XDG_DATA_HOME/guardfs/flowproj-" \
	"$(status_field "$R" store | sed 's/[0-9a-f]*\.git$//')"
printf 'm-a\n' >"$R/notes.txt"
printf 'm-b\n' >"$R/notes.txt"
history mounted m-a m-b
(cd "$R" && "$GUARDFS" undo >/dev/null 2>&1)
check_eq "mounted: undo exits 0" "0" "$?"
check_eq "mounted: undo took the restore back" "m-b" "$(cat "$R/notes.txt")"
# guardfs exec finds the mount's config the same way, and the sandbox
# gets the project's rule: private/ stays hidden inside.
out=$(cd "$R" && "$GUARDFS" exec -- sh -c 'cat notes.txt; ls private 2>&1 >/dev/null | wc -l' 2>&1)
check_eq "mounted: exec without -c" "m-b 1" "$(echo $out)"
# From outside the root too, with -c naming the hidden file: it comes
# from the daemon, not through the mount.
out=$(cd / && "$GUARDFS" log -n 1 -c "$R/.guardfs.ini" "$R" 2>&1)
check_eq "log -c ROOT/.guardfs.ini while mounted" "restore notes.txt" \
	"$(echo "$out" | awk '{print $(NF-1), $NF}')"
out=$("$GUARDFS" explain -c "$R/.guardfs.ini" "$R/private/diary.txt" 2>&1)
check_eq "explain -c ROOT/.guardfs.ini while mounted" \
	"$R/private/diary.txt: hidden by name rule $R/.guardfs.ini:$rule_line (private/)" "$out"
printf 'u-a\n' >"$R/notes.txt"
printf 'u-b\n' >"$R/notes.txt"
check "umount" gfs_umount "$R"

history unmounted u-a u-b
out=$(cd "$R" && "$GUARDFS" undo --dry-run 2>&1)
check_eq "unmounted: undo --dry-run exits 0" "0" "$?"

# A mount at a separate point: the commands run inside the mount point.
mkdir -p "$T/mnt"
check "mount at a separate point" gfs_mount "$T/mnt" "$R" "$T/mnt"
printf 's-a\n' >"$T/mnt/notes.txt"
out=$(cd "$T/mnt" && "$GUARDFS" log -n 1 . 2>&1)
check_eq "log inside a separate mount point" "write notes.txt" \
	"$(echo "$out" | awk '{print $(NF-1), $NF}')"
check "umount" gfs_umount "$T/mnt"
test_done
