#!/bin/bash
# Issue 10, content routes: a content verdict belongs to the bytes, however
# they are reached. Changing a refused file first (a NUL appended, grown
# past max_size, junk appended) does not make it readable; a hard link made
# before the mount is judged by its content too; credentials in UTF-16
# text, gzip, xz, zstd and bzip2 data, zip members, base64 and editor swap
# files are found; an editor's copy of a hidden name is hidden with it.
# Each check replays what an agent would type through the mount and
# asserts the exact errno, and that no byte of the secret comes out.
. "$(dirname "$0")/lib.sh"

R=$T/root
mkdir -p "$R/src" "$R/dl"
# Fake, format-valid credentials made for this test.
key_id=AKIA$(printf 'QF3Z7PXKM2LWB5TR')
password=Qx7vLp2mZr9sKw4T
pem_body=$(head -c 1200 /dev/urandom | base64 -w 64)
pem_mark=$(printf '%s' "$pem_body" | head -c 40)

printf 'region = eu-west-1\naws_access_key_id = %s\n' "$key_id" >"$R/src/creds.txt"
printf 'host=db\nDB_PASSWORD=%s\n' "$password" >"$R/.env"
# A hard link made before the mount gives .env a second, visible name.
ln "$R/.env" "$R/env-copy.txt"
printf 'notes\n-----BEGIN RSA PRIVATE KEY-----\n%s\n-----END RSA PRIVATE KEY-----\n' \
	"$pem_body" >"$T/deploy.txt"

# leaks NAME PATTERN: reads NAME through the mount as cat would and
# succeeds if the secret came out (NULs dropped, so UTF-16 counts too).
leaks() {
	cat "$1" 2>/dev/null | tr -d '\0' | grep -a -q -e "$2"
}
no_leak() {
	check_fails "$1: no secret byte comes out" leaks "$2" "$3"
}

# --- editor files already in the folder, made before the mount ---------
# A real vim swap file of a file holding a private key: vim writes the
# swap, `:preserve` flushes every block, and a copy taken while vim runs
# is put back under the swap's own name after vim has removed it.
make_vim_swap() { # DIR FILE
	(cd "$1" && timeout 60 script -qc "vim -u NONE -i NONE -c 'normal Gox' \
		-c preserve -c 'silent !cp .$2.swp .$2.keep' -c 'qa!' $2" \
		/dev/null >/dev/null 2>&1 </dev/null)
	[ -s "$1/.$2.keep" ] && mv "$1/.$2.keep" "$1/.$2.swp"
}
# A real vim undo file: the key file emptied in vim and written, so the
# undo file keeps the key's lines.
make_vim_undo() { # DIR FILE
	(cd "$1" && timeout 60 script -qc "vim -u NONE -i NONE \
		-c 'set undofile undodir=.' -c 'normal ggdG' -c w -c 'qa!' $2" \
		/dev/null >/dev/null 2>&1 </dev/null)
}
# Byte-faithful, where vim is missing or failed: block 0, a pointer block,
# a data block with the lines NUL-terminated from the block's end
# downwards (vim 9, x86-64).
faithful_swap() { # TEXT-FILE SWAP-FILE
	python3 - "$1" "$2" <<'PY'
import struct, sys
text = open(sys.argv[1]).read().rstrip("\n")
page = 4096
b0 = bytearray(page); b0[:10] = b"b0VIM 9.0\0"; b0[12:16] = struct.pack("<I", page)
tp = bytearray(page); tp[:2] = b"tp"
da = bytearray(page); pos = page; idx = []
for line in text.split("\n"):
    data = line.encode() + b"\0"; pos -= len(data); da[pos:pos + len(data)] = data; idx.append(pos)
da[:2] = b"ad"; da[8:12] = struct.pack("<I", pos); da[12:16] = struct.pack("<I", page)
da[16:24] = struct.pack("<Q", len(idx))
for i, p in enumerate(idx):
    da[24 + 4 * i:28 + 4 * i] = struct.pack("<I", p)
open(sys.argv[2], "wb").write(b0 + tp + da)
PY
}
printf 'host=db\nport=5432\n' >"$T/plain.ini"
swap_kind="byte-faithful"
if command -v vim >/dev/null && command -v script >/dev/null; then
	cp "$T/deploy.txt" "$R/deploy.txt"
	make_vim_undo "$R" deploy.txt
	cp "$T/deploy.txt" "$R/deploy.txt"
	make_vim_swap "$R" deploy.txt && swap_kind="real vim"
	rm "$R/deploy.txt"
	cp "$T/plain.ini" "$R/plain.ini"
	make_vim_swap "$R" plain.ini
