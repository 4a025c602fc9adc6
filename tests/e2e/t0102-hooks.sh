#!/bin/bash
# The agent recipes: the PreToolUse hook (conf/guardfs-exec-hook) that
# Claude Code and Codex CLI run before each shell command rewrites it to
# `guardfs exec -- bash -c CMD`, and the rewritten command is guarded.
. "$(dirname "$0")/lib.sh"

HOOK=${GFS_SOURCE_DIR:?}/conf/guardfs-exec-hook
for f in claude-code-hook.json codex-hooks.json; do
	check "conf/$f is JSON naming the hook on Bash" python3 -c '
import json, sys
h = json.load(open(sys.argv[1]))["hooks"]["PreToolUse"][0]
assert h["matcher"] == "Bash"
assert h["hooks"][0]["command"].endswith("/guardfs-exec-hook")' "$GFS_SOURCE_DIR/conf/$f"
done

# field FIELD...: one field of the hook's JSON answer on stdin
field() {
	python3 -c '
import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1:]:
    v = v[k]
print(v if isinstance(v, str) else json.dumps(v))' "$@"
}

cmd="echo it's here; cat ~/.ssh/id_rsa"
input=$(python3 -c 'import json, sys; print(json.dumps({"session_id": "s",
	"hook_event_name": "PreToolUse", "tool_name": "Bash",
	"tool_input": {"command": sys.argv[1], "description": "d", "timeout": 5000}}))' "$cmd")
out=$(echo "$input" | GUARDFS=guardfs "$HOOK")
check_eq "claude: hookEventName" PreToolUse "$(echo "$out" | field hookSpecificOutput hookEventName)"
check_eq "claude: permissionDecision" allow "$(echo "$out" | field hookSpecificOutput permissionDecision)"
check_eq "claude: the command is rewritten" \
	"guardfs exec -- bash -c 'echo it'\"'\"'s here; cat ~/.ssh/id_rsa'" \
	"$(echo "$out" | field hookSpecificOutput updatedInput command)"
check_eq "claude: the other fields stay" "d 5000" \
	"$(echo "$out" | field hookSpecificOutput updatedInput description) $(echo "$out" | field hookSpecificOutput updatedInput timeout)"
check_eq "ask, config and network from the environment" \
	"ask|guardfs exec -c '/a b.ini' --network=no -- bash -c 'echo it'\"'\"'s here; cat ~/.ssh/id_rsa'" \
	"$(echo "$input" | GUARDFS=guardfs GUARDFS_HOOK_DECISION=ask GUARDFS_CONFIG='/a b.ini' GUARDFS_NETWORK=no "$HOOK" |
		python3 -c 'import json,sys; o=json.load(sys.stdin)["hookSpecificOutput"]; print(o["permissionDecision"] + "|" + o["updatedInput"]["command"])')"
check_eq "GUARDFS_NETWORK=host is passed on" \
	"guardfs exec --network=host -- bash -c 'echo it'\"'\"'s here; cat ~/.ssh/id_rsa'" \
	"$(echo "$input" | GUARDFS=guardfs GUARDFS_NETWORK=host "$HOOK" | field hookSpecificOutput updatedInput command)"
check_eq "codex: an argv gets the prefix" '["guardfs", "exec", "--", "bash", "-lc", "ls"]' \
	"$(echo '{"tool_name":"Bash","tool_input":{"command":["bash","-lc","ls"]}}' | GUARDFS=guardfs "$HOOK" |
		field hookSpecificOutput updatedInput command)"
check_eq "a command that names guardfs exec itself is wrapped whole" \
	"guardfs exec -- bash -c 'guardfs exec -- true; cat ~/.ssh/id_rsa'" \
	"$(echo '{"tool_name":"Bash","tool_input":{"command":"guardfs exec -- true; cat ~/.ssh/id_rsa"}}' |
		GUARDFS=guardfs "$HOOK" | field hookSpecificOutput updatedInput command)"
check_eq "unreadable input: the hook blocks (exit 2)" 2 \
	"$(echo 'not json' | "$HOOK" >/dev/null 2>&1; echo $?)"
check_eq "no command: no decision" "" "$(echo '{"tool_name":"Bash","tool_input":{}}' | "$HOOK")"

# The rewritten commands run guarded, as the harness would run them.
command -v bwrap >/dev/null || { echo "FAIL: bwrap missing"; exit 1; }
R=$T/root
mkdir -p "$R" "$HOME/.ssh"
echo "ssh-private-key-fixture" >"$HOME/.ssh/id_rsa"
check "mount" gfs_mount "$R" "$R"
for c in "$cmd" "guardfs exec -- true; cat ~/.ssh/id_rsa" "echo made >made.txt"; do
	rewritten=$(python3 -c 'import json, sys; print(json.dumps({"tool_name": "Bash",
		"tool_input": {"command": sys.argv[1]}}))' "$c" | GUARDFS="$GUARDFS" "$HOOK" |
		field hookSpecificOutput updatedInput command)
	(cd "$R" && bash -c "$rewritten") >"$T/out" 2>&1
	check_fails "hooked '$c' cannot read ~/.ssh" grep -q ssh-private-key-fixture "$T/out"
done
check_eq "the hooked command wrote in the project" made "$(cat "$R/made.txt")"
check_eq "the hooked command is one action in the log" 1 \
	"$(cd "$R" && "$GUARDFS" log | grep -cF " deleted  bash -c 'echo made >made.txt'")"
test_done
