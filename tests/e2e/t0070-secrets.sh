#!/bin/bash
# P2 by content: a file that holds a credential is refused on open for
# reading, whatever its name, audited with rule and line; explain says why.
. "$(dirname "$0")/lib.sh"

R=$T/root
mkdir -p "$R/src" "$R/fixtures"
# Fake, format-valid credentials made for this test.
key_id=AKIA$(printf 'YMZON5RNXXRBWA7V')
secret=XcrzEBZshBfTf39VMBlMJzjtPrcWC3f5fMqIY3Dw
cat >"$R/src/upload.py" <<PY
import boto3


def client():
    return boto3.client("s3", aws_access_key_id="$key_id",
                        aws_secret_access_key="$secret")
PY
printf 'plain notes\n' >"$R/notes.txt"
cp "$R/src/upload.py" "$R/fixtures/upload.py"
printf 'aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n' >"$R/docs.txt"

check "mount" gfs_mount "$R" "$R"
check_eq "credential in source is refused" EACCES "$(probe open "$R/src/upload.py" r)"
check_eq "it is still listed" upload.py "$(ls "$R/src")"
check_eq "write-only open is allowed (no read)" ok "$(probe open "$R/src/upload.py" w)"
check_eq "plain file reads" "plain notes" "$(cat "$R/notes.txt")"
check_eq "AWS's documented EXAMPLE key reads" \
	"aws_access_key_id = AKIAIOSFODNN7EXAMPLE" "$(cat "$R/docs.txt")"
check_eq "explain through the mount" \
	"$R/src/upload.py: refused on open: content rule $(
		"$GUARDFS" explain "$R/src/upload.py" | sed -n 's/.*content rule \([^ ]*\) .*/\1/p'
	) at line 5" "$("$GUARDFS" explain "$R/src/upload.py")"
check_eq "explain a visible file" "$R/notes.txt: visible" "$("$GUARDFS" explain "$R/notes.txt")"

# The verdict follows the content: pasting a key in refuses the file,
# removing it makes it readable again.
printf 'token: %s\n' "$key_id" >>"$R/notes.txt"
printf 'aws_secret_access_key = %s\n' "$secret" >>"$R/notes.txt"
check_eq "pasted key refuses notes.txt" EACCES "$(probe open "$R/notes.txt" r)"
printf 'plain again\n' >"$R/notes.txt"
check_eq "rewritten notes.txt reads" "plain again" "$(cat "$R/notes.txt")"
check "umount" gfs_umount "$R"

check "audit names the content rule and line, not the secret" python3 -c '
import json, sys
lines = open(sys.argv[1]).read()
assert sys.argv[2] not in lines and sys.argv[3] not in lines, "secret in audit"
hits = [json.loads(l) for l in lines.splitlines()]
r = [h for h in hits if h["path"] == "src/upload.py" and h["result"] == "EACCES"]
assert r and r[0]["rule"].startswith("secret:") and r[0]["rule"].endswith(":line 5"), r
' "$(audit_file)" "$key_id" "$secret"

# Unmounted, explain reads the folder itself.
printf '[guard]\nroot = %s\n' "$R" >"$T/p.ini"
chmod 600 "$T/p.ini"
check_eq "explain without a mount" "$R/src/upload.py: refused on open" \
	"$("$GUARDFS" explain -c "$T/p.ini" "$R/src/upload.py" | sed 's/: content rule.*//')"
# The last matching rule decides: ".env" or "*.env", whichever is later.
last=$(grep -n -x -e '\.env' -e '\*\.env' "$GFS_SOURCE_DIR/conf/deny.builtin" | tail -n 1)
check_eq "explain a hidden name" \
	"$R/.env: hidden by name rule builtin:${last%%:*} (${last#*:})" \
	"$("$GUARDFS" explain -c "$T/p.ini" "$R/.env")"
check_eq "explain a missing path" "$R/nothing: does not exist" \
	"$("$GUARDFS" explain -c "$T/p.ini" "$R/nothing")"
