#!/usr/bin/env bash
# bench/run.sh: time the native folder, guardfs and other FUSE passthroughs
# on the same workloads, in one run, on this machine. See bench/README.md.
#
#   bench/run.sh [--targets LIST] [--runs N] [--quick] [--workloads LIST]
#                [--workdir DIR] [--guardfs BIN] [--timeout SEC] [--keep]
#                [--uring on|off|keep] [--ext4-image SIZE]
#
# Needs root (drop_caches for the cold workloads). Writes the table to
# bench/results/<UTC date>.md (and the raw timings next to it) and prints it.
set -uo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
# shellcheck source=bench/env-lib.sh
. "$BENCH_DIR/env-lib.sh"

# ---------------------------------------------------------------- options --
TARGETS=native,bindfs,passthrough_ll,guardfs
RUNS=6
QUICK=0
WORKDIR=/var/tmp/gfs-bench
GUARDFS_BIN=${GUARDFS:-$REPO_DIR/build/guardfs}
TIMEOUT=900
KEEP=0
WORKLOADS_SEL=all
STAT=median
OUTDIR=$BENCH_DIR/results
URING=on
URING_SWITCH=/sys/module/fuse/parameters/enable_uring
URING_SAVED=
EXT4_IMAGE=
IMAGE_MOUNTED=0

ALL_WORKLOADS=(extract find stat-all grep git-commit git-status-warm
	git-status-cold rm-rf write-1g read-1g-cold sqlite make)

usage() {
	cat <<EOF
usage: bench/run.sh [options]
  --targets LIST    comma-separated targets (default: $TARGETS). Known:
                      native          the plain folder
                      bindfs          Debian's bindfs --multithreaded
                      passthrough_ll  libfuse example, -o writeback,cache=always
                      passthrough     libfuse high-level example, 1 s timeouts,
                                      -o kernel_cache
                      fuse-overlayfs  fuse-overlayfs, the folder as upperdir
                      guardfs[:CFG][+inplace]
                                      build/guardfs; CFG is bench/configs/CFG.ini
                                      or a path to an INI (a guardfs variant);
                                      +inplace mounts over the folder itself
  --runs N          runs per target, the median is reported (default: $RUNS)
  --quick           1 run and small sizes: a smoke test of the harness
  --workloads LIST  subset of: ${ALL_WORKLOADS[*]} (default: all)
  --workdir DIR     scratch dir, same disk as the home/project (default: $WORKDIR);
                    created and removed by the harness
  --guardfs BIN     guardfs binary (default: \$GUARDFS or build/guardfs)
  --timeout SEC     per-workload time limit (default: $TIMEOUT)
  --stat median|min statistic of the runs shown (default: median; min is
                    steadier when the machine is busy with other work)
  --out DIR         where the results go (default: bench/results)
  --keep            keep the work dir (for debugging)
  --uring on|off|keep
                    the fuse module's enable_uring switch during the run
                    (default: on; put back afterwards). Only guardfs speaks
                    FUSE over io_uring; the peers' libfuse 3.14 cannot.
  --ext4-image SIZE run on a fresh ext4 (default mkfs options: with a
                    journal) of SIZE (e.g. 16G) in WORKDIR.img, loop-mounted
                    at WORKDIR: what a user's disk has, where the machine's
                    own filesystem differs (see bench/README.md)
EOF
}

quick_runs_set=0
while (($#)); do
	case $1 in
	--targets) TARGETS=$2; shift 2 ;;
	--targets=*) TARGETS=${1#*=}; shift ;;
	--runs) RUNS=$2; quick_runs_set=1; shift 2 ;;
	--runs=*) RUNS=${1#*=}; quick_runs_set=1; shift ;;
	--quick) QUICK=1; shift ;;
	--workloads) WORKLOADS_SEL=$2; shift 2 ;;
	--workloads=*) WORKLOADS_SEL=${1#*=}; shift ;;
	--workdir) WORKDIR=$2; shift 2 ;;
	--workdir=*) WORKDIR=${1#*=}; shift ;;
	--guardfs) GUARDFS_BIN=$2; shift 2 ;;
	--guardfs=*) GUARDFS_BIN=${1#*=}; shift ;;
	--timeout) TIMEOUT=$2; shift 2 ;;
	--timeout=*) TIMEOUT=${1#*=}; shift ;;
	--out) OUTDIR=$2; shift 2 ;;
	--out=*) OUTDIR=${1#*=}; shift ;;
	--keep) KEEP=1; shift ;;
	--stat) STAT=$2; shift 2 ;;
	--stat=*) STAT=${1#*=}; shift ;;
	--uring) URING=$2; shift 2 ;;
	--uring=*) URING=${1#*=}; shift ;;
	--ext4-image) EXT4_IMAGE=$2; shift 2 ;;
	--ext4-image=*) EXT4_IMAGE=${1#*=}; shift ;;
	-h | --help) usage; exit 0 ;;
	*) echo "run.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
