#!/bin/bash
# A freeze stops the files opened for writing before it, too. With kernel
# passthrough (root mounts) their writes never reach the daemon, so it
# cannot answer EROFS: the freeze makes each such file immutable, and the
# kernel refuses the writes (EPERM), the stores into a new mapping
# (SIGBUS) and the truncates; the thaw and the unmount take the
# attribute off, and so does the next mount after a daemon killed while
# frozen.
. "$(dirname "$0")/lib.sh"

# wait_for CMD...: CMD succeeds within 5 s (the audit trail is written a
# few times a second).
wait_for() {
	for _ in $(seq 50); do "$@" && return 0; sleep 0.1; done
	return 1
}

# attrs FILE: the immutable attribute of the real file, "i" or "-".
attrs() {
	lsattr -d "$1" 2>/dev/null | cut -c5
}

R=$T/root
mkdir -p "$R"
: >"$R/log.txt"
head -c 8192 /dev/zero >"$R/map.bin"
head -c 4096 /dev/zero >"$R/early.bin"
echo 'read me' >"$R/notes.txt"
cat >"$R/.guardfs.ini" <<INI
[guard]
root = $R
INI
chmod 600 "$R/.guardfs.ini"
case $(df --output=fstype "$T" | tail -n 1) in
ext4 | f2fs) ;;
*) echo "skipped: $T is not on ext4 or f2fs"; exit 0 ;;
esac

check "mount" gfs_mount "$R" "$R"
# Without passthrough every write comes to the daemon, which answers
# EROFS (t0134, t0135): nothing here to test then.
if [ "$(status_field "$R" io)" != passthrough ]; then
	echo "skipped: no kernel passthrough on this mount"
	exit 0
fi

# opened before the freeze: a writer, a mapping writer, a reader
exec 7<>"$R/log.txt" 8<>"$R/map.bin" 9<"$R/notes.txt"
# and a mapping made and written before it, written again after
python3 -c '
import mmap, os, sys, time
m = mmap.mmap(os.open(sys.argv[1], os.O_RDWR), 4096)
m[0:6] = b"before"
open(sys.argv[2], "w").close()
while not os.path.exists(sys.argv[3]):
    time.sleep(0.05)
m[0:5] = b"after"
m.flush()
' "$R/early.bin" "$T/mapped" "$T/go" &
mapper=$!
check "the early mapping is written" wait_for test -e "$T/mapped"
check_eq "before the freeze: the write goes through" ok "$(probe fd-write 7 'second
')"
check_eq "freeze" "froze $R" "$("$GUARDFS" freeze "$R")"
check_eq "a write through a file opened before: EPERM" "EPERM" \
	"$(probe fd-write 7 'after the freeze')"
check_eq "a store into a new mapping of one: SIGBUS" "SIGBUS" \
	"$(probe fd-mmap-write 8 'mapped')"
touch "$T/go"
wait "$mapper" 2>/dev/null
rc=$?
check_eq "a store into a mapping written before: SIGBUS" SIGBUS \
	"$([ "$rc" -eq 135 ] && echo SIGBUS || echo "exit $rc")"
check_eq "a truncate: EROFS" EROFS "$(probe truncate "$R/log.txt" 0)"
check_eq "reading goes on" "read me" "$(cat <&9)"
check_eq "the file holds what came before the freeze" "second" "$(cat "$R/log.txt")"
check "the mapped file is unchanged" cmp -s "$R/map.bin" <(head -c 8192 /dev/zero)
check "audited: three open writers stopped" wait_for \
	grep -q 'open_writers_stopped=3' "$(audit_file "$R")"
check_eq "status: three writers stopped" "stopped=3 not_stopped=0" \
	"$(status_field "$R" frozen_writers)"
check "the crash record lists all three" \
	test "$(wc -l <"$(audit_file "$R").frozen-files")" -eq 3

check_eq "unfreeze" "unfroze $R" "$("$GUARDFS" unfreeze "$R")"
check_eq "after the thaw the same descriptor writes again" ok \
	"$(probe fd-write 7 'third
')"
check_eq "and the mapping too" ok "$(probe fd-mmap-write 8 'mapped')"
check_eq "the file" "second
third" "$(cat "$R/log.txt")"
check "no crash record after the thaw" test ! -e "$(audit_file "$R").frozen-files"
exec 7>&- 8>&- 9<&-
check "unmount" gfs_umount "$R"
check_eq "the thaw took the attribute off" "- -" \
	"$(attrs "$R/log.txt") $(attrs "$R/map.bin")"

