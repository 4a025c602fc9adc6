#!/bin/bash
# A trip is told to the system log (syslog(3), warning) with the mount,
# the rule and the counters, and a thaw too (notice). The test runs in a
# private mount namespace whose /dev is its own, so that it can listen
# on /dev/log without touching the machine's.
GFS_OWN_MOUNT_NS="its own /dev"
. "$(dirname "$0")/lib.sh"

# /dev as a tmpfs holding the devices the test needs, and our /dev/log.
# The machine's /dev is reached through a tmpfs over /mnt, never from
# under $T: the trap removes $T, and must not walk into a /dev.
mount --make-rprivate /
mount -t tmpfs tmpfs /mnt
mkdir /mnt/hostdev
mount --rbind /dev /mnt/hostdev
mount -t tmpfs tmpfs /dev
for d in fuse null zero urandom random full tty; do
	touch "/dev/$d"
	mount --bind "/mnt/hostdev/$d" "/dev/$d"
done
ln -s /proc/self/fd /dev/fd
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
open(sys.argv[1] + ".ready", "w").close()
with open(sys.argv[1], "w") as f:
    while True:
        f.write(s.recv(8192).decode(errors="replace") + "\n")
        f.flush()
' "$T/syslog" &
listener=$!
daemons+=("$listener")
for _ in $(seq 50); do [ -e "$T/syslog.ready" ] && break; sleep 0.1; done

R=$T/root
mkdir -p "$R/t"
for i in $(seq 1 50); do echo "$i" >"$R/t/f$i"; done
cat >"$R/.guardfs.ini" <<INI
[guard]
root = $R
[limits]
deletes_per_minute = 10
INI
chmod 600 "$R/.guardfs.ini"
check "mount" gfs_mount "$R" "$R"
(cd "$R" && rm -rf t) 2>/dev/null
check_eq "unfreeze" "unfroze $R" "$("$GUARDFS" unfreeze "$R")"
for _ in $(seq 50); do [ "$(grep -c guardfs "$T/syslog")" -ge 2 ] && break; sleep 0.1; done
check_eq "the trip, as a warning (user.warning = <12>)" \
	"<12> guardfs: $R froze: deletes_per_minute tripped (deletes=11/10 renames=0/1000 bytes=0/4294967296 entries=41 delete_fraction=75%). Changes fail with EROFS until \`guardfs unfreeze $R\`." \
	"$(grep ' froze: ' "$T/syslog" | sed -E 's/^(<[0-9]+>).*guardfs\[[0-9]+\]:/\1 guardfs:/')"
check_eq "the thaw, as a notice (<13>)" \
	"<13> guardfs: $R unfrozen (deletes=0/10 renames=0/1000 bytes=0/4294967296 entries=41 delete_fraction=75%)" \
	"$(grep 'unfrozen' "$T/syslog" | sed -E 's/^(<[0-9]+>).*guardfs\[[0-9]+\]:/\1 guardfs:/')"
check "umount" gfs_umount "$R"
test_done
