#!/bin/bash
# P6 for the project config: a .guardfs.ini can be neither read nor
# created through the mount, at the root or below, by any route (create,
# mkdir, rename, link, symlink), whether or not one exists; and a config
# that changed while a guarded session was running (written by another
# path) is refused at the next mount until the user trusts it.
. "$(dirname "$0")/lib.sh"

R=$T/root
mkdir -p "$R/sub"
printf 'plain\n' >"$R/notes.txt"

# No config at all: the name is still guarded.
check "mount without a config" gfs_mount "$R" "$R"
for name in .guardfs.ini sub/.guardfs.ini .GUARDFS.ini sub/.Guardfs.INI; do
	check_eq "create $name" EACCES "$(probe open "$R/$name" wc)"
	check_eq "stat $name" ENOENT "$(probe stat "$R/$name")"
done
check_eq "mkdir .guardfs.ini" EACCES "$(probe mkdir "$R/.guardfs.ini")"
check_eq "mkdir sub/.guardfs.ini" EACCES "$(probe mkdir "$R/sub/.guardfs.ini")"
check_eq "rename to .guardfs.ini" EACCES "$(probe rename "$R/notes.txt" "$R/.guardfs.ini")"
check_eq "link to sub/.guardfs.ini" EACCES "$(probe link "$R/notes.txt" "$R/sub/.guardfs.ini")"
check_eq "symlink named .guardfs.ini" EACCES "$(probe symlink notes.txt "$R/.guardfs.ini")"
check_eq "nothing was planted" "notes.txt sub" "$(ls "$R" | tr '\n' ' ' | sed 's/ $//')"
check "umount" gfs_umount "$R"
check_eq "nothing reached the folder" "" "$(find "$R" -iname .guardfs.ini)"

# A project config that exists is hidden too, and so is a nested one.
check "init" "$GUARDFS" init "$R"
printf '[secrets]\nscan = no\n' >"$R/sub/.guardfs.ini"
check "mount with a config" gfs_mount "$R" "$R"
check_eq "the config is hidden" ENOENT "$(probe stat "$R/.guardfs.ini")"
check_eq "a nested config is hidden" ENOENT "$(probe open "$R/sub/.guardfs.ini" r)"
check_eq "a nested config cannot be rewritten" EACCES "$(probe open "$R/sub/.guardfs.ini" wct)"
check_eq "listing leaves both out" "notes.txt sub|" "$(ls "$R" | tr '\n' ' ' | sed 's/ $//')|$(ls "$R/sub")"
check "umount" gfs_umount "$R"
rm "$R/sub/.guardfs.ini"

# The agent writes the config by another path while the folder is guarded
# (here: the root itself while the mount sits at another point).
mkdir -p "$T/mnt"
check "mount at a separate point" gfs_mount "$T/mnt" "$R" "$T/mnt"
printf '[secrets]\nscan = no\n' >>"$R/.guardfs.ini"
check "umount" gfs_umount "$T/mnt"
out=$("$GUARDFS" mount "$R" 2>&1)
check_eq "a config changed during the session is refused" 1 "$?"
check "the refusal says why" grep -q "changed while its last guarded session was running" <<<"$out"
check_eq "and shows what the change added" "  + scan = no" "$(grep '^  + ' <<<"$out")"
check_fails "nothing was mounted" grep -q " $R fuse.guardfs " /proc/mounts
mounted+=("$R")
out=$("$GUARDFS" mount --trust-config "$R" 2>&1)
check_eq "--trust-config loads it" 0 "$?"
daemons+=("$(daemon_pid "$R")")
check "the trusted change is shown" grep -q '^  + scan = no' <<<"$out"
check "umount" gfs_umount "$R"
check "an unchanged config mounts again" gfs_mount "$R" "$R"
check "umount" gfs_umount "$R"

# The user edits it while nothing is mounted: that is normal.
sleep 0.05
sed -i 's/^scan = no$/scan = yes/' "$R/.guardfs.ini"
out=$("$GUARDFS" mount "$R" 2>&1 >/dev/null)
check_eq "an edit after the session ended is loaded" 0 "$?"
daemons+=("$(daemon_pid "$R")")
check_eq "quietly" "" "$out"

# A session that never ended cleanly (killed) leaves its window open.
pid=$(daemon_pid "$R")
kill -9 "$pid"
while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
umount -l "$R"
printf '# edited\n' >>"$R/.guardfs.ini"
out=$("$GUARDFS" mount "$R" 2>&1)
check_eq "a change after a killed session is refused" 1 "$?"
check "it says the session never ended" grep -q "never ended cleanly" <<<"$out"
check "--trust-config" gfs_mount "$R" --trust-config "$R"
check "umount" gfs_umount "$R"
test_done
