#!/bin/bash
# Actions as log, diff, restore and undo show and take them: log lists
# actions newest first (id, local time, process, counts, command line),
# -v their operations, --json both with exact fields; the store's
# commits carry Guardfs-Action-Id (one action per commit) and the audit
# trail action_id; undo N, undo A<n>, undo --op ID; diff A<n>; restore
# --at A<n>; the quiet gap splits one process group's commands.
. "$(dirname "$0")/lib.sh"

R=$T/root
mkdir -p "$R"
printf 'x\n' >"$R/x.txt"
printf 'old\n' >"$R/old.txt"
printf 'keep\n' >"$R/keep.txt"
act() { (cd "$R" && setsid -w "$@"); }
in_root() { (cd "$R" && "$GUARDFS" "$@"); }

check "mount" gfs_mount "$R" "$R"
STORE=$(status_field "$R" store)
check "A1: a shell command" act sh -c 'echo new >new.txt; rm old.txt'
check "A2: sed -i" act sed -i 's/x/y/' x.txt
in_root log -n 1 >/dev/null # flushes

# 1. log: actions, newest first, in the local zone
ct=$(git -C "$STORE" log -1 --format=%ct)
log=$(TZ=Asia/Kolkata in_root log)
check_eq "log lists two actions" 2 "$(wc -l <<<"$log")"
check_eq "log: A2, local time, process, counts, command line" \
	"A2  $(TZ=Asia/Kolkata date -d "@$ct" '+%Y-%m-%d %H:%M:%S')  sed  1 changed, 0 created, 0 deleted  sed -i s/x/y/ x.txt" \
	"$(head -1 <<<"$log" | sed -E 's/ \([0-9]+\)//')"
check_eq "log: A1" "A1  sh  0 changed, 1 created, 1 deleted  sh -c echo new >new.txt; rm old.txt" \
	"$(sed -n 2p <<<"$log" | sed -E 's/  [0-9-]+ [0-9:]+//; s/ \([0-9]+\)//')"
# (sed's write session ends at its close, which the kernel may send after
# the rename: then the write is listed under the file's new name)
check "log -v: sed's operations under it, newest first" grep -Eqx \
	"A2\|(rename x.txt <- sedX\|write sedX|write x.txt\|rename x.txt <- sedX)\|create sedX" <<<"$(in_root log -v -n 1 |
		sed -E 's/^    [0-9a-f]{10}@[0-9]+  [0-9-]+ [0-9:]+  [a-z]+ \([0-9]+\)  //; s/^(A[0-9]+) .*/\1/; s/sed[A-Za-z0-9]{6}/sedX/g; s/  / /' |
		grep -v '^chmod ' | tr '\n' '|' | sed 's/|$//')"

# 2. --json, exact fields
check "log --json: fields and values" python3 -c '
import json, sys
acts = json.loads(sys.argv[1])
assert [a["id"] for a in acts] == ["A2", "A1"], acts
keys = {"id", "number", "label", "process", "pid", "session", "start", "end",
        "first", "last", "commits", "ops", "changed", "created", "deleted"}
assert all(set(a) == keys for a in acts), [set(a) ^ keys for a in acts]
a2, a1 = acts
assert (a2["number"], a2["label"], a2["process"]) == (2, "sed -i s/x/y/ x.txt", "sed"), a2
assert (a2["changed"], a2["created"], a2["deleted"]) == (1, 0, 0), a2
assert (a1["changed"], a1["created"], a1["deleted"]) == (0, 1, 1), a1
assert a2["start"].endswith("Z") and len(a2["last"]) == 40, a2
' "$(in_root log --json)"
check "log -v --json: operations with op ids" python3 -c '
import json, sys
acts = json.loads(sys.argv[1])
okeys = {"id", "op_id", "time", "process", "pid", "op", "path", "from", "seq"}
for a in acts:
    assert all(set(o) == okeys for o in a["operations"]), a
    assert len(a["operations"]) == a["ops"], a
# (sed also sets its temporary file'"'"'s mode, listed when it changed it)
ops = [o for o in acts[0]["operations"] if o["op"] != "chmod"]
assert sorted(o["op"] for o in ops) == ["create", "rename", "write"], ops
mv = [o for o in ops if o["op"] == "rename"][0]
assert mv["path"] == "x.txt" and mv["from"].startswith("sed"), ops
assert mv["op_id"] == mv["id"][:10] + "@" + str(mv["seq"]), ops
' "$(in_root log -v --json)"

