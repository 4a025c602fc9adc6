#!/bin/bash
# What guarding means in a git worktree whose tracked test fixtures hold
# (fake) credentials. The worktree copies stay guarded: a fixture refused
# by content cannot be read, one hidden by name does not exist. git keeps
# working wherever it does not need those bytes: checkout and reset
# rewrite a refused fixture (write-only opens are not reads), status runs.
# Where git must read the file, or create a hidden name, it cannot, and
# says so; explain tells the user why, that `git show` still reads the
# committed bytes (the object store is not scanned), and what to allow.
# With the fixtures allowed, git works fully.
. "$(dirname "$0")/lib.sh"

# Fake, format-valid AWS credentials in the corpus style, made here.
key_id=AKIA$(python3 -c 'import random; print("".join(random.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16)))')
secret=$(python3 -c 'import random, string; print("".join(random.choice(string.ascii_letters + string.digits + "+/") for _ in range(40)))')
fixture=$(printf 'aws_access_key_id = %s\naws_secret_access_key = %s\n' "$key_id" "$secret")

R=$T/repo
mkdir -p "$R/tests/fixtures"
git -C "$R" init -q
git -C "$R" config user.email t@example.invalid
git -C "$R" config user.name test
printf '%s\n' "$fixture" >"$R/tests/fixtures/creds.ini"
printf 'API_KEY=fake\n' >"$R/tests/fixtures/.env"
printf 'readme\n' >"$R/README"
# Old timestamps: git's index then trusts its stat data (not racy).
touch -d 2020-01-01 "$R/tests/fixtures/creds.ini" "$R/tests/fixtures/.env" "$R/README"
git -C "$R" add -A
git -C "$R" commit -qm fixtures
check_eq "clean before the mount" "" "$(git -C "$R" status --porcelain)"

in_repo() { (cd "$R" && "$@"); }

check "mount" gfs_mount "$R" "$R"
check_eq "the fixture is refused" EACCES "$(probe open "$R/tests/fixtures/creds.ini" r)"
check_eq "the .env fixture is hidden" ENOENT "$(probe stat "$R/tests/fixtures/.env")"
check_eq "status: the hidden name looks deleted, the refused file unchanged" \
	" D tests/fixtures/.env" "$(in_repo git status --porcelain)"
check_eq "the object store is not scanned: git show reads the bytes" \
	"$fixture" "$(in_repo git show HEAD:tests/fixtures/creds.ini)"

# The agent damages the refused fixture; git takes it back, write-only.
check_eq "append to the refused fixture (write-only)" ok \
	"$(probe open "$R/tests/fixtures/creds.ini" wa)"
printf 'junk\n' >>"$R/tests/fixtures/creds.ini"
check_eq "status sees the size change without reading" \
	" M tests/fixtures/creds.ini| D tests/fixtures/.env" \
	"$(in_repo git status --porcelain | sort -r | tr '\n' '|' | sed 's/|$//')"
check "git checkout -- FILE rewrites it" in_repo git checkout -- tests/fixtures/creds.ini
# Its timestamps change: to tell whether its content did, git must read
# it, cannot, and so lists it as modified. (git's own rewrite can do the
# same: written in the second its index is, git must re-read it later.)
touch "$R/tests/fixtures/creds.ini"
check_eq "status when git must re-read it" \
	" M tests/fixtures/creds.ini| D tests/fixtures/.env" \
	"$(in_repo git status --porcelain | sort -r | tr '\n' '|' | sed 's/|$//')"
err=$(in_repo git reset --hard 2>&1)
check_eq "git reset --hard stops at the hidden name" 128 "$?"
check_eq "and says which" "error: unable to create file tests/fixtures/.env: Permission denied" \
	"$(grep '^error:' <<<"$err")"
check_eq "the .env fixture was not created" ENOENT "$(probe stat "$R/tests/fixtures/.env")"

explained=$(in_repo "$GUARDFS" explain tests/fixtures/creds.ini tests/fixtures/.env)
check "explain names the repository and git show" grep -q \
	"note: it lies in the git repository at '.'; its committed bytes stay" <<<"$explained"
check_eq "explain suggests allow_path for the refused fixture" \
	"    [secrets] allow_path = tests/fixtures/" "$(grep 'allow_path' <<<"$explained")"
check_eq "explain suggests re-exposing the hidden fixture" \
	"    [deny] pattern = !/tests/fixtures/.env" "$(grep 'pattern = !' <<<"$explained")"
check "umount" gfs_umount "$R"
check_eq "the fixture's bytes are the committed ones" "$fixture" "$(cat "$R/tests/fixtures/creds.ini")"
check_eq "the .env fixture is still there" "API_KEY=fake" "$(cat "$R/tests/fixtures/.env")"

# Allowed as explain says, the fixtures are plain files and git works.
printf '[secrets]\nallow_path = tests/fixtures/\n[deny]\npattern = !/tests/fixtures/.env\n' >"$T/fixtures.ini"
chmod 600 "$T/fixtures.ini"
check "mount with the fixtures allowed" gfs_mount "$R" -c "$T/fixtures.ini" "$R"
check_eq "the fixture reads" "$fixture" "$(cat "$R/tests/fixtures/creds.ini")"
check_eq "status is clean" "" "$(in_repo git status --porcelain)"
printf 'junk\n' >>"$R/tests/fixtures/creds.ini"
rm "$R/tests/fixtures/.env"
check "git reset --hard" in_repo git reset --hard -q
check_eq "status is clean after reset" "" "$(in_repo git status --porcelain)"
check_eq "the .env fixture is back" "API_KEY=fake" "$(cat "$R/tests/fixtures/.env")"
check "umount" gfs_umount "$R"
test_done
