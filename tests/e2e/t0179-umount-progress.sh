#!/bin/bash
# The unmount waits while the daemon records what is still queued: on a
# terminal `guardfs umount` says how much is left, rewritten in place,
# and ends with "done"; in a script it says nothing of it. The daemon's
# progress file is gone once it has exited.
. "$(dirname "$0")/lib.sh"

R=$T/root
mkdir -p "$R"
# A backlog the store needs seconds for: 48 files of 8 MiB that do not
# compress (zlib takes them at ~35 MB/s here), copied in at once (the
# kernel writes them straight through), each then read, hashed and
# deflated into the store.
mkdir -p "$T/stage"
for i in $(seq 48); do
	head -c 8M /dev/urandom >"$T/stage/blob$i"
done
make_backlog() {
	cp "$T"/stage/blob* "$R"/
}

check "mount" gfs_mount "$R" "$R"
pid=$(daemon_pid "$R")
make_backlog
t0=$(date +%s)
script -qec "'$GUARDFS' umount '$R'" /dev/null >"$T/tty.out" 2>&1
took=$(($(date +%s) - t0))
# (the unmount never waits on packing: big objects stay loose, which
# once held it 110 s while the packer deflated 8 MiB blobs again)
check "umount returned within 30 s (${took} s)" test "$took" -lt 30
# (gone, or a zombie its reaper has not collected yet)
state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || echo gone)
check "the daemon had exited when umount returned ($state)" \
	test "$state" = Z -o "$state" = gone
progress=$(tr '\r' '\n' <"$T/tty.out" | sed 's/\x1b\[K//g' | grep 'recording the last changes')
check "progress lines while it recorded" \
	grep -Eq '^guardfs: recording the last changes: [0-9]+ of [0-9]+ left$' <<<"$progress"
check_eq "the last line says done" "guardfs: recording the last changes: done" \
	"$(tail -1 <<<"$progress")"
check_eq "no progress file left behind" "" \
	"$(ls "$XDG_RUNTIME_DIR"/guardfs/ 2>/dev/null | grep drain)"
check_eq "every blob is in the store" 48 \
	"$(git -C "$(ls -d "$XDG_DATA_HOME"/guardfs/*.git)" ls-tree HEAD | grep -c blob)"

# A large file the session found (its first commit reads none) is set
# aside when deleted and read by the store's ingest lane (max_file_size
# 1M here): the worker goes on, the commits wait for its chunks, and the
# unmount waits for both, saying how much is left to read.
printf '[snapshot]\nmax_file_size = 1M\n' >"$T/big.ini"
chmod 600 "$T/big.ini"
head -c 256M /dev/urandom >"$R/big.bin"
want=$(git hash-object "$R/big.bin")
check "mount with max_file_size = 1M" gfs_mount "$R" -c "$T/big.ini" "$R" "$R"
rm -f "$R/big.bin"
# (the delete's job, then the lane's reading: one is under way right now)
left=$("$GUARDFS" status --json | python3 -c '
import json, sys
m = json.load(sys.stdin)["mounts"][0]
print(m["backlog"] + m["ingest_bytes"] > 0, type(m["ingest_bytes"]).__name__)')
check_eq "status: the store has something left, in numbers" "True int" "$left"
script -qec "'$GUARDFS' umount '$R'" /dev/null >"$T/tty2.out" 2>&1
progress=$(tr '\r' '\n' <"$T/tty2.out" | sed 's/\x1b\[K//g' | grep 'recording the last changes')
check "progress in MiB while the large file is read" \
	grep -Eq '^guardfs: recording the last changes: [0-9]+ of [0-9]+ left, [0-9]+ MiB of large files$' <<<"$progress"
check_eq "then done" "guardfs: recording the last changes: done" \
	"$(tail -1 <<<"$progress")"
store=$(ls -d "$XDG_DATA_HOME"/guardfs/*.git)
check_eq "its preimage, then its delete" "unlink big.bin
preimage big.bin" "$(git -C "$store" log -2 --format=%s)"
# (README.md, "Large files": the chunks, in name order, are the file)
check_eq "the preimage holds its bytes, in chunks" "$want" \
	"$(git -C "$store" ls-tree -r --object-only 'HEAD~1:big.bin~guardfs-chunks' |
		while read -r o; do git -C "$store" cat-file blob "$o"; done |
		git hash-object --stdin)"
check_eq "the set-aside copy is gone" "" "$(ls "$store/spill")"

# in a script: no progress line
check "mount again" gfs_mount "$R" "$R"
rm -f "$T"/stage/blob*
for i in $(seq 8); do
	head -c 8M /dev/urandom >"$T/stage/blob$i"
done
make_backlog
"$GUARDFS" umount "$R" >"$T/out" 2>"$T/err"
check_eq "no progress without a terminal" "" "$(grep 'recording the last' "$T/err")"

test_done