fi
[ -s "$R/.deploy.txt.swp" ] || { faithful_swap "$T/deploy.txt" "$R/.deploy.txt.swp"; swap_kind="byte-faithful"; }
[ -s "$R/.plain.ini.swp" ] || faithful_swap "$T/plain.ini" "$R/.plain.ini.swp"
[ -e "$R/plain.ini" ] || cp "$T/plain.ini" "$R/plain.ini"
echo "vim swap file: $swap_kind; vim undo file: $([ -s "$R/.deploy.txt.un~" ] && echo real vim || echo none)"
# Swap and backup copies of hidden names.
cp "$R/.env" "$R/.env~"
cp "$R/.env" "$R/.env.swp"
cp "$R/.env" "$R/#.env#"
printf 'machine api.example.net login me password %s\n' "$password" >"$R/.netrc"
cp "$R/.netrc" "$R/.netrc.swp"
cp "$R/.netrc" "$R/.netrc.un~"
printf 'int main(void) { return 0; }\n' >"$R/src/main.c~"

# --- other encodings already in the folder ----------------------------
iconv -f UTF-8 -t UTF-16 <"$R/src/creds.txt" >"$R/dl/creds-utf16.txt"
iconv -f UTF-8 -t UTF-16BE <"$R/src/creds.txt" >"$R/dl/creds-utf16be.txt"
iconv -f UTF-8 -t UTF-16LE <"$R/.env" >"$R/dl/env-utf16le.txt"
printf 'just a note\n' | iconv -f UTF-8 -t UTF-16 >"$R/dl/note-utf16.txt"
gzip -c "$R/src/creds.txt" >"$R/dl/creds.txt.gz"
(cd "$R" && tar czf dl/project.tgz .env)
printf 'nothing secret\n' | gzip -c >"$R/dl/note.gz"
# The other compressors a user (or an agent) has at hand. A readme first,
# so that they compress (a short text may be stored as it is).
{ seq -f 'line %g of the readme' 200; cat "$R/src/creds.txt"; } >"$T/readme-creds.txt"
xz -c "$T/readme-creds.txt" >"$R/dl/creds.txt.xz"
zstd -q -c "$T/readme-creds.txt" >"$R/dl/creds.txt.zst"
bzip2 -c "$R/src/creds.txt" >"$R/dl/creds.txt.bz2"
(cd "$R" && tar cJf dl/project.tar.xz .env)
# a clean stream first, the key in the second (cat a.zst b.zst)
{ printf 'nothing here\n' | zstd -q -c; zstd -q -c "$T/readme-creds.txt"; } >"$R/dl/two.zst"
printf 'nothing secret\n' | xz -c >"$R/dl/note.xz"
printf 'nothing secret\n' | zstd -q -c >"$R/dl/note.zst"
printf 'nothing secret\n' | bzip2 -c >"$R/dl/note.bz2"
(cd "$R/src" && zip -q -0 ../dl/stored.zip creds.txt)
# deflate must shrink it, or zip stores it: a readme, then the key
(cd "$R/src" && { seq -f 'line %g of the readme' 200; cat creds.txt; } >big.txt &&
	zip -q -9 ../dl/deflated.zip big.txt && rm big.txt)
base64 "$T/deploy.txt" >"$R/dl/deploy.b64"
sed 1d "$T/deploy.txt" | base64 -w 0 >"$R/dl/key-one-line.b64"
{ printf 'ab'; sed 1d "$T/deploy.txt"; } | base64 -w 0 >"$R/dl/key-shifted.b64"
xxd -p "$T/deploy.txt" >"$R/dl/deploy.hex"
cp /bin/true "$R/dl/true.bin"
# A token stored as text (JSON) in a row of a database.
python3 - "$R/dl/app.db" "$key_id" <<'PY'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("create table settings (name text, value text)")
db.execute("insert into settings values ('aws', ?)",
           (json.dumps({"region": "eu-west-1", "aws_access_key_id": sys.argv[2]}),))
db.execute("insert into settings values ('theme', 'dark')")
db.commit()
PY

