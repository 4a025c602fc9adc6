# Shared by the A/B scripts (actions-overhead.sh, readers-overhead.sh,
# rm-ab.sh); sourced.

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

# ab_fresh ROOT: an empty ROOT and empty XDG directories (the caller's
# exports), so that each mount starts with no store.
ab_fresh() {
	rm -rf "$1" "$XDG_DATA_HOME" "$XDG_STATE_HOME" "$HOME" "$XDG_CONFIG_HOME" "$XDG_RUNTIME_DIR"
	mkdir -p "$1" "$HOME" "$XDG_DATA_HOME" "$XDG_STATE_HOME" "$XDG_CONFIG_HOME"
	mkdir -m 700 "$XDG_RUNTIME_DIR"
}

# ab_cpu PID: the CPU seconds (user + system) process PID used so far.
ab_cpu() {
	awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat"
}

# ab_alternate RUNS OLD NEW FUNC RAW: runs `FUNC OLD` and `FUNC NEW` RUNS
# times, alternating, each printing one line of numbers; the lines go to
# stderr and to RAW as "old ..." and "new ...". The pairs go old-new,
# then new-old (ABBA): a build that always runs second may inherit the
# first's unmount and deletes still being written back (session 18:
# sqlite 11-14% slower for the second build in each of four old-new
# pairs, and no faster or slower once the order alternated;
# bench/README.md).
ab_alternate() {
	local runs=$1 old=$2 new=$3 func=$4 raw=$5 i
	for i in $(seq 1 "$runs"); do
		if ((i % 2)); then
			echo "old $("$func" "$old")"
			echo "new $("$func" "$new")"
		else
			echo "new $("$func" "$new")"
			echo "old $("$func" "$old")"
		fi
	done | tee "$raw" >&2
}

# ab_summary RAW NAME...: min and median of each column of RAW's lines
# (the Nth NAME names column N), old against new.
ab_summary() {
	python3 - "$@" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
for i, name in enumerate(sys.argv[2:]):
    o = [float(r[i + 1]) for r in rows if r[0] == "old"]
    n = [float(r[i + 1]) for r in rows if r[0] == "new"]
    print("%-13s old min %.2f med %.2f | new min %.2f med %.2f | min %+.1f%% med %+.1f%%" % (
        name, min(o), statistics.median(o), min(n), statistics.median(n),
        100 * (min(n) / min(o) - 1), 100 * (statistics.median(n) / statistics.median(o) - 1)))
PY
}
