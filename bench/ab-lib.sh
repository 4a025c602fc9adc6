# Shared by the A/B scripts (actions-overhead.sh, rm-ab.sh); sourced.

# ab_mount BIN ROOT: guards ROOT in place with BIN under the XDG dirs the
# caller exported, the breaker counting every operation but far from its
# limits (what is timed is the guard's cost, never a freeze), and prints
# the daemon's pid. A build from before the breaker knows only
# deletes_per_minute of [limits]: it gets that alone. GFS_AB_CONFIG, if
# set, is appended to the config (`[guard]\npassthrough = no`, say).
ab_mount() {
	local bin=$1 root=$2 cfg=$XDG_CONFIG_HOME/guardfs/config.ini err
	mkdir -p "$XDG_CONFIG_HOME/guardfs"
	printf '[limits]\ndeletes_per_minute = 1000000000\nrenames_per_minute = 1000000000\nbytes_written_per_minute = 1000T\ndelete_fraction = 1\n' >"$cfg"
	[ -z "${GFS_AB_CONFIG:-}" ] || printf '%b\n' "$GFS_AB_CONFIG" >>"$cfg"
	chmod 600 "$cfg"
	if ! err=$("$bin" mount "$root" "$root" 2>&1 >/dev/null); then
		grep -q "unknown key" <<<"$err" || { echo "$err" >&2; return 1; }
		printf '[limits]\ndeletes_per_minute = 0\n' >"$cfg"
		"$bin" mount "$root" "$root" >/dev/null || return 1
	fi
	"$bin" status --json | python3 -c '
import json, sys
print(json.load(sys.stdin)["mounts"][0]["pid"])'
}