done
if ((QUICK)) && ((!quick_runs_set)); then RUNS=1; fi
[[ $STAT == median || $STAT == min ]] || { echo "run.sh: --stat must be median or min" >&2; exit 2; }
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --runs must be a positive integer" >&2; exit 2; }

if ((QUICK)); then
	TREE_ENTRIES=1200   # entries (dirs, files, symlinks) of /usr/include
	WRITE_MIB=64
	SQL_TX=200
	C_FILES=40
else
	TREE_ENTRIES=9000
	WRITE_MIB=1024
	SQL_TX=2000
	C_FILES=200
fi

if [[ $WORKLOADS_SEL == all ]]; then
	WORKLOADS=("${ALL_WORKLOADS[@]}")
else
	IFS=, read -ra WORKLOADS <<<"$WORKLOADS_SEL"
	for w in "${WORKLOADS[@]}"; do
		[[ " ${ALL_WORKLOADS[*]} " == *" $w "* ]] ||
			{ echo "run.sh: unknown workload '$w'" >&2; exit 2; }
	done
fi
want() { [[ " ${WORKLOADS[*]} " == *" $1 "* ]]; }

if ((EUID != 0)); then
	echo "run.sh: must run as root (it drops the page cache for the cold workloads)" >&2
	exit 2
fi
for tool in tar find xargs stat grep git dd sqlite3 make cc pkg-config mountpoint findmnt timeout; do
	command -v "$tool" >/dev/null || { echo "run.sh: '$tool' not found" >&2; exit 2; }
done

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

# The work dir's filesystem, and for ext4 whether it keeps a journal: without
# one, ext4 skips inodes deleted in the last minutes when it allocates, which
# makes every create after a mass delete slow (bench/README.md).
fs_description() {
	local type name
	type=$(findmnt -no FSTYPE -T "$WORKDIR")
	name=$(basename "$(readlink -f "$(findmnt -no SOURCE -T "$WORKDIR")")")
	if [[ $type == ext4 && -d /proc/fs/ext4/$name ]]; then
		# a journaled ext4 has a jbd2 entry named after its device
		if compgen -G "/proc/fs/jbd2/$name-*" >/dev/null; then
			type="ext4 (journal)"
		else
			type="ext4 (no journal)"
		fi
	fi
	echo "$type$( ((IMAGE_MOUNTED)) && echo ", a fresh $EXT4_IMAGE image")"
}
die() { log "error: $*"; exit 1; }

# ------------------------------------------------------- work dir, cleanup --
# Everything the harness creates lives under $WORKDIR; the trap unmounts what
# it mounted, kills by pid only what it started, and removes $WORKDIR.
declare -A MOUNT_PID=()   # mountpoint -> pid of the daemon we started
ACTIVE_MNT=""

mounts_under() { findmnt -rn -o TARGET | awk -v p="$1" 'index($0, p "/") == 1 || $0 == p'; }

unmount_one() {   # unmount_one MNT: unmount, then reap the daemon by pid
	local mnt=$1 pid=${MOUNT_PID[$1]:-}
	if mountpoint -q "$mnt" 2>/dev/null; then
		for _ in 1 2 3 4 5; do
			fusermount3 -u "$mnt" 2>/dev/null || umount "$mnt" 2>/dev/null
			mountpoint -q "$mnt" 2>/dev/null || break
			sleep 0.5
		done
		if mountpoint -q "$mnt" 2>/dev/null; then
			log "warning: $mnt busy, lazy unmount"
			umount -l "$mnt" 2>/dev/null || fusermount3 -uz "$mnt" 2>/dev/null
		fi
	fi
	if [[ -n $pid ]]; then
		# guardfs writes out its last snapshots after the unmount: after
		# the rm -rf of a git-tracked tree that takes ~12 s here
		for _ in $(seq 600); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			log "warning: daemon pid $pid did not exit within 60 s of the unmount; killing it"
			kill "$pid" 2>/dev/null; sleep 1
			kill -9 "$pid" 2>/dev/null
		fi
		wait "$pid" 2>/dev/null
	fi
	unset 'MOUNT_PID[$mnt]'
}

