#!/bin/bash
# P5 at the descriptor limit: a daemon whose limit it cannot raise (root
# without CAP_SYS_RESOURCE, here 1024) creates more files than its limit
# (it closes the O_PATH fds of inodes nobody uses and opens them again by
# name), keeps descriptors for the store, the audit trail and the control
# socket, so that every file on disk is in the store's history, status
# answers and the unmount is clean. (t0177: when the limit is hit anyway.)
. "$(dirname "$0")/lib.sh"

R=$T/root
mkdir -p "$R"
mounted+=("$R")
check "mount with the descriptor limit at 1024" \
	prlimit --nofile=1024:1024 \
	setpriv --inh-caps=-sys_resource --bounding-set=-sys_resource \
	"$GUARDFS" mount "$R"
pid=$(daemon_pid "$R")
daemons+=("$pid")
check_eq "the daemon kept the limit" 1024 \
	"$(awk '/^Max open files/ {print $4}' "/proc/$pid/limits")"

# 1500 files in 3 directories, more than the limit allows at once.
python3 - "$R" >"$T/errors" <<'PY'
import errno, os, sys
root = sys.argv[1]
seen = {}
for d in range(3):
    os.makedirs(f"{root}/d{d}", exist_ok=True)
for i in range(1500):
    try:
        with open(f"{root}/d{i % 3}/f{i}", "w") as f:
            f.write(f"content {i}\n")
    except OSError as e:
        seen[errno.errorcode[e.errno]] = seen.get(errno.errorcode[e.errno], 0) + 1
print(" ".join(sorted(seen)))
PY
check_eq "creates past the limit succeed" "" "$(cat "$T/errors")"
check_eq "status answers at the limit" "$R" "$(status_field "$R" mountpoint)"
check "umount" gfs_umount "$R"
for _ in $(seq 50); do
	[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = S ] || break
	sleep 0.1
done
check_eq "the daemon exited within 5 s" "" \
	"$(awk '$3 != "Z" {print $3}' "/proc/$pid/stat" 2>/dev/null)"

STORE=$(echo "$XDG_DATA_HOME"/guardfs/*.git)
(cd "$R" && find . -type f | sed 's|^\./||' | sort) >"$T/disk"
git -C "$STORE" ls-tree -r --name-only HEAD | sort >"$T/store"
check_eq "every file was created" 1500 "$(wc -l <"$T/disk")"
check_eq "every file on disk is in the store, and only those" "" \
	"$(diff "$T/disk" "$T/store" | head -5)"
check "every file's bytes are the store's" python3 - "$R" "$STORE" <<'PY'
import subprocess, sys
root, store = sys.argv[1], sys.argv[2]
names = subprocess.run(["git", "-C", store, "ls-tree", "-r", "--name-only", "HEAD"],
                       capture_output=True, text=True, check=True).stdout.split()
for n in names:
    blob = subprocess.run(["git", "-C", store, "cat-file", "blob", "HEAD:" + n],
                          capture_output=True, check=True).stdout
    assert blob == open(f"{root}/{n}", "rb").read(), n
PY
test_done