# 3. git readers see actions: trailers, one action per commit
check_eq "each commit names one action" "1 1" \
	"$(for c in $(git -C "$STORE" rev-list HEAD~2..HEAD); do
		git -C "$STORE" log -1 --format=%B "$c" | grep '^Guardfs-Action-Id: ' | sort -u | wc -l
	done | xargs)"
# (an action may take more than one commit: on a loaded machine the store
# may commit between two of sed's operations, as CI's ASan pass once saw)
check_eq "the commits' action ids, newest first" "2 1" \
	"$(git -C "$STORE" log --format=%B | grep '^Guardfs-Action-Id: ' | uniq | cut -d' ' -f2 | xargs)"
check_eq "the label trailer" "Guardfs-Action: sed -i s/x/y/ x.txt" \
	"$(git -C "$STORE" log -1 --format=%B | grep '^Guardfs-Action: ' | sort -u)"
check "the audit trail names the action" grep -q '"op":"rename".*"action":"sed -i s/x/y/ x.txt","action_id":"A2"' "$(audit_file)"

# 4. diff and restore --at take action ids
check_eq "diff A2" "-x +y" "$(in_root diff A2 | grep -E '^[-+][^-+]' | xargs)"
check_eq "diff --name-only A1" "A new.txt D old.txt" "$(in_root diff --name-only A1 | xargs)"
check "restore --at A1 x.txt" in_root restore --at A1 x.txt
check_eq "x.txt as right after A1" x "$(cat "$R/x.txt")"
out=$(in_root undo A99 2>&1)
check_eq "an unknown action" "1 guardfs: no action A99 in the store" "$? $out"
sleep 0.3

# 5. undo N, undo A<n>, undo --op ID
check "A4: three more commands" act sh -c 'echo 1 >one.txt'
check "A5" act sh -c 'echo 2 >two.txt'
check "A6" act sh -c 'echo 3 >three.txt'
check "undo 2" in_root undo 2
check_eq "undo 2: the last two went, the one before stays" "one.txt" \
	"$(cd "$R" && ls one.txt two.txt three.txt 2>/dev/null | xargs)"
check "undo A1" in_root undo A1
check_eq "undo A1: old.txt back, new.txt gone" "old ENOENT" \
	"$(cat "$R/old.txt") $(probe stat "$R/new.txt")"
check "A9: two changes" act sh -c 'rm keep.txt; echo z >z.txt'
in_root log -n 1 >/dev/null
op=$(in_root log -v -n 1 | grep '  unlink  keep.txt$' | awk '{print $1}')
check "undo --op of the unlink alone" in_root undo --op "$op"
check_eq "keep.txt back, z.txt stays" "keep z" "$(cat "$R/keep.txt" "$R/z.txt" | xargs)"

# 6. A later action's change stays: undo of an earlier one leaves it
check "A11: writes a" act sh -c 'echo a1 >a.txt'
check "A12: writes a again" act sh -c 'echo a2 >a.txt'
in_root log -n 1 >/dev/null
n=$(in_root log -n 2 | tail -1 | cut -d' ' -f1)
out=$(in_root undo "$n" 2>&1)
check_eq "undo of an action a later one built on" \
	"1 guardfs: left 'a.txt' alone: a later operation changed it again" "$? $out"
check_eq "a.txt kept the later change" a2 "$(cat "$R/a.txt")"

# 7. The quiet gap: one process group, two commands 2.5 s apart
check "one group, a quiet gap" act sh -c 'echo 1 >g1.txt; sleep 2.5; echo 2 >g2.txt'
check "one group, no gap" act sh -c 'echo 1 >h1.txt; sleep 0.5; echo 2 >h2.txt'
in_root log -n 1 >/dev/null
check_eq "the gap split the first group, not the second" \
	"0 changed, 2 created, 0 deleted|0 changed, 1 created, 0 deleted|0 changed, 1 created, 0 deleted" \
	"$(in_root log -n 3 | sed -E 's/.*\)  ([0-9]+ changed, [0-9]+ created, [0-9]+ deleted).*/\1/' | tr '\n' '|' | sed 's/|$//')"
check "umount" gfs_umount "$R"
test_done
