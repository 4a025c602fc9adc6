#!/usr/bin/env bash
# bench/scale-fds.sh: a big tree through guardfs against the native folder,
# with the daemon's peak descriptors and memory (issue 12). See
# bench/README.md.
#
#   bench/scale-fds.sh [--tree TARBALL|synthetic:N] [--limit N] [--rm]
#                      [--guardfs LABEL=BIN[:INI]]... [--config INI] [--no-commit]
#                      [--workdir DIR] [--keep] [--wait-pack] [--extract]
#                      [--peer]
#
# Extracts the tree once (default: Debian's linux-source-6.1, ~80k files),
# commits it to git natively (for git status), then for the native folder
# and each guardfs binary in turn: mounts in place (with the daemon's
# descriptor limit at N when --limit is given, without CAP_SYS_RESOURCE so
# it cannot raise it), and times find and ls -R twice (the first through a
# fresh mount: every lookup reaches the daemon; the second from the
# kernel's caches) and git status twice, sampling the daemon's descriptors
# (/proc/PID/fd) and peak RSS (VmHWM); with --rm, rm -rf of a fresh copy
# of the tree at the end. --config mounts with that INI (-c), a target's
# own :INI mounts that target with its own; --no-commit
# leaves the tree untracked (git init only: git add of a million files
# takes longer than the rest) and git status then lists it with -uall,
# which still reads every directory. After the workloads: the daemon's
# anonymous and file-backed RSS; --wait-pack first waits (up to 10 min)
# until the packer has packed the store's loose objects. Then each
# guardfs target is unmounted and mounted again: the remount's time and
# peak RSS. With --extract, at the end, for the native folder and each
# target: an empty folder (mounted), the tree extracted into it (from a
# plain tar made once, so that xz's 10 s do not hide the filesystem's
# share), git init, add -A and commit of it, git status twice, and rm -rf
# of it, with the daemon's peak descriptors and RSS over the four. Needs
# root. --peer adds libfuse's passthrough_ll example (bench/run.sh's
# peer, -o writeback,cache=always) as a column: the workloads through it
# over the same tree (mounted elsewhere, source= the tree), and the
# extract through it. Prints a markdown table.
set -uo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
# shellcheck source=bench/env-lib.sh
. "$BENCH_DIR/env-lib.sh"
TREE=/usr/src/linux-source-6.1.tar.xz
LIMIT=
DO_RM=0
WORKDIR=/var/tmp/gfs-scale
KEEP=0
TARGETS=()
CONFIG=
COMMIT=1
WAIT_PACK=0
DO_EXTRACT=0
PEER=0

usage() {
	sed -n '2,34p' "$0" | sed 's/^# \{0,1\}//'
}

while (($#)); do
	case $1 in
	--tree) TREE=$2; shift 2 ;;
	--limit) LIMIT=$2; shift 2 ;;
	--rm) DO_RM=1; shift ;;
	--guardfs) TARGETS+=("$2"); shift 2 ;;
	--workdir) WORKDIR=$2; shift 2 ;;
	--keep) KEEP=1; shift ;;
	--config) CONFIG=$2; shift 2 ;;
	--no-commit) COMMIT=0; shift ;;
	--wait-pack) WAIT_PACK=1; shift ;;
	--extract) DO_EXTRACT=1; shift ;;
	--peer) PEER=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
