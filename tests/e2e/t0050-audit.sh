#!/bin/bash
# P4: every operation is attributed in the audit trail, at the chosen level.
. "$(dirname "$0")/lib.sh"

R=$T/root
mkdir -p "$R"
echo secret >"$R/.env"
echo text >"$R/notes.txt"

# audit_ops LEVEL: mounts at LEVEL, runs a fixed workload, prints "op path
# result" for every line, in order.
audit_ops() {
	local log=$T/audit-$1.jsonl
	printf '[audit]\nlevel = %s\npath = %s\n' "$1" "$log" >"$T/$1.ini"
	chmod 600 "$T/$1.ini"
	gfs_mount "$R" -c "$T/$1.ini" "$R" || return 1
	cat "$R/notes.txt" >/dev/null
	cat "$R/.env" 2>/dev/null
	printf 'x' >"$R/new.txt"
	mv "$R/new.txt" "$R/renamed.txt"
	rm "$R/renamed.txt"
	gfs_umount "$R" || return 1
	python3 -c '
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    print(e["op"], e["path"], e.get("path2", "-"), e["result"])' "$log"
}

check_eq "level = all" "open notes.txt - ok
lookup .env - ENOENT
create new.txt - ok
write new.txt - ok
rename new.txt renamed.txt ok
unlink renamed.txt - ok" "$(audit_ops all | grep -v '^open \(new\|renamed\)')"
check_eq "level = mutations" "lookup .env - ENOENT
create new.txt - ok
write new.txt - ok
rename new.txt renamed.txt ok
unlink renamed.txt - ok" "$(audit_ops mutations)"
check_eq "level = denied" "lookup .env - ENOENT" "$(audit_ops denied)"

# Every line carries time, pid, process, uid, and the writer's pid is the
# shell's child that wrote, not the kernel's.
check "fields" python3 -c '
import json, re, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert lines, "empty"
for e in lines:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", e["time"]), e
    assert e["pid"] > 0 and e["uid"] == 0 and e["process"], e
    if e["result"] != "ok" and e["op"] == "lookup":
        assert e["rule"] == "builtin:" + e["rule"].split(":")[1], e
w = [e for e in lines if e["op"] == "write"][0]
assert w["process"] == "bash" and w["detail"] == "size=1", w
r = [e for e in lines if e["op"] == "rename"][0]
assert r["process"] == "mv", r
' "$T/audit-all.jsonl"

# Nothing is lost on a clean unmount: 2000 operations, 2000+ lines.
printf '[audit]\nlevel = mutations\npath = %s\n' "$T/burst.jsonl" >"$T/burst.ini"
chmod 600 "$T/burst.ini"
check "mount for a burst" gfs_mount "$R" -c "$T/burst.ini" "$R"
mkdir "$R/burst"
for i in $(seq 1 1000); do : >"$R/burst/f$i"; done
rm -rf "$R/burst"
check "umount after the burst" gfs_umount "$R"
check_eq "every create and unlink recorded" "1000 1000" \
	"$(grep -c '"op":"create"' "$T/burst.jsonl") $(grep -c '"op":"unlink"' "$T/burst.jsonl")"
test_done
