#!/bin/bash
# One record per operation: the audit trail and the store's commits name
# every operation the same way, and each audited change points (by its
# sequence number) at the commit that lists it, under the same paths.
. "$(dirname "$0")/lib.sh"

R=$T/root
mkdir -p "$R/d"
echo one >"$R/a.txt"
echo two >"$R/b.txt"
echo three >"$R/d/c.txt"

# xattrs on, so that an operation the store does not list is audited too
printf '[guard]\nxattrs = yes\n' >"$T/x.ini"
chmod 600 "$T/x.ini"
check "mount" gfs_mount "$R" -c "$T/x.ini" "$R"
STORE=$("$GUARDFS" status --json | python3 -c '
import json, sys
print(json.load(sys.stdin)["mounts"][0]["store"])')

# Every kind the store records, each made once through the mount.
printf new >"$R/new.txt"                           # create + write
probe fifo "$R/pipe" >/dev/null                    # mknod: git holds no fifo
mkdir "$R/dir"                                     # mkdir
probe symlink a.txt "$R/sym" >/dev/null            # symlink
probe link "$R/a.txt" "$R/a-link" >/dev/null       # link
probe truncate "$R/b.txt" 1 >/dev/null             # truncate
probe chmod "$R/d/c.txt" 755 >/dev/null            # chmod
probe rename "$R/new.txt" "$R/moved.txt" >/dev/null
probe rename-exchange "$R/a.txt" "$R/b.txt" >/dev/null
probe setxattr "$R/moved.txt" user.k v >/dev/null  # audited, not stored
probe unlink "$R/sym" >/dev/null
probe rmdir "$R/dir" >/dev/null
probe rename "$R/moved.txt" "$R/.env" >/dev/null   # refused: hidden name
# Operations that leave the store's picture as it was are listed too: a
# write whose close comes after a rename already read its bytes under the
# new name, a file made and removed again, bytes rewritten as they were.
python3 -c '
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT, 0o644)
os.write(fd, b"held")
os.rename(sys.argv[1], sys.argv[2])
os.close(fd)' "$R/held.txt" "$R/renamed.txt"
printf gone >"$R/brief.txt"
rm "$R/brief.txt"
cat "$R/b.txt" >"$R/same.txt"
cat "$R/b.txt" >"$R/same.txt"
check "unmount" gfs_umount "$R"

check "audit and store agree on every operation" python3 - \
	"$(audit_file)" "$STORE" <<'PY'
import json, subprocess, sys
audit, store = sys.argv[1], sys.argv[2]
lines = [json.loads(l) for l in open(audit)]
log = subprocess.run(["git", "-C", store, "log", "--format=%x00%B"],
                     capture_output=True, text=True, check=True).stdout
listed = {}
for body in log.split("\0")[1:]:
    op = {}
    for line in body.splitlines():
        if ": " not in line or not line.startswith("Guardfs-"):
            continue
        key, value = line.split(": ", 1)
        op[key] = value
        if key == "Guardfs-Seq":
            listed[int(value)] = dict(op)
            op = {}
want = {"create", "write", "mkdir", "symlink", "link",
        "truncate", "chmod", "rename", "exchange", "unlink", "rmdir"}
seen = set()
for e in lines:
    if e["result"] != "ok" or e["op"] not in want:
        continue
    assert "seq" in e, "no seq: %r" % e
    c = listed.get(e["seq"])
    assert c, "seq %d in no commit: %r" % (e["seq"], e)
    assert c["Guardfs-Op"] == e["op"], (c, e)
    moved = e["op"] in ("rename", "exchange", "link")
    assert c["Guardfs-Path"] == (e["path2"] if moved else
                                 e.get("now", e["path"])), (c, e)
    if moved:
        assert c["Guardfs-From"] == e["path"], (c, e)
    seen.add(e["op"])
assert seen == want, "missing: %r" % (want - seen)
held = [e for e in lines if e["op"] == "write" and e["path"] == "held.txt"]
assert len(held) == 1 and held[0]["now"] == "renamed.txt", held
for name in ("brief.txt", "same.txt"):
    n = [e for e in lines if e["path"] == name and e["op"] in want and
         e["result"] == "ok"]
    assert len(n) >= 3, n
    assert all(e["seq"] in listed for e in n), n
assert [e["result"] for e in lines if e["op"] == "mknod"] == ["ok"]
x = [e for e in lines if e["op"] == "setxattr"]
assert len(x) == 1 and x[0]["result"] == "ok" and "seq" not in x[0], x
r = [e for e in lines if e["op"] == "rename" and e["path2"] == ".env"]
assert len(r) == 1 and r[0]["result"] == "EACCES" and r[0]["rule"], r
assert "seq" not in r[0], r
PY

test_done