# A daemon killed while frozen: the next mount takes the attribute off.
check "mount again" gfs_mount "$R" "$R"
exec 7<>"$R/log.txt"
check_eq "freeze again" "froze $R" "$("$GUARDFS" freeze "$R")"
check_eq "the write: EPERM" "EPERM" "$(probe fd-write 7 'x')"
pid=$(daemon_pid "$R")
exec 7>&-
kill -9 "$pid"
for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
umount -l "$R" 2>/dev/null
check_eq "killed while frozen: the file stays immutable" i "$(attrs "$R/log.txt")"
check_eq "a write to it outside the mount: refused" EPERM \
	"$(probe open "$R/log.txt" w)"
check "the next mount starts" gfs_mount "$R" "$R"
check "its log says what it took the attribute off" \
	grep -q "took the immutable attribute off 'log.txt'" "$(audit_file "$R").log"
check "no crash record left" test ! -e "$(audit_file "$R").frozen-files"
check "unmount again" gfs_umount "$R"
check_eq "and the attribute is off" - "$(attrs "$R/log.txt")"
check_eq "the file" "second
third" "$(cat "$R/log.txt")"

# A write flood through one file kept open: its growth is counted once a
# second, so bytes_written_per_minute trips while it runs, not when it
# closes, and the freeze then stops that very file.
F=$T/flood
mkdir -p "$F"
printf '[guard]\nroot = %s\n[limits]\nbytes_written_per_minute = 8M\n' "$F" >"$F/.guardfs.ini"
chmod 600 "$F/.guardfs.ini"
check "flood: mount" gfs_mount "$F" "$F"
# 1 MiB every 20 ms, 300 MiB at most, until a write fails
out=$(python3 -c '
import errno, os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT, 0o644)
n = 0
try:
    while n < 300:
        os.write(fd, b"x" * (1 << 20))
        n += 1
        time.sleep(0.02)
    print(n, "ok")
except OSError as e:
    print(n, errno.errorcode[e.errno])
' "$F/flood.bin")
mib=${out% *}
check_eq "flood: the writer is stopped: EPERM" EPERM "${out#* }"
echo "# flood: $mib MiB written"; check "flood: within about a second of 8 MiB ($mib MiB written)" test "$mib" -ge 8 -a "$mib" -le 80
check_eq "flood: frozen by bytes_written_per_minute" "yes bytes_written_per_minute" \
	"$(status_field "$F" frozen) $(status_field "$F" frozen_rule)"
check_eq "flood: unfreeze" "unfroze $F" "$("$GUARDFS" unfreeze "$F")"
check "flood: unmount" gfs_umount "$F"
check_eq "flood: the file keeps what was written before the freeze" \
	"$((mib << 20)) -" "$(stat -c %s "$F/flood.bin") $(attrs "$F/flood.bin")"

# tmpfs (like xfs and btrfs) takes the attribute but does not check it on
# an open file: the freeze says how many writers it could not stop.
TM=$(mktemp -d /tmp/gfs-tmpfs.XXXXXX)
trap 'cleanup; umount "$TM" 2>/dev/null; rmdir "$TM"' EXIT
mount -t tmpfs -o size=16m tmpfs "$TM"
: >"$TM/log.txt"
printf '[guard]\nroot = %s\n' "$TM" >"$TM/.guardfs.ini"
chmod 600 "$TM/.guardfs.ini"
check "tmpfs: mount" gfs_mount "$TM" "$TM"
exec 7<>"$TM/log.txt"
check_eq "tmpfs: freeze" "froze $TM" "$("$GUARDFS" freeze "$TM")"
check "tmpfs: audited: one open writer not stopped" wait_for \
	grep -q '"path":"","result":"EROFS","rule":"manual".*open_writers_stopped=0 open_writers_not_stopped=1' \
	"$XDG_STATE_HOME"/guardfs/gfs-tmpfs*.audit.jsonl
check_eq "tmpfs: status: one writer not stopped" "stopped=0 not_stopped=1" \
	"$(status_field "$TM" frozen_writers)"
check_eq "tmpfs: the write goes on (the hole SECURITY.md names)" ok \
	"$(probe fd-write 7 'x')"
exec 7>&-
check "tmpfs: no crash record" test ! -e "$(echo "$XDG_STATE_HOME"/guardfs/gfs-tmpfs*.audit.jsonl).frozen-files"
check_eq "tmpfs: unfreeze" "unfroze $TM" "$("$GUARDFS" unfreeze "$TM")"
check "tmpfs: unmount" gfs_umount "$TM"

test_done
