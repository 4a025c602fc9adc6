#!/bin/bash
# Quick start: installs what guardfs needs from Debian's packages, builds
# it, fills a demo folder with a project and a few secrets, and guards it
# in place. Run as root, or as a user with sudo for the packages.
#
#   ./demo.sh [FOLDER]     (default: ~/guardfs-demo)
set -euo pipefail
cd "$(dirname "$0")"

scripts/install-deps.sh
cmake -S . -B build >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
G=$PWD/build/guardfs

demo=${1:-$HOME/guardfs-demo}
if grep -q " $demo fuse.guardfs " /proc/mounts; then
	echo "$demo is already guarded; '$G umount $demo' to stop"
	exit 0
fi
mkdir -p "$demo/src" "$demo/.ssh"
cat >"$demo/src/app.py" <<'PY'
import os

print("hello from", os.getcwd())
PY
echo "DATABASE_URL=postgres://app:s3cr3t-Pa55@db.internal:5432/app" >"$demo/.env"
echo "DATABASE_URL=postgres://app:CHANGEME@localhost:5432/app" >"$demo/.env.example"
printf 'fake key for the demo\n' >"$demo/.ssh/id_ed25519"
# A fake, format-valid AWS key pair pasted where no name rule would look.
rand() { head -c 400 /dev/urandom | tr -dc "$1" | head -c "$2"; }
printf 'deploy notes\naws_access_key_id = AKIA%s\naws_secret_access_key = %s\n' \
	"$(rand 'A-Z2-7' 16)" "$(rand 'A-Za-z0-9' 40)" >"$demo/notes.txt"

"$G" mount "$demo"
echo
echo "== what an agent sees in $demo"
ls -la "$demo"
echo
echo "== cat .env; cat notes.txt"
cat "$demo/.env" || true
cat "$demo/notes.txt" || true
echo
"$G" explain "$demo/.env" "$demo/notes.txt" "$demo/src/app.py"
echo
echo "== an agent edits and deletes a file; guardfs log, then restore"
echo 'print("changed")' >>"$demo/src/app.py"
rm "$demo/src/app.py"
(cd "$demo" && "$G" log -n 3 && "$G" restore src/app.py)
cat "$demo/src/app.py"
echo
echo "== the agent's own commands go through guardfs exec: a sandbox where"
echo "   the guarded folder is the only project and the home is empty"
(cd "$demo" && "$G" exec -- sh -c 'echo "in $PWD: $(ls -A | tr "\n" " ")";
	echo "home: $(ls -A ~ | wc -l) entries"; echo hi >from-exec.txt')
(cd "$demo" && "$G" log -n 1)
echo
"$G" status
echo
echo "The folder stays guarded until: $G umount $demo"