# Files never read before they are changed: the change must not uncover.
printf 'host=db\nDB_PASSWORD=%s\nport=5432\n' "$password" >"$R/part.txt"
printf 'host=db\nDB_PASSWORD=%s\n' "$password" >"$R/cut.txt"
printf 'host=db\nDB_PASSWORD=%s\n' "$password" >"$R/punch.txt"

# Files the taint is shown on: a key near the start and one past 1 MiB.
python3 - "$R/far.txt" "$key_id" <<'PY'
import sys
line = b"the quick brown fox jumps over the lazy dog 0123\n"
body = bytearray(line * (3 * 2**20 // len(line)))
near = b"aws_access_key_id = " + sys.argv[2].encode() + b"\n"
body[len(line):len(line) + len(near)] = near
far = 3 * 2**19 // len(line) * len(line)
body[far:far + len(near)] = near
open(sys.argv[1], "wb").write(body)
PY

printf '[secrets]\nmax_size = 1M\n' >"$T/p.ini"
chmod 600 "$T/p.ini"
check "mount with max_size = 1M" gfs_mount "$R" -c "$T/p.ini" "$R"

# --- a: verdicts dodged by changing the file first ---------------------
size=$(stat -c %s "$R/src/creds.txt")
check_eq "creds.txt is refused" EACCES "$(probe read "$R/src/creds.txt")"
check "truncate -s +1 through the mount" truncate -s +1 "$R/src/creds.txt"
check_eq "a NUL appended: still refused" EACCES "$(probe read "$R/src/creds.txt")"
no_leak "a NUL appended" "$R/src/creds.txt" "$key_id"
check "truncate -s 9M through the mount" truncate -s 9M "$R/src/creds.txt"
check_eq "grown to 9M (past max_size): still refused" EACCES "$(probe read "$R/src/creds.txt")"
no_leak "grown to 9M" "$R/src/creds.txt" "$key_id"
check "truncate back" truncate -s "$size" "$R/src/creds.txt"
check "junk appended past max_size" sh -c "head -c 1500000 /dev/zero | tr '\\0' x >>'$R/src/creds.txt'"
check_eq "junk appended: still refused" EACCES "$(probe read "$R/src/creds.txt")"
no_leak "junk appended" "$R/src/creds.txt" "$key_id"
check_eq "O_RDWR is refused too" EACCES "$(probe open "$R/src/creds.txt" rw)"
check "truncate back" truncate -s "$size" "$R/src/creds.txt"

check_eq "a pre-existing hard link of .env is refused" EACCES "$(probe read "$R/env-copy.txt")"
check "truncate -s +1 the hard link" truncate -s +1 "$R/env-copy.txt"
check_eq "the hard link with a NUL: still refused" EACCES "$(probe read "$R/env-copy.txt")"
no_leak "the hard link" "$R/env-copy.txt" "$password"
check "truncate -s 9M the hard link" truncate -s 9M "$R/env-copy.txt"
check_eq "the hard link grown to 9M: still refused" EACCES "$(probe read "$R/env-copy.txt")"
no_leak "the hard link grown" "$R/env-copy.txt" "$password"

# The taint: far.txt is refused for its first key; the agent overwrites
# that key in place with a write-only handle (not scanned) so that the
# first 1M is clean. The second key, past max_size, keeps it refused.
check_eq "far.txt is refused" EACCES "$(probe read "$R/far.txt")"
check "overwrite the near key in place" sh -c \
	"printf 'aws_access_key_id = AKIA................' | dd of='$R/far.txt' bs=1 seek=49 conv=notrunc status=none"
check_eq "far.txt stays refused while its tail is unscanned" EACCES "$(probe read "$R/far.txt")"
no_leak "far.txt" "$R/far.txt" "$key_id"

# part.txt, never opened for reading: the agent overwrites the variable's
# name in place (a write-only open, allowed) so that no rule matches, then
# reads. cut.txt: cut short so that too little of the value is left.
check "overwrite DB_PASSWORD in place" sh -c \
	"printf 'DB_NOTHING_' | dd of='$R/part.txt' bs=1 seek=8 conv=notrunc status=none"
check_eq "a credential's name overwritten: still refused" EACCES "$(probe read "$R/part.txt")"
no_leak "part.txt" "$R/part.txt" "${password:4}"
check_eq "explain names what was found there" \
	"$R/part.txt: refused on open: content rule generic-secret-assignment at line 2" \
	"$("$GUARDFS" explain "$R/part.txt")"
check "truncate cut.txt inside the value" truncate -s 27 "$R/cut.txt"
check_eq "a credential cut short: still refused" EACCES "$(probe read "$R/cut.txt")"
no_leak "cut.txt" "$R/cut.txt" "${password:0:4}"
# punch.txt: an append-only handle (its open is not scanned) punches the
# variable's name out with fallocate, then the agent reads.
check "punch DB_PASSWORD out through an O_APPEND handle" python3 -c '
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND)
# FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE
if libc.fallocate(fd, 3, ctypes.c_long(8), ctypes.c_long(11)):
    sys.exit(os.strerror(ctypes.get_errno()))
' "$R/punch.txt"
check_eq "a credential's name punched out: still refused" EACCES "$(probe read "$R/punch.txt")"
no_leak "punch.txt" "$R/punch.txt" "${password:4}"
check "rewrite part.txt (O_TRUNC)" sh -c "printf 'clean now\n' >'$R/part.txt'"
check_eq "rewritten whole: readable again" "clean now" "$(cat "$R/part.txt")"

# A vim swap file of a file holding a private key.
check_eq "vim swap of a key file ($swap_kind) is refused" EACCES \
	"$(probe read "$R/.deploy.txt.swp")"
no_leak "vim swap" "$R/.deploy.txt.swp" "$pem_mark"
check_eq "vim swap of a clean file reads" ok "$(probe read "$R/.plain.ini.swp")"
if [ -e "$R/.deploy.txt.un~" ]; then
	check_eq "vim undo file of a key file is refused" EACCES \
		"$(probe read "$R/.deploy.txt.un~")"
	no_leak "vim undo file" "$R/.deploy.txt.un~" "$pem_mark"
fi

# --- b: other encodings, editor copies of hidden names -----------------
for f in creds-utf16.txt creds-utf16be.txt env-utf16le.txt creds.txt.gz \
	creds.txt.xz creds.txt.zst creds.txt.bz2 project.tar.xz two.zst \
	project.tgz stored.zip deflated.zip deploy.b64 key-one-line.b64 \
	key-shifted.b64 deploy.hex app.db; do
	check_eq "dl/$f is refused" EACCES "$(probe read "$R/dl/$f")"
done
no_leak "UTF-16" "$R/dl/creds-utf16.txt" "$key_id"
check_fails "xz -dc of the refused file reads nothing" xz -dc "$R/dl/creds.txt.xz"
check_fails "python's sqlite3 cannot read the row" python3 -c '
import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("select value from settings").fetchall())
' "$R/dl/app.db"
for f in note-utf16.txt note.gz note.xz note.zst note.bz2 true.bin; do
	check_eq "dl/$f (clean) reads" ok "$(probe read "$R/dl/$f")"