cleanup() {
	local rc=$? m
	trap - EXIT INT TERM
	for m in "${!MOUNT_PID[@]}"; do unmount_one "$m"; done
	[[ -n $URING_SAVED ]] && echo "$URING_SAVED" > "$URING_SWITCH"
	if [[ -d $WORKDIR ]]; then
		# mounts we did not start ourselves (a daemonized guardfs): unmount too
		while read -r m; do
			[[ -n $m ]] || continue
			((IMAGE_MOUNTED)) && [[ $m == "$WORKDIR" ]] && continue
			log "unmounting leftover $m"
			fusermount3 -u "$m" 2>/dev/null || umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
		done < <(mounts_under "$WORKDIR" | sort -r)
		if ((KEEP)); then
			log "work dir kept: $WORKDIR"
		elif ((IMAGE_MOUNTED)); then
			umount "$WORKDIR" && rm -f "$WORKDIR.img" && rmdir "$WORKDIR" ||
				log "warning: could not unmount or remove the image at $WORKDIR"
		elif [[ -n $(mounts_under "$WORKDIR") ]]; then
			log "warning: something is still mounted under $WORKDIR; not removing it"
		else
			rm -rf --one-file-system "$WORKDIR"
		fi
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

case $WORKDIR in /|/var|/var/tmp|/tmp|/home|"") die "refusing work dir '$WORKDIR'" ;; esac
case $URING in
on | off)
	if [[ -w $URING_SWITCH ]]; then
		URING_SAVED=$(cat "$URING_SWITCH")
		echo "$([[ $URING == on ]] && echo Y || echo N)" > "$URING_SWITCH"
	else
		log "note: no writable $URING_SWITCH (kernel < 6.14?); requests go through /dev/fuse"
	fi ;;
keep) ;;
*) die "--uring takes on, off or keep" ;;
esac
if [[ -e $WORKDIR ]]; then
	[[ -z $(mounts_under "$WORKDIR") ]] || die "$WORKDIR has mounts under it (an earlier run?); unmount them first"
	[[ -f $WORKDIR/.gfs-bench ]] || die "$WORKDIR exists and is not a bench work dir; pick another --workdir"
	rm -rf --one-file-system "$WORKDIR"
fi
if [[ -n $EXT4_IMAGE ]]; then
	[[ ! -e $WORKDIR.img ]] || die "$WORKDIR.img exists (an earlier run?); remove it first"
	mkdir -p "$WORKDIR" && truncate -s "$EXT4_IMAGE" "$WORKDIR.img" &&
		mkfs.ext4 -q -F "$WORKDIR.img" && mount -o loop "$WORKDIR.img" "$WORKDIR" ||
		{ rm -f "$WORKDIR.img"; die "cannot make and mount an ext4 image of $EXT4_IMAGE at $WORKDIR"; }
	IMAGE_MOUNTED=1
fi
mkdir -p "$WORKDIR"/{in,bin,t,home} && touch "$WORKDIR/.gfs-bench" || die "cannot create $WORKDIR"
IN=$WORKDIR/in
RAW=$WORKDIR/raw.tsv
: > "$RAW"

# git must not read the user's config, and never auto-gc during a timing
export HOME=$WORKDIR/home
export GIT_CONFIG_NOSYSTEM=1
export GIT_CONFIG_GLOBAL=$WORKDIR/home/.gitconfig
cat > "$GIT_CONFIG_GLOBAL" <<'EOF'
[user]
	name = bench
	email = bench@example.invalid
[init]
	defaultBranch = main
[gc]
	auto = 0
[safe]
	directory = *
[advice]
	detachedHead = false
EOF
export LC_ALL=C

