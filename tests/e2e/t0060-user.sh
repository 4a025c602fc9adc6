#!/bin/bash
# An ordinary user mounts through fusermount3 and is guarded the same way.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -ne 0 ] && echo "not root: running as the ordinary user already"
as_ordinary_user
command -v fusermount3 >/dev/null || { echo "FAIL: fusermount3 missing"; exit 1; }

user_dir
as_user mkdir -p "$UD/root" "$UD/home" "$UD/run"
as_user chmod 700 "$UD/run"
as_user sh -c "echo hi >'$UD/root/a.txt'; echo K=1 >'$UD/root/.env'"

envs=(env HOME="$UD/home" XDG_RUNTIME_DIR="$UD/run" XDG_STATE_HOME="$UD/home/state"
	XDG_DATA_HOME="$UD/home/data" XDG_CONFIG_HOME="$UD/home/config")
check "user mounts in place" as_user "${envs[@]}" "$GUARDFS" mount "$UD/root"
check "the mount is the user's" grep -q "$UD/root fuse.guardfs .*user_id=$(id -u "$U")" /proc/mounts
check_eq "user reads" hi "$(as_user cat "$UD/root/a.txt")"
check_eq "user cannot see .env" ENOENT "$(as_user "$GFS_PROBE" stat "$UD/root/.env")"
check_eq "user writes" ok "$(as_user "$GFS_PROBE" open "$UD/root/b.txt" wc)"
check_eq "status as the user" "$UD/root" "$(as_user "${envs[@]}" "$GUARDFS" status --json |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["mounts"][0]["root"])')"
check_eq "user's requests by $(expected_requests)" "$(expected_requests)" \
	"$(as_user "${envs[@]}" "$GUARDFS" status --json |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["mounts"][0]["requests"])')"
check "user unmounts" as_user "${envs[@]}" "$GUARDFS" umount "$UD/root"
check_fails "unmounted" grep -q " $UD/root fuse" /proc/mounts
test_done