((${#TARGETS[@]})) || TARGETS=("guardfs=$REPO_DIR/build/guardfs")
[ "$(id -u)" -eq 0 ] || { echo "scale-fds.sh: needs root" >&2; exit 2; }

export LC_ALL=C GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
# no gc in the background of a timed command (git commit of 80k files
# starts one): the pristine tree's .git is packed once, in the foreground
export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=gc.auto GIT_CONFIG_VALUE_0=0
mkdir -p "$WORKDIR"
PRISTINE=$WORKDIR/pristine
SAMPLER=

PLL=$WORKDIR/bin/passthrough_ll
PLL_PID=

cleanup() {
	[ -n "$SAMPLER" ] && kill "$SAMPLER" 2>/dev/null
	[ -n "$PLL_PID" ] && kill "$PLL_PID" 2>/dev/null
	if grep -q " $WORKDIR/" /proc/mounts; then
		grep " $WORKDIR/" /proc/mounts | awk '{print $2}' |
			while read -r mp; do umount -l "$mp"; done
	fi
	[ "$KEEP" = 1 ] || rm -rf "$WORKDIR"
}
trap cleanup EXIT

# make_tree DIR: the tree under DIR/tree, committed to git.
make_tree() {
	mkdir -p "$1/tree"
	case $TREE in
	synthetic:*)
		python3 - "$1/tree" "${TREE#synthetic:}" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = f"{root}/d{i // 1000:04d}/e{i // 100 % 10}"
    if i % 100 == 0:
        os.makedirs(d, exist_ok=True)
    with open(f"{d}/f{i}", "w") as f:
        f.write(f"{i}\n")
PY
		;;
	*) tar -xf "$TREE" -C "$1/tree" ;;
	esac
	git -C "$1/tree" init -q
	[ "$COMMIT" = 1 ] || return 0
	# -f: Debian's linux-source tree ignores itself ("/*" in .gitignore)
	git -C "$1/tree" add -A -f
	git -C "$1/tree" -c user.name=b -c user.email=b@b commit -qm tree
	git -C "$1/tree" gc -q
}

now() { date +%s.%N; }
# timed NAME CMD...: runs CMD (output discarded), prints NAME and seconds
timed() {
	local name=$1 t0 t1 rc
	shift
	sync
	t0=$(now)
	"$@" >/dev/null 2>"$WORKDIR/err"
	rc=$?
	t1=$(now)
	# a failed command (or one that complained) is not a time: the
	# table says FAIL, with how long it ran
	if [ "$rc" -ne 0 ] || [ -s "$WORKDIR/err" ]; then
		echo "  $name failed: $(head -c 200 "$WORKDIR/err")" >&2
		printf '%s\tFAIL (%.1f s)\n' "$name" "$(echo "$t1 - $t0" | bc)"
	else
		printf '%s\t%.3f\n' "$name" "$(echo "$t1 - $t0" | bc)"
	fi
}

# sample PID OUT: the peak descriptor count, every 0.2 s, into OUT
sample() {
	local peak=0 n
	while kill -0 "$1" 2>/dev/null; do
		n=$(ls "/proc/$1/fd" 2>/dev/null | wc -l)
		((n > peak)) && peak=$n && echo "$peak" >"$2"
		sleep 0.2
	done
}

# daemon_pid BIN MOUNTPOINT: the pid of BIN's daemon serving MOUNTPOINT
daemon_pid() {
	"$1" status --json | python3 -c '
import json, sys
for m in json.load(sys.stdin)["mounts"]:
    if m["mountpoint"] == sys.argv[1]: print(m["pid"])' "$2"
}

# target_bin TARGET, target_config TARGET: of LABEL=BIN[:INI]
target_bin() {
	local spec=${1#*=}
	echo "${spec%%:*}"
}
target_config() {
	local spec=${1#*=}
	if [[ $spec == *:* ]]; then echo "${spec#*:}"; else echo "$CONFIG"; fi
}

# pll_umount: unmounts the peer at $1 and waits for its daemon
pll_umount() {
	umount "$1" && wait "$PLL_PID" 2>/dev/null
	PLL_PID=
}

# rss PID NAME FIELD: the daemon's /proc status FIELD in MiB, as NAME
rss() {
	printf '%s\t%s\t%s\n' "$label" "$2" \
		"$(awk -v f="$3:" '$1 == f {printf "%.0f", $2 / 1024}' "/proc/$1/status")" >>"$RESULTS"
}

workloads() {
	local dir=$1
	timed find-first find "$dir" -printf '%s\n'
	timed find-again find "$dir" -printf '%s\n'
	timed ls-R-first ls -R "$dir"
	timed ls-R-again ls -R "$dir"
	local untracked=()
	[ "$COMMIT" = 1 ] || untracked=(-uall)
	timed git-status-first git -C "$dir" status --porcelain "${untracked[@]}"
	timed git-status-again git -C "$dir" status --porcelain "${untracked[@]}"
}

echo "# scale-fds: $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
[ -d "$PRISTINE/tree" ] || { echo "extracting $TREE" >&2; make_tree "$PRISTINE"; }
files=$(find "$PRISTINE/tree" -path "$PRISTINE/tree/.git" -prune -o -type f -print | wc -l)
echo "tree: $files files" >&2

RESULTS=$WORKDIR/results.tsv
: >"$RESULTS"
workloads "$PRISTINE/tree" | sed 's/^/native\t/' >>"$RESULTS"
if [ "$PEER" = 1 ]; then
	bench_build_passthrough_ll "$PLL" || { echo "cannot build passthrough_ll" >&2; exit 1; }
	PLL_PID=$(bench_passthrough_ll_mount "$PLL" "$PRISTINE/tree" "$WORKDIR/pll") ||
		{ echo "passthrough_ll: mount failed" >&2; exit 1; }
	workloads "$WORKDIR/pll" | sed 's/^/passthrough_ll\t/' >>"$RESULTS"
	pll_umount "$WORKDIR/pll"
fi

for target in "${TARGETS[@]}"; do
	label=${target%%=*}
	bin=$(target_bin "$target")
	config=$(target_config "$target")
	home=$WORKDIR/home-$label
	rm -rf "$home"
	mkdir -p "$home/run"
	chmod 700 "$home/run"
	export HOME=$home XDG_STATE_HOME=$home/state XDG_DATA_HOME=$home/data
	export XDG_CONFIG_HOME=$home/config XDG_RUNTIME_DIR=$home/run
	mount_cmd=("$bin" mount ${config:+-c "$config"} "$PRISTINE/tree")
	[ -n "$LIMIT" ] && mount_cmd=(prlimit --nofile="$LIMIT:$LIMIT"
		setpriv --inh-caps=-sys_resource
		--bounding-set=-sys_resource "${mount_cmd[@]}")
	t0=$(now)
	"${mount_cmd[@]}" >/dev/null || { echo "$label: mount failed" >&2; continue; }
	printf '%s\tmount\t%.3f\n' "$label" "$(echo "$(now) - $t0" | bc)" >>"$RESULTS"
	pid=$(daemon_pid "$bin" "$PRISTINE/tree")
	echo 0 >"$WORKDIR/peak"
	sample "$pid" "$WORKDIR/peak" &
	SAMPLER=$!
	workloads "$PRISTINE/tree" | sed "s/^/$label\t/" >>"$RESULTS"
	if [ "$WAIT_PACK" = 1 ]; then
		t0=$(now)
		for _ in $(seq 600); do
			loose=$(find "$home/data" -path '*/objects/pack' -prune -o \
				-path '*/objects/??/*' -type f -print | wc -l)
			[ "$loose" -lt 2048 ] && break
			sleep 1
		done
		printf '%s\tpack-wait-s\t%.0f\n' "$label" "$(echo "$(now) - $t0" | bc)" >>"$RESULTS"
	fi
	printf '%s\tpeak-fds\t%s\n' "$label" "$(cat "$WORKDIR/peak")" >>"$RESULTS"
	rss "$pid" peak-rss-MiB VmHWM
	rss "$pid" anon-MiB RssAnon
	rss "$pid" file-MiB RssFile
	"$bin" status | awk -v l="$label" '$1 == "reopens" || $1 == "stale" {print l "\t" $1 "\t" $2}' >>"$RESULTS"
	"$bin" umount "$PRISTINE/tree" >/dev/null
	kill "$SAMPLER" 2>/dev/null
	SAMPLER=
	t0=$(now)
	"${mount_cmd[@]}" >/dev/null || { echo "$label: remount failed" >&2; continue; }
	printf '%s\tremount\t%.3f\n' "$label" "$(echo "$(now) - $t0" | bc)" >>"$RESULTS"
	pid=$(daemon_pid "$bin" "$PRISTINE/tree")
	rss "$pid" remount-peak-rss-MiB VmHWM
	rss "$pid" remount-file-MiB RssFile
	"$bin" umount "$PRISTINE/tree" >/dev/null
done

if [ "$DO_RM" = 1 ]; then
	for target in native "${TARGETS[@]}"; do
		label=${target%%=*}
		bin=$(target_bin "$target")
		config=$(target_config "$target")
		copy=$WORKDIR/rm-$label
		rm -rf "$copy"
		mkdir -p "$copy"
		cp -a "$PRISTINE/tree" "$copy/"
		if [ "$label" != native ]; then
			export HOME=$WORKDIR/home-$label XDG_DATA_HOME=$WORKDIR/home-$label/data-rm
			export XDG_STATE_HOME=$WORKDIR/home-$label/state-rm
			mount_cmd=("$bin" mount ${config:+-c "$config"} "$copy")
			[ -n "$LIMIT" ] && mount_cmd=(prlimit --nofile="$LIMIT:$LIMIT"
				setpriv --inh-caps=-sys_resource
				--bounding-set=-sys_resource "${mount_cmd[@]}")
			"${mount_cmd[@]}" >/dev/null || continue
		fi
		timed rm-rf rm -rf "$copy/tree" | sed "s/^/$label\t/" >>"$RESULTS"
		[ "$label" != native ] && "$bin" umount "$copy" >/dev/null
		rm -rf "$copy"
	done
fi

# extract_all LABEL BIN CONFIG: the tree made in an empty folder through
# BIN's mount (native: none), then deleted.
extract_all() {
	local label=$1 bin=$2 config=$3 dir=$WORKDIR/x-$1 pid=
	rm -rf "$dir" "$dir-src"
	mkdir -p "$dir"
	if [ "$label" = passthrough_ll ]; then
		mkdir -p "$dir-src"
		PLL_PID=$(bench_passthrough_ll_mount "$PLL" "$dir-src" "$dir") || return
	elif [ "$label" != native ]; then
		export HOME=$WORKDIR/home-$label XDG_DATA_HOME=$WORKDIR/home-$label/data-x
		export XDG_STATE_HOME=$WORKDIR/home-$label/state-x
		# rm -rf of the whole tree: what the breaker would stop. The
		# limits go in the user's config, and in a copy of the
		# target's own INI, which a mount with -c reads instead
		export XDG_CONFIG_HOME=$WORKDIR/home-$label/config-x
		mkdir -p "$XDG_CONFIG_HOME/guardfs"
		bench_far_limits "$XDG_CONFIG_HOME/guardfs/config.ini"
		if [ -n "$config" ]; then
			cat "$config" "$XDG_CONFIG_HOME/guardfs/config.ini" \
				>"$WORKDIR/home-$label/x.ini"
			chmod 600 "$WORKDIR/home-$label/x.ini"
			config=$WORKDIR/home-$label/x.ini
		fi
		"$bin" mount ${config:+-c "$config"} "$dir" >/dev/null || return
		pid=$(daemon_pid "$bin" "$dir")
		echo 0 >"$WORKDIR/peak"
		sample "$pid" "$WORKDIR/peak" &
		SAMPLER=$!
	fi
	{
		timed extract tar -xf "$WORKDIR/tree.tar" -C "$dir"
		# -f: Debian's linux-source tree ignores itself ("/*")
		timed git-add-commit sh -c "cd '$dir' && git init -q &&
			git add -A -f && git -c user.name=b -c user.email=b@b commit -qm tree"
		timed git-status-cold git -C "$dir" status --porcelain
		timed git-status-warm git -C "$dir" status --porcelain
		timed rm-rf-tree sh -c "rm -rf '$dir'/* '$dir'/.git"
	} | sed "s/^/$label\t/" >>"$RESULTS"
	[ "$label" = passthrough_ll ] && pll_umount "$dir"
	if [ -n "$pid" ]; then
		printf '%s\textract-peak-fds\t%s\n' "$label" "$(cat "$WORKDIR/peak")" >>"$RESULTS"
		rss "$pid" extract-peak-rss-MiB VmHWM
		t0=$(now)
		"$bin" umount "$dir" >/dev/null
		printf '%s\textract-umount\t%.3f\n' "$label" "$(echo "$(now) - $t0" | bc)" >>"$RESULTS"
		kill "$SAMPLER" 2>/dev/null
		SAMPLER=
	fi
	rm -rf "$dir" "$dir-src"
}

if [ "$DO_EXTRACT" = 1 ]; then
	case $TREE in
	synthetic:*) tar -cf "$WORKDIR/tree.tar" -C "$PRISTINE/tree" --exclude=.git . ;;
	*) [ -f "$WORKDIR/tree.tar" ] || xz -dc "$TREE" >"$WORKDIR/tree.tar" ;;
	esac
	peers=()
	[ "$PEER" = 1 ] && peers=(passthrough_ll)
	for target in native "${peers[@]}" "${TARGETS[@]}"; do
		label=${target%%=*}
		extract_all "$label" "$(target_bin "$target")" \
			"$(target_config "$target")"
	done
fi

# The table: one row per measure, one column per target.
python3 - "$RESULTS" "$files" "${LIMIT:-default}" <<'PY'
import sys
rows, cols = {}, []
for line in open(sys.argv[1]):
    label, name, value = line.rstrip("\n").split("\t")
    if label not in cols:
        cols.append(label)
    rows.setdefault(name, {})[label] = value
print(f"{sys.argv[2]} files, daemon descriptor limit: {sys.argv[3]}\n")
print("| measure | " + " | ".join(cols) + " |")
print("|---|" + "---:|" * len(cols))
for name, vals in rows.items():
    cells = []
    for c in cols:
        v = vals.get(c, "")
        n = vals.get("native")
        if v and n and c != "native" and name not in (
                "mount", "remount", "extract-umount"):
            try:
                v = f"{float(v):.3f} ({float(v) / float(n):.2f}x)"
            except ValueError:
                pass
        cells.append(v)
    print(f"| {name} | " + " | ".join(cells) + " |")
PY