# Many paths in one call (the project's rules are built once) say what
# each alone says, and a path of another project is judged by its own.
check_eq "explain of three paths at once" \
	"$("$GUARDFS" explain -c "$T/p.ini" "$R/src/upload.py"; "$GUARDFS" explain -c "$T/p.ini" "$R/.env"; "$GUARDFS" explain -c "$T/p.ini" "$R/nothing")" \
	"$("$GUARDFS" explain -c "$T/p.ini" "$R/src/upload.py" "$R/.env" "$R/nothing")"
mkdir -p "$T/pa" "$T/pb"
cp "$R/src/upload.py" "$T/pa/"
cp "$R/src/upload.py" "$T/pb/"
: >"$T/pa/.guardfs.ini"
printf '[secrets]\nallow_path = upload.py\n' >"$T/pb/.guardfs.ini"
chmod 600 "$T/pa/.guardfs.ini" "$T/pb/.guardfs.ini"
check_eq "paths of two projects in one call" \
	"refused
visible
refused" \
	"$("$GUARDFS" explain "$T/pa/upload.py" "$T/pb/upload.py" "$T/pa/upload.py" |
		sed -n 's/^[^:]*: \(refused\|visible\).*/\1/p')"

# O_CREAT on a name the kernel believes missing reaches create, which
# must check the content of a file that turns out to exist. Mounted at a
# separate point, the folder can be changed behind the kernel's back.
mkdir -p "$T/mnt"
check "mount at a separate point" gfs_mount "$T/mnt" "$R" "$T/mnt"
check_eq "late.txt is missing (cached as such)" ENOENT "$(probe stat "$T/mnt/late.txt")"
cp "$R/src/upload.py" "$R/late.txt"
check_eq "O_CREAT|O_RDWR of a secret that appeared" EACCES "$(probe open "$T/mnt/late.txt" rwc)"
check "umount" gfs_umount "$T/mnt"
rm "$R/late.txt"

# allow_path and scan = no.
printf '[secrets]\nallow_path = fixtures/\n' >"$T/allow.ini"
chmod 600 "$T/allow.ini"
check "mount with allow_path" gfs_mount "$R" -c "$T/allow.ini" "$R"
check_eq "allow_path reads" ok "$(probe read "$R/fixtures/upload.py")"
check_eq "outside allow_path still refused" EACCES "$(probe read "$R/src/upload.py")"
check "umount" gfs_umount "$R"
printf '[secrets]\nscan = no\n' >"$T/noscan.ini"
chmod 600 "$T/noscan.ini"
check "mount with scan = no" gfs_mount "$R" -c "$T/noscan.ini" "$R"
check_eq "scan = no reads" ok "$(probe read "$R/src/upload.py")"
check "umount" gfs_umount "$R"
# A user's own rules file, and a missing one.
printf '[my-token]\ndescription = test\nkeywords = zqtok\nregex = zqtok_[a-z0-9]{20}\nentropy = 0\n' >"$T/my.rules"
echo "x = zqtok_q8w3n5v7m2k9p4r6t1y0" >"$R/mine.txt"
printf '[secrets]\nrules = %s/my.rules\n' "$T" >"$T/rules.ini"
chmod 600 "$T/rules.ini"
check "mount with a rules file" gfs_mount "$R" -c "$T/rules.ini" "$R"
check_eq "the user's rule refuses" "$R/mine.txt: refused on open: content rule my-token at line 1" \
	"$("$GUARDFS" explain "$R/mine.txt")"
check_eq "and the mount refuses it" EACCES "$(probe read "$R/mine.txt")"
check "umount" gfs_umount "$R"
printf '[secrets]\nrules = missing.rules\n' >"$T/missing.ini"
chmod 600 "$T/missing.ini"
check_eq "a missing rules file is named with its config line" \
	"guardfs: $T/missing.ini:2: cannot read '$T/missing.rules': No such file or directory" \
	"$("$GUARDFS" mount -c "$T/missing.ini" "$R" 2>&1)"
test_done
