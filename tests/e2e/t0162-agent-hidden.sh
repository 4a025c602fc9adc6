#!/bin/bash
# The agent's own diff never shows what the mount hides from it: a file
# that holds a credential, deleted, emptied or cut short by the agent's
# action, is named with its content withheld (in every output format, and
# its remains after a cut too), and hidden names stay out. Its undo puts
# such a file back byte for byte without making it readable.
. "$(dirname "$0")/lib.sh"

command -v bwrap >/dev/null || { echo "FAIL: bwrap missing (apt install bubblewrap)"; exit 1; }

R=$T/root
mkdir -p "$R/conf"
# Fake, format-valid credentials made for this test.
key_id=AKIA$(printf 'YMZON5RNXXRBWA7V')
secret=XcrzEBZshBfTf39VMBlMJzjtPrcWC3f5fMqIY3Dw
cat >"$R/settings.py" <<PY
DEBUG = True
AWS_ACCESS_KEY_ID = "$key_id"
AWS_SECRET_ACCESS_KEY = "$secret"
PY
printf 'plain line\naws_secret_access_key = %s\n' "$secret" >"$R/creds.txt"
printf 'API_TOKEN=hidden-by-name-%s\n' "$secret" >"$R/conf/.env"
printf 'visible\n' >"$R/conf/app.ini"
printf 'notes\n' >"$R/notes.txt"
sum_before=$(cd "$R" && sha256sum settings.py creds.txt conf/.env)

# no_leak DESCRIPTION FILE: nothing of a credential in FILE, not the
# key, not a piece of it, not the hidden file's text
no_leak() {
	if grep -q -e "$key_id" -e "${secret:0:8}" -e "${secret:12:8}" \
		-e "${secret:24:8}" -e "${secret:32:8}" -e hidden-by-name "$2"; then
		failed=$((failed + 1))
		echo "FAIL: $1" >&2
		grep -e "$key_id" -e "${secret:0:8}" -e "${secret:12:8}" \
			-e "${secret:24:8}" -e "${secret:32:8}" -e hidden-by-name "$2" | head -3 >&2
	else
		passed=$((passed + 1))
	fi
}

check "mount" gfs_mount "$R" "$R"
cd "$R" || exit 1
check_eq "settings.py is refused through the mount" EACCES "$(probe open "$R/settings.py" r)"

# --- an action that deletes a credential file and edits a plain one ------
"$GUARDFS" exec -- sh -c 'rm settings.py; echo more >>notes.txt'
for style in "" --stat --name-only; do
	"$GUARDFS" exec -- guardfs diff -P $style >"$T/diff.out" 2>&1
	check_eq "diff $style: exit 0" 0 "$?"
	no_leak "diff $style: no credential shown" "$T/diff.out"
	check "diff $style: names settings.py" grep -q settings.py "$T/diff.out"
	check "diff $style: shows the plain edit" grep -q notes.txt "$T/diff.out"
done
"$GUARDFS" exec -- guardfs diff -P >"$T/patch.out"
check_eq "diff: the withheld file, in its place in the patch" "diff --guardfs settings.py
(content withheld: holds a credential (aws-secret-access-key))" \
	"$(grep -A1 'diff --guardfs' "$T/patch.out" | sed 's/(aws[^)]*)/(aws-secret-access-key)/')"
check "diff: the plain edit in full" grep -qx '+more' "$T/patch.out"
"$GUARDFS" exec -- guardfs diff --stat >"$T/stat.out"
check "diff --stat: the withheld file" grep -q '^ settings.py | content withheld$' "$T/stat.out"
"$GUARDFS" exec -- guardfs diff --name-only >"$T/names.out"
check "diff --name-only: D settings.py" grep -qx 'D	settings.py' "$T/names.out"

"$GUARDFS" exec -- guardfs undo >"$T/undo.out" 2>&1
check_eq "undo: exit 0" 0 "$?"
no_leak "undo: reports no content" "$T/undo.out"
check_eq "undo: settings.py is back, still refused" EACCES "$(probe open "$R/settings.py" r)"
check_eq "undo: the plain edit undone" notes "$(cat "$R/notes.txt")"

# --- cut short in two steps: the remains are withheld too ------------------
# (10 bytes into the secret, then 5: the scanner finds no credential in
# either remnant, yet the file held one when the session began)
"$GUARDFS" exec -- truncate -s $((11 + 24 + 10)) creds.txt
"$GUARDFS" exec -- truncate -s $((11 + 24 + 5)) creds.txt
"$GUARDFS" exec -- guardfs log >"$T/log.out"
FIRST_CUT=$(sed -n 2p "$T/log.out" | cut -d' ' -f1)
for id in "$FIRST_CUT" last; do
	"$GUARDFS" exec -- guardfs diff -P "$id" >"$T/cut.out" 2>&1
	no_leak "diff of the cut $id: no piece of the credential" "$T/cut.out"
	check "diff of the cut $id: withheld" grep -q 'content withheld' "$T/cut.out"
done
"$GUARDFS" exec -- guardfs undo last >/dev/null
check_eq "undo of the second cut: exit 0" 0 "$?"
"$GUARDFS" exec -- guardfs undo "$FIRST_CUT" >/dev/null
check_eq "undo of the first cut: exit 0" 0 "$?"
check_eq "both cuts undone in order: creds.txt still refused" EACCES "$(probe open "$R/creds.txt" r)"

# the same for a credential the user wrote during the session
printf 'plain line\naws_secret_access_key = %s\n' "$secret" >"$R/later.txt"
"$GUARDFS" exec -- truncate -s $((11 + 24 + 10)) later.txt
"$GUARDFS" exec -- truncate -s $((11 + 24 + 5)) later.txt
"$GUARDFS" exec -- guardfs diff -P >"$T/cut.out" 2>&1
no_leak "diff of a later credential's second cut: no piece of it" "$T/cut.out"
check "diff of a later credential's second cut: withheld" grep -q 'content withheld' "$T/cut.out"

# --- a directory holding a hidden name, moved -------------------------------
"$GUARDFS" exec -- mv conf conf2
"$GUARDFS" exec -- guardfs diff -P --name-only >"$T/mv.out" 2>&1
check "diff of the move: the visible file" grep -q 'conf2/app.ini' "$T/mv.out"
check "diff of the move: no hidden name" sh -c "! grep -q '\.env' '$T/mv.out'"
"$GUARDFS" exec -- guardfs diff -P >"$T/mv.out" 2>&1
no_leak "diff of the move: no hidden content" "$T/mv.out"
"$GUARDFS" exec -- guardfs log -v >"$T/log.out" 2>&1
check "log -v inside: no hidden name" sh -c "! grep -q '\.env' '$T/log.out'"
"$GUARDFS" exec -- mv conf2 conf

cd "$T" || exit 1
check "umount" gfs_umount "$R"
check_eq "every credential file byte for byte as before" "$sum_before" \
	"$(cd "$R" && sha256sum settings.py creds.txt conf/.env)"
test_done