# ------------------------------------------------------------------ inputs --
prepare_inputs() {
	log "preparing inputs in $IN"
	# The tree: /usr/include, first $TREE_ENTRIES entries in C order (parents
	# sort before children), as it is: its symlinks into /etc/alternatives
	# included. What a target refuses of it is a failed workload.
	(
		cd /usr || exit 1
		find include -mindepth 1 | sort | awk -v n="$TREE_ENTRIES" 'NR <= n'
	) > "$IN/list" || die "listing /usr/include failed"
	tar -C /usr -cf "$IN/tree.tar" --no-recursion --transform 's,^include,tree,' -T "$IN/list" ||
		die "making the tarball failed"
	tar -tvf "$IN/tree.tar" | awk '{c[substr($1,1,1)]++} END {printf "%d %d %d\n", c["-"], c["d"], c["l"]}' > "$IN/counts"
	read -r N_FILES N_DIRS N_LINKS < "$IN/counts"
	TREE_MB=$(du -sm "$IN/tree.tar" | cut -f1)
	# the paths stat-all stats (files and dirs, relative to the target)
	tar -tf "$IN/tree.tar" | sed 's,/$,,' | tr '\n' '\0' > "$IN/paths0"
	"$BENCH_DIR/gen-sql.sh" "$SQL_TX" > "$IN/tx.sql" || die "gen-sql.sh failed"
	rm -rf "$IN/cproj" && "$BENCH_DIR/gen-cproj.sh" "$IN/cproj" "$C_FILES" || die "gen-cproj.sh failed"
	tar -C "$IN" -cf "$IN/cproj.tar" cproj && rm -rf "$IN/cproj"
	log "tree: $N_FILES files, $N_DIRS dirs, $N_LINKS symlinks, ${TREE_MB} MB; write ${WRITE_MIB} MiB; $SQL_TX sqlite tx; $C_FILES C files"
}

build_examples() {
	local ex=/usr/share/doc/libfuse3-dev/examples cflags libs
	cflags=$(pkg-config --cflags fuse3) && libs=$(pkg-config --libs fuse3) || return 1
	if [[ ,$TARGETS, == *,passthrough_ll,* ]]; then
		bench_build_passthrough_ll "$WORKDIR/bin/passthrough_ll" ||
			log "warning: building passthrough_ll from $ex failed"
	fi
	if [[ ,$TARGETS, == *,passthrough,* ]]; then
		# the example hard-codes 0 s timeouts in its init; use 1 s
		sed 's/cfg->\(entry\|attr\|negative\)_timeout = 0;/cfg->\1_timeout = 1.0;/' \
			"$ex/passthrough.c" > "$WORKDIR/bin/passthrough.c" &&
			cc -O2 -DHAVE_UTIMENSAT -DHAVE_POSIX_FALLOCATE -DHAVE_SETXATTR -DHAVE_COPY_FILE_RANGE \
				-I"$ex" -o "$WORKDIR/bin/passthrough" "$WORKDIR/bin/passthrough.c" $cflags $libs ||
			log "warning: building passthrough from $ex failed"
	fi
}