done

for f in .env~ .env.swp '#.env#' .netrc.swp .netrc.un~; do
	check_eq "$f does not exist" ENOENT "$(probe stat "$R/$f")"
done
check_eq "listing leaves the copies out" \
	".deploy.txt.swp .plain.ini.swp cut.txt dl env-copy.txt far.txt part.txt plain.ini punch.txt src" \
	"$(ls -A "$R" | grep -vx '.deploy.txt.un~' | tr '\n' ' ' | sed 's/ $//')"
check_eq "creating .env~ is refused" EACCES "$(probe open "$R/.env~" wc)"
check_eq "creating .id_rsa.swp is refused" EACCES "$(probe open "$R/.id_rsa.swp" wc)"
check_eq "src/main.c~ (copy of a visible name) reads" ok "$(probe read "$R/src/main.c~")"
check "umount" gfs_umount "$R"

check "the audit trail names the refusals, never the secret" python3 -c '
import json, sys
text = open(sys.argv[1]).read()
assert sys.argv[2] not in text and sys.argv[3] not in text, "secret in audit"
refused = {json.loads(l)["path"] for l in text.splitlines()
           if json.loads(l)["result"] == "EACCES" and json.loads(l)["op"] == "open"}
for p in ("src/creds.txt", "env-copy.txt", "far.txt", ".deploy.txt.swp", "dl/creds.txt.gz"):
    assert p in refused, (p, sorted(refused))
' "$(audit_file)" "$key_id" "$password"
test_done
