#!/bin/bash
# Descriptors the caller of guardfs run/exec left open (a shell's
# redirection, an IDE's or a CI runner's) do not reach the sandbox: a file
# outside the folder, or a directory that openat() would lead out from.
. "$(dirname "$0")/lib.sh"

command -v bwrap >/dev/null || { echo "FAIL: bwrap missing (apt install bubblewrap)"; exit 1; }

R=$T/root
O=$T/outside
mkdir -p "$R" "$O"
echo "outside secret" >"$O/secret.txt"
echo hello >"$R/a.txt"
cat >"$T/cfg.ini" <<EOF
[guard]
root = $R
EOF
chmod 600 "$T/cfg.ini"
check "mount" gfs_mount "$R" -c "$T/cfg.ini"
cd "$R" || exit 1

# the caller holds a file and a directory outside, without close-on-exec
exec 7<"$O/secret.txt" 8<"$O"

listing=$("$GUARDFS" exec -- sh -c 'ls /proc/self/fd' 2>&1)
check_eq "exec: only the standard descriptors (and ls's own)" "0
1
2
3" "$listing"
out=$("$GUARDFS" exec -- sh -c 'cat <&7' 2>&1)
check "exec: the file descriptor is not there" sh -c "! printf '%s' '$out' | grep -q 'outside secret'"
out=$("$GUARDFS" exec -- sh -c 'cat /proc/self/fd/8/secret.txt' 2>&1)
check_eq "exec: no way out through the directory's descriptor" 1 \
	"$("$GUARDFS" exec -- sh -c 'test -e /proc/self/fd/8/secret.txt; echo $?')"
check "exec: and nothing of it is read" sh -c "! printf '%s' '$out' | grep -q 'outside secret'"
check_eq "exec: the folder still reads" hello "$("$GUARDFS" exec -- cat a.txt)"

out=$("$GUARDFS" run -c "$T/cfg.ini" -- sh -c 'ls /proc/self/fd; cat <&7' 2>&1)
check "run: only the standard descriptors" sh -c "printf '%s\n' '$out' | head -n 4 | tr '\n' ' ' | grep -qx '0 1 2 3 '"
check "run: the file descriptor is not there" sh -c "! printf '%s' '$out' | grep -q 'outside secret'"
exec 7<&- 8<&-

test_done