# ----------------------------------------------------------------- targets --
# For each target and run: a fresh backing folder T/src; the workloads run in
# WDIR (the mountpoint, or the folder itself for native and in-place mounts).
guardfs_cfg_file() {   # the INI of a guardfs:CFG variant, or "" for defaults
	local spec=$1 cfg=""
	spec=${spec%+inplace}
	if [[ $spec == guardfs:* ]]; then
		cfg=${spec#guardfs:}
		[[ $cfg == */* || $cfg == *.ini ]] || cfg=$BENCH_DIR/configs/$cfg.ini
	fi
	printf '%s' "$cfg"
}

wait_mounted() {   # wait_mounted MNT PID: until MNT is a mountpoint, or PID died
	local mnt=$1 pid=$2
	for _ in $(seq 200); do
		mountpoint -q "$mnt" && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# mount_target NAME DIR: mounts; sets WDIR. Returns non-zero (with a message
# in DIR/mount.log) if the target cannot be mounted.
mount_target() {
	local name=$1 d=$2 src=$2/src mnt=$2/mnt pid cfg base
	mkdir -p "$src" "$mnt"
	: > "$d/mount.log"
	WDIR=$mnt
	base=${name%%:*}; base=${base%+inplace}
	case $base in
	native)
		WDIR=$src; return 0 ;;
	bindfs)
		bindfs -f --multithreaded "$src" "$mnt" >>"$d/mount.log" 2>&1 &
		pid=$! ;;
	passthrough_ll)
		[[ -x $WORKDIR/bin/passthrough_ll ]] || { echo "passthrough_ll was not built" >>"$d/mount.log"; return 1; }
		"$WORKDIR/bin/passthrough_ll" -f -o source="$src",writeback,cache=always "$mnt" >>"$d/mount.log" 2>&1 &
		pid=$! ;;
	passthrough)
		[[ -x $WORKDIR/bin/passthrough ]] || { echo "passthrough was not built" >>"$d/mount.log"; return 1; }
		# the high-level example serves / of the host: point it at src via
		# the path, with modules=subdir
		"$WORKDIR/bin/passthrough" -f -o kernel_cache,modules=subdir,subdir="$src" "$mnt" >>"$d/mount.log" 2>&1 &
		pid=$! ;;
	fuse-overlayfs)
		command -v fuse-overlayfs >/dev/null || { echo "fuse-overlayfs is not installed" >>"$d/mount.log"; return 1; }
		mkdir -p "$d/lower" "$d/ovl-work"
		fuse-overlayfs -f -o "lowerdir=$d/lower,upperdir=$src,workdir=$d/ovl-work" "$mnt" >>"$d/mount.log" 2>&1 &
		pid=$! ;;
	guardfs)
		[[ -x $GUARDFS_BIN ]] || { echo "no guardfs binary at $GUARDFS_BIN (build it, or pass --guardfs)" >>"$d/mount.log"; return 1; }
		local args=(mount -f) root=$src mp=$mnt
		if [[ $name == *+inplace ]]; then mp=$src; WDIR=$src; fi
		# config, audit trail and store go under the target's dir, never
		# the user's: XDG dirs point there, and a variant's INI is copied
		# with [guard] root and mountpoint prepended
		mkdir -p "$d/xdg/config/guardfs" "$d/xdg/state" "$d/xdg/data"
		# the workloads delete whole trees (rm-rf)
		bench_far_limits "$d/limits.ini"
		cp "$d/limits.ini" "$d/xdg/config/guardfs/config.ini"
		chmod 600 "$d/xdg/config/guardfs/config.ini"
		cfg=$(guardfs_cfg_file "$name")
		if [[ -n $cfg ]]; then
			[[ -r $cfg ]] || { echo "no such guardfs config: $cfg" >>"$d/mount.log"; return 1; }
			{ printf '[guard]\nroot = %s\nmountpoint = %s\n' "$root" "$mp"; cat "$cfg"
			  grep -q '^\[limits\]' "$cfg" || cat "$d/limits.ini"; } > "$d/guardfs.ini"
			chmod 600 "$d/guardfs.ini"
			args+=(-c "$d/guardfs.ini")
		else
			args+=("$root" "$mp")
		fi
		echo "+ $GUARDFS_BIN ${args[*]}" >>"$d/mount.log"
		XDG_CONFIG_HOME=$d/xdg/config XDG_STATE_HOME=$d/xdg/state XDG_DATA_HOME=$d/xdg/data \
			"$GUARDFS_BIN" "${args[@]}" >>"$d/mount.log" 2>&1 &
		pid=$!
		mnt=$mp ;;
	*)
		echo "unknown target '$name'" >>"$d/mount.log"; return 1 ;;
	esac
	MOUNT_PID[$mnt]=$pid
	ACTIVE_MNT=$mnt
	if ! wait_mounted "$mnt" "$pid"; then
		if kill -0 "$pid" 2>/dev/null; then
			echo "mount did not appear at $mnt within 10 s (daemon pid $pid still running; killed)" >>"$d/mount.log"
		else
			wait "$pid"
			echo "daemon exited with status $? before $mnt was mounted" >>"$d/mount.log"
		fi
		unmount_one "$mnt"
		ACTIVE_MNT=""
		return 1
	fi
	return 0
}

unmount_target() {
	[[ -n $ACTIVE_MNT ]] && unmount_one "$ACTIVE_MNT"
	ACTIVE_MNT=""
}

# --------------------------------------------------------------- workloads --
drop_caches() { sync; echo 3 > /proc/sys/vm/drop_caches; }

# timed NAME CMD: run CMD (a bash string) in $WDIR under the time limit, and
# append "run target workload seconds status" to the raw file. Time is taken
# inside the child, around CMD only.
timed() {
	local wl=$1 cmd=$2 rc tf=$WORKDIR/timefile secs status=ok
	sync   # no dirty data of the previous step left to flush in this one
	rm -f "$tf"
	(cd "$WDIR" && timeout -k 10 "$TIMEOUT" bash -c '
		s=$EPOCHREALTIME; eval "$1"; rc=$?; e=$EPOCHREALTIME
		echo "$s $e" > "$2"; exit $rc' _ "$cmd" "$tf") >"$WORKDIR/wl.out" 2>"$WORKDIR/wl.err"
	rc=$?
	if [[ -s $tf ]]; then
		secs=$(awk '{printf "%.4f", $2 - $1}' "$tf")
	else
		secs=NA
	fi
	if ((rc == 124 || rc == 137)); then
		status=timeout; secs=NA
	elif ((rc != 0)); then
		status=fail
	fi
	if [[ $status != ok ]]; then
		log "  $wl: $status (exit $rc): $(head -c 300 "$WORKDIR/wl.err" | tr '\n' ' ')"
	fi
	printf '%s\t%s\t%s\t%s\t%s\n' "$CUR_RUN" "$CUR_TARGET" "$wl" "$secs" "$status" >> "$RAW"
	printf '    %-16s %8s s %s\n' "$wl" "$secs" "$([[ $status == ok ]] || echo "$status")" >&2
	[[ $status == ok ]]
}

# in $WDIR (untimed helpers)
inwd() { (cd "$WDIR" && eval "$1") >/dev/null 2>&1; }

run_workloads() {
	local has_tree=0
	# 1. extract the tree (tarball warm in the page cache, target empty)
	cat "$IN/tree.tar" > /dev/null
	if want extract; then
		timed extract 'tar -xf "$IN/tree.tar"' && has_tree=1
	fi
	if ((!has_tree)); then
		inwd 'tar -xf "$IN/tree.tar"' && has_tree=1
	fi
	# 2. find + lstat of every entry, cold
	if want find; then
		drop_caches
		timed find 'find tree -printf "%s\n" >/dev/null'
	fi
	# 3. stat of every path by its full name, cold (lookups + getattr)
	if want stat-all; then
		drop_caches
		timed stat-all 'xargs -0 -a "$IN/paths0" stat -c %s >/dev/null'
	fi
	# 4. grep -r over the whole tree, cold (output to a file: grep stops at
	#    the first match when its output is /dev/null)
	if want grep; then
		drop_caches
		timed grep 'grep -rn -e fsync -e xattr tree > "$WORKDIR/grep.out"; [ $? -le 1 ]'
	fi
	# 5. git init (untimed), then add + commit of the whole tree
	if want git-commit || want git-status-warm || want git-status-cold; then
		inwd 'cd tree && git init -q'
		if want git-commit; then
			timed git-commit 'cd tree && git add -A && git commit -q -m bench'
		else
			inwd 'cd tree && git add -A && git commit -q -m bench'
		fi
	fi
	# 6. git status, warm (after two untimed ones) and cold
	if want git-status-warm; then
		inwd 'cd tree && git status && git status'
		timed git-status-warm 'cd tree && git status --porcelain >/dev/null'
	fi
	if want git-status-cold; then
		inwd 'cd tree && git status'
		drop_caches
		timed git-status-cold 'cd tree && git status --porcelain >/dev/null'
	fi
	# 7. rm -rf of the tree (with its .git)
	if want rm-rf; then
		timed rm-rf 'rm -rf tree'
	else
		inwd 'rm -rf tree'
	fi
	# 8. sequential write with fsync, then cold sequential read
	if want write-1g || want read-1g-cold; then
		if want write-1g; then
			timed write-1g 'dd if=/dev/zero of=big bs=1M count=$WRITE_MIB conv=fsync status=none'
		else
			inwd 'dd if=/dev/zero of=big bs=1M count=$WRITE_MIB conv=fsync status=none'
		fi
		if want read-1g-cold; then
			drop_caches
			timed read-1g-cold 'dd if=big of=/dev/null bs=1M status=none'
		fi
		inwd 'rm -f big'
	fi
	# 9. sqlite: N inserts, each its own durable transaction
	if want sqlite; then
		timed sqlite 'sqlite3 bench.db < "$IN/tx.sql" >/dev/null'
		inwd 'rm -f bench.db bench.db-journal'
	fi
	# 10. make -j2 of the generated C project
	if want make; then
		inwd 'tar -xf "$IN/cproj.tar"'
		timed make 'make -s -j2 -C cproj && ./cproj/prog >/dev/null'
		inwd 'rm -rf cproj'
	fi
}
export IN WORKDIR WRITE_MIB

# ---------------------------------------------------------------- the run --
START=$EPOCHSECONDS
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
if awk -v l="${LOAD_START%% *}" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
	log "warning: load average is $LOAD_START on $(nproc) CPUs: other work on this machine will make the timings noisy"
fi
OTHER_FUSE=$(findmnt -rn -o FSTYPE,TARGET | awk '$1 ~ /^fuse(\.|$)/ {print $2}' | tr '\n' ' ')
if [[ -n $OTHER_FUSE ]]; then
	log "warning: FUSE mounts not ours are active ($OTHER_FUSE): another benchmark running at the same time disturbs this one (CPU, drop_caches)"
fi
STAMP=$(date -u +%Y-%m-%dT%H%M%SZ)
IFS=, read -ra TLIST <<<"$TARGETS"
declare -A SKIPPED=()

log "targets: ${TLIST[*]}; runs: $RUNS; quick: $QUICK; work dir: $WORKDIR"
prepare_inputs
build_examples

for ((r = 1; r <= RUNS; r++)); do
	n=${#TLIST[@]}
	for ((k = 0; k < n; k++)); do
		# rotate the order each run, so drift is spread over the targets
		t=${TLIST[(k + r - 1) % n]}
		[[ -n ${SKIPPED[$t]:-} ]] && continue
		CUR_RUN=$r CUR_TARGET=$t
		d=$WORKDIR/t/$(printf '%s' "$t" | tr -c 'A-Za-z0-9_.+-' '_')
		rm -rf --one-file-system "$d"; mkdir -p "$d"
		drop_caches
		if ! mount_target "$t" "$d"; then
			SKIPPED[$t]="mount failed: $(tail -n 5 "$d/mount.log" | tr '\n' ' ')"
			log "SKIPPING $t: ${SKIPPED[$t]}"
			rm -rf --one-file-system "$d"
			continue
		fi
		log "run $r/$RUNS: $t ($(findmnt -no FSTYPE -T "$WDIR")) in $WDIR"
		run_workloads
		unmount_target
		if [[ -s $d/mount.log ]] && grep -qiv '^+ ' "$d/mount.log"; then
			log "  $t said: $(grep -v '^+ ' "$d/mount.log" | head -n 3 | tr '\n' ' ')"
		fi
		[[ -z $(mounts_under "$d") ]] && rm -rf --one-file-system "$d"
	done
done
ELAPSED=$((EPOCHSECONDS - START))
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# ------------------------------------------------------------------ report --
mkdir -p "$OUTDIR"
REPORT=$OUTDIR/$STAMP.md
cp "$RAW" "$OUTDIR/$STAMP.tsv"

order_t=""
for t in "${TLIST[@]}"; do [[ -z ${SKIPPED[$t]:-} ]] && order_t+="$t,"; done
order_t=${order_t%,}

{
	echo "# guardfs bench, $STAMP"
	echo
	echo "- machine: $(nproc) CPUs ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM, kernel $(uname -r), $(fs_description) at $WORKDIR"
	echo "- libfuse $(pkg-config --modversion fuse3), $(bindfs --version 2>/dev/null | head -n1)$(command -v fuse-overlayfs >/dev/null && echo ", fuse-overlayfs $(fuse-overlayfs --version 2>/dev/null | awk '/^fuse-overlayfs/{print $NF}')")"
	echo "- guardfs: $GUARDFS_BIN ($(cd "$REPO_DIR" && git rev-parse --short HEAD 2>/dev/null)); fuse enable_uring: $(cat "$URING_SWITCH" 2>/dev/null || echo absent) (guardfs requests over io_uring where Y)"
	echo "- runs: $RUNS ($STAT reported)$( ((QUICK)) && echo ', QUICK sizes (smoke test, not comparable)')"
	echo "- tree: $N_FILES files, $N_DIRS dirs, $N_LINKS symlinks from /usr/include (${TREE_MB} MB); write: ${WRITE_MIB} MiB; sqlite: $SQL_TX transactions; make: $C_FILES C files, -j2"
	echo "- wall time of the whole run: $((ELAPSED / 60)) min $((ELAPSED % 60)) s; load average at start $LOAD_START, at end $LOAD_END (other load on the machine makes the numbers noisy)"
	echo
	awk -F'\t' -v stat="$STAT" -v order_t="$order_t" -v order_w="${WORKLOADS[*]}" '
	function median(key,   n, i, j, tmp, a, parts) {
		n = split(vals[key], parts, " ")
		for (i = 1; i <= n; i++) a[i] = parts[i] + 0
		for (i = 2; i <= n; i++) { tmp = a[i]; for (j = i - 1; j >= 1 && a[j] > tmp; j--) a[j + 1] = a[j]; a[j + 1] = tmp }
		if (n == 0) return -1
		if (stat == "min") return a[1]
		return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	{
		key = $2 SUBSEP $3
		if ($5 == "ok" && $4 != "NA") { vals[key] = vals[key] " " $4; okn[key]++ }
		else bad[key] = bad[key] ? bad[key] : $5
	}
	END {
		nt = split(order_t, T, ",")
		nw = split(order_w, W, " ")
		peer_re = "^(bindfs|passthrough_ll|passthrough|fuse-overlayfs)$"
		hdr = "| workload |"; sep = "|---|"
		for (i = 1; i <= nt; i++) { hdr = hdr " " T[i] " |"; sep = sep "---:|" }
		print hdr; print sep
		for (w = 1; w <= nw; w++) {
			line = "| " W[w] " |"
			nat = median("native" SUBSEP W[w])
			for (i = 1; i <= nt; i++) {
				key = T[i] SUBSEP W[w]
				if (bad[key] != "" || okn[key] == 0) { line = line " " (bad[key] != "" ? toupper(bad[key]) : "-") " |"; complete[T[i]] = "no"; continue }
				m = median(key); med[key] = m; tot[T[i]] += m
				if (nat > 0) { ratio[key] = m / nat; cell = sprintf("%.3f (%.2fx)", m, m / nat); lg[T[i]] += log(m / nat); lgn[T[i]]++ }
				else cell = sprintf("%.3f", m)
				line = line " " cell " |"
			}
			print line
		}
		line = "| **TOTAL** (sum of " (stat == "min" ? "minima" : "medians") ") |"
		ntot = tot["native"]
		for (i = 1; i <= nt; i++) {
			c = sprintf("%.2f", tot[T[i]])
			if (ntot > 0) c = c sprintf(" (**%.2fx**)", tot[T[i]] / ntot)
			if (complete[T[i]] == "no") c = c " incomplete"
			line = line " " c " |"
		}
		print line
		line = "| geomean of ratios |"
		for (i = 1; i <= nt; i++) line = line " " (lgn[T[i]] ? sprintf("%.2fx", exp(lg[T[i]] / lgn[T[i]])) : "-") " |"
		print line
		# guardfs targets against the best FUSE peer, per workload
		ng = 0
		for (i = 1; i <= nt; i++) if (T[i] ~ /^guardfs/) G[++ng] = T[i]
		np = 0
		for (i = 1; i <= nt; i++) if (T[i] ~ peer_re) P[++np] = T[i]
		if (ng > 0 && np > 0 && ntot > 0) {
			print ""
			print "guardfs against the best FUSE peer of this run (ratio to native of guardfs / of the best peer; over 1.10 misses the target):"
			print ""
			hdr = "| workload | best peer |"; sep = "|---|---|"
			for (g = 1; g <= ng; g++) { hdr = hdr " " G[g] " |"; sep = sep "---:|" }
			print hdr; print sep
			for (w = 1; w <= nw; w++) {
				best = ""; br = 0
				for (p = 1; p <= np; p++) { key = P[p] SUBSEP W[w]; if ((key in ratio) && (best == "" || ratio[key] < br)) { best = P[p]; br = ratio[key] } }
				line = "| " W[w] " | " (best == "" ? "-" : sprintf("%s %.2fx", best, br)) " |"
				for (g = 1; g <= ng; g++) {
					key = G[g] SUBSEP W[w]
					if (!(key in ratio) || best == "") { line = line " - |"; continue }
					q = ratio[key] / br
					line = line sprintf(" %.2f%s |", q, q > 1.10 ? " **MISS**" : "")
				}
				print line
			}
		}
	}' "$RAW"
	if ((${#SKIPPED[@]})); then
		echo
		echo "Skipped targets:"
		echo
		for t in "${!SKIPPED[@]}"; do echo "- \`$t\`: ${SKIPPED[$t]}"; done
	fi
	echo
	echo "Cells: $STAT seconds over the runs (ratio to native). FAIL / TIMEOUT: the workload failed in some run (see the .tsv and the log)."
} > "$REPORT"

echo
cat "$REPORT"
echo
log "report: $REPORT (raw timings: $OUTDIR/$STAMP.tsv); took $((ELAPSED / 60)) min $((ELAPSED % 60)) s"
