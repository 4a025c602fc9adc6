#!/bin/bash
# When the descriptor limit is hit anyway (issue 12): a process keeps
# files of the mount open until the daemon refuses more. Every open file
# costs the daemon descriptors; it refuses the next opens, creates and
# mkdirs with EMFILE before anything changes on disk, status still
# answers, nothing recorded is lost, and once the files are closed it
# works again. A SIGTERM while they are still held ends the daemon with
# status 0 (no abort at the unmount) after it wrote out every operation,
# the write session still open included.
. "$(dirname "$0")/lib.sh"

R=$T/root
mkdir -p "$R"
make_tree "$R/tree" 1500
# In the foreground, to know how it exits.
mounted+=("$R")
prlimit --nofile=1024:1024 \
	setpriv --inh-caps=-sys_resource --bounding-set=-sys_resource \
	"$GUARDFS" mount -f "$R" 2>"$T/daemon.err" &
pid=$!
daemons+=("$pid")
for _ in $(seq 100); do
	grep -q " $R fuse.guardfs " /proc/mounts && break
	sleep 0.1
done
check "mounted with the descriptor limit at 1024" \
	grep -q " $R fuse.guardfs " /proc/mounts

# Files made before the limit is reached: all recorded.
for i in $(seq 1 50); do printf 'before %s\n' "$i" >"$R/before$i"; done

# hold: opens tree files until the daemon refuses; reports how many and
# which errors, then keeps them open until $T/go appears.
hold() {
	rm -f "$T/go" "$T/held"
	python3 - "$R" "$T" <<'PY' &
import errno, os, sys, time
root, t = sys.argv[1], sys.argv[2]
fds, seen = [], {}
# one file written and kept open: a write session the SIGTERM interrupts
w = os.open(f"{root}/written", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
os.write(w, f"written while held {time.time_ns()}\n".encode())
for i in range(1500):
    try:
        fds.append(os.open(f"{root}/tree/d{i // 100:04d}/f{i}", os.O_RDONLY))
    except OSError as e:
        seen[errno.errorcode[e.errno]] = seen.get(errno.errorcode[e.errno], 0) + 1
with open(f"{t}/held.tmp", "w") as f:
    f.write(f"{len(fds)} {' '.join(sorted(seen))}\n")
os.rename(f"{t}/held.tmp", f"{t}/held")
while not os.path.exists(f"{t}/go"):
    time.sleep(0.05)
PY
	holder=$!
	for _ in $(seq 300); do
		[ -e "$T/held" ] && break
		sleep 0.1
	done
}

hold
read -r nheld errors <"$T/held"
check "hundreds of files opened before the refusals ($nheld)" \
	test "$nheld" -gt 200
check_eq "the opens past the budget fail with EMFILE alone" EMFILE "$errors"
check_eq "a create fails with EMFILE" EMFILE "$(probe open "$R/refused" wc)"
check_eq "and leaves no file" ENOENT "$(probe stat "$R/refused")"
check_eq "a mkdir fails with EMFILE" EMFILE "$(probe mkdir "$R/refused.d")"
check_eq "status answers" "$R" "$(status_field "$R" mountpoint)"
check "the daemon stays within its limit" \
	test "$(ls "/proc/$pid/fd" | wc -l)" -le 1024
# (the audit writer writes its lines out every 200 ms: up to 5 s for it)
for _ in $(seq 50); do
	grep -q '"op":"create","path":"refused".*"result":"EMFILE"' "$(audit_file)" && break
	sleep 0.1
done
check "the refusals are audited" \
	grep -q '"op":"create","path":"refused".*"result":"EMFILE"' "$(audit_file)"
touch "$T/go"
wait "$holder"

# Closed: everything works again.
for i in $(seq 1 50); do printf 'after %s\n' "$i" >"$R/after$i"; done
check_eq "creates succeed again" 50 "$(ls "$R" | grep -c '^after')"
check_eq "and the whole tree is listed" 1500 "$(find "$R/tree" -type f | wc -l)"
hold
check_eq "exhausted again" EMFILE "$(probe open "$R/refused2" wc)"
check "SIGTERM while files are held" kill -TERM "$pid"
wait "$pid"
status=$?
check_eq "the daemon exits 0" 0 "$status"
[ "$status" -eq 0 ] || tail -20 "$T/daemon.err" >&2
check_eq "without an abort" "" "$(grep -i 'abort\|libgcc' "$T/daemon.err")"
touch "$T/go"
wait "$holder"

STORE=$(echo "$XDG_DATA_HOME"/guardfs/*.git)
(cd "$R" && find . -type f | sed 's|^\./||' | sort) >"$T/disk"
git -C "$STORE" ls-tree -r --name-only HEAD | sort >"$T/store"
check_eq "every file on disk is in the store, and only those" "" \
	"$(diff "$T/disk" "$T/store" | head -5)"
check_eq "the last create is recorded with its bytes" "after 50" \
	"$(git -C "$STORE" show HEAD:after50)"
check_eq "the write session open at the SIGTERM is recorded" \
	"$(cat "$R/written")" "$(git -C "$STORE" show HEAD:written)"
test_done
