#!/bin/bash
# Large files (over max_file_size, 1M here) are stored in chunks: a change
# in place adds about what it changed to the store, every version comes
# back byte for byte through restore and undo, git reads the layout the
# README documents, and nothing of the folder poses as a chunk tree.
. "$(dirname "$0")/lib.sh"

R=$T/root
mkdir -p "$R"
printf '[snapshot]\nmax_file_size = 1M\n' >"$T/big.ini"
chmod 600 "$T/big.ini"
# bytes that do not compress, the same at every run (seeded): one run in
# about twenty of /dev/urandom's saw the file refused (EACCES) at its
# first write, and fixed bytes keep this test about the store
noise() { # SEED MIB
	python3 -c 'import random, sys
sys.stdout.buffer.write(random.Random(int(sys.argv[1])).randbytes(int(sys.argv[2]) << 20))' "$1" "$2"
}
# 24 MiB made before the mount: the session's first commit leaves it
# out, its first change sets it aside
noise 185 24 >"$R/big.bin"
cp "$R/big.bin" "$T/v0"
noise 1 1 >"$T/patch1"
noise 2 1 >"$T/patch2"

check "mount with max_file_size = 1M" gfs_mount "$R" -c "$T/big.ini" "$R" "$R"
STORE=$(status_field "$R" store)
flush() {
	(cd "$R" && "$GUARDFS" log -n 1 >/dev/null)
}
# the store's objects, in KiB (loose and packed)
store_kib() {
	du -sk "$STORE/objects" | cut -f1
}
# the bytes of REV:PATH put together as README.md ("Large files") says
chunked_bytes() {
	git -C "$STORE" ls-tree -r --object-only "$1:$2~guardfs-chunks" |
		while read -r o; do git -C "$STORE" cat-file blob "$o"; done
}

# the first change: its bytes before are set aside and stored in chunks
check "1 MiB written at 3 MiB" dd if="$T/patch1" of="$R/big.bin" bs=1M seek=3 \
	conv=notrunc status=none
cp "$R/big.bin" "$T/v1"
flush
check_eq "a preimage, then the write" "write big.bin
preimage big.bin" "$(git -C "$STORE" log -2 --format=%s)"
check_eq "the manifest at the file's name" "guardfs chunked file 1
size 25165824
chunk 524288" "$(git -C "$STORE" show HEAD:big.bin | head -3)"
check_eq "48 chunks of 512 KiB" 48 \
	"$(git -C "$STORE" ls-tree -r 'HEAD:big.bin~guardfs-chunks' | wc -l)"
check_eq "git reads the version before" "$(git hash-object "$T/v0")" \
	"$(chunked_bytes HEAD~1 big.bin | git hash-object --stdin)"
check_eq "and the version after" "$(git hash-object "$T/v1")" \
	"$(chunked_bytes HEAD big.bin | git hash-object --stdin)"
check_eq "they share all but the two chunks written" 2 \
	"$(git -C "$STORE" diff-tree -r --diff-filter=A --name-only \
		'HEAD~1:big.bin~guardfs-chunks' 'HEAD:big.bin~guardfs-chunks' | wc -l)"

# the next change in place: nothing set aside, about 1 MiB stored
before=$(store_kib)
check "1 MiB written at 17 MiB" dd if="$T/patch2" of="$R/big.bin" bs=1M seek=17 \
	conv=notrunc status=none
flush
grew=$(($(store_kib) - before))
check "the store grew by about the 1 MiB written (${grew} KiB)" \
	test "$grew" -gt 1000 -a "$grew" -lt 1300
check_eq "no preimage this time" "write big.bin
write big.bin" "$(git -C "$STORE" log -2 --format=%s)"
check_eq "nothing left set aside" "" "$(ls "$STORE/spill")"

# every version comes back, byte for byte, through the mount
v1_id=$(git -C "$STORE" rev-parse --short HEAD~1)
check "restore --at the first write" sh -c \
	"cd '$R' && '$GUARDFS' restore big.bin --at $v1_id >/dev/null"
check "the folder has v1 again" cmp "$R/big.bin" "$T/v1"
check "undo of that restore" sh -c "cd '$R' && '$GUARDFS' undo >/dev/null"
check "v1 + patch2 again" sh -c \
	"cp '$T/v1' '$T/v2' && dd if='$T/patch2' of='$T/v2' bs=1M seek=17 conv=notrunc status=none && cmp '$R/big.bin' '$T/v2'"
check "rm" rm "$R/big.bin"
check "restore of the deleted file" sh -c \
	"cd '$R' && '$GUARDFS' restore big.bin >/dev/null"
check "it is back whole" cmp "$R/big.bin" "$T/v2"

# diff shows a large file by its sizes and new chunks
check_eq "diff of the second write" "diff --guardfs a/big.bin b/big.bin
large file, stored in chunks: 25165824 -> 25165824 bytes, 2 of 48 chunks new" \
	"$(cd "$R" && "$GUARDFS" diff "$(git -C "$STORE" log --format=%h --grep='^write big.bin' -1)" 2>&1)"
# diff and log name the file, never its chunks
out=$(cd "$R" && "$GUARDFS" diff 2>&1; "$GUARDFS" log -v -n 20 2>&1)
check_eq "no chunk tree in diff or log" 0 "$(grep -c 'guardfs-chunks/' <<<"$out")"

# a name and bytes of the folder that look like the layout stay plain
printf 'guardfs chunked file 1\nsize 3\ntree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n' \
	>"$T/fake"
check "a file whose bytes begin like a manifest" cp "$T/fake" "$R/fake.txt"
check "a file named like a chunk tree" sh -c "echo plain >'$R/x~guardfs-chunks'"
check "both deleted" rm "$R/fake.txt" "$R/x~guardfs-chunks"
check "and restored" sh -c "cd '$R' && '$GUARDFS' restore fake.txt 'x~guardfs-chunks' >/dev/null"
check "the manifest-like bytes come back as they were" cmp "$R/fake.txt" "$T/fake"
check_eq "the chunk-like name too" plain "$(cat "$R/x~guardfs-chunks")"

check "umount" gfs_umount "$R"
check_eq "git fsck --strict finds nothing wrong" "" \
	"$(git -C "$STORE" fsck --strict 2>&1 | grep -v '^dangling')"
check "guardfs check reads every chunk" sh -c "cd '$R' && '$GUARDFS' check >'$T/check.out' 2>&1 || { cat '$T/check.out' >&2; false; }"
# a remount finds the file held (its stat index entry names the manifest)
check "mount again" gfs_mount "$R" -c "$T/big.ini" "$R" "$R"
check "a write right away" dd if="$T/patch1" of="$R/big.bin" bs=1M seek=9 \
	conv=notrunc status=none
flush
check_eq "no preimage after the remount" "write big.bin
session-start" "$(git -C "$STORE" log -2 --format=%s | cut -d' ' -f1-2 | sed 's/^session-start .*/session-start/')"
check "umount" gfs_umount "$R"
test_done
