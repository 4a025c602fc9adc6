# shellcheck shell=bash
# Shared by the bench scripts; sourced.

# bench_private_xdg DIR: HOME and the XDG directories under DIR, so that
# the bench's stores, audit trails, configs and control sockets never mix
# with the user's (the runtime directory 0700, as guardfs requires).
bench_private_xdg() {
	export HOME=$1/home XDG_STATE_HOME=$1/state
	export XDG_DATA_HOME=$1/data XDG_CONFIG_HOME=$1/config
	export XDG_RUNTIME_DIR=$1/run
	mkdir -p "$HOME" "$XDG_STATE_HOME" "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" &&
		mkdir -m 0700 "$XDG_RUNTIME_DIR"
}

# The options and checks of the one-workload scripts (npm.sh, sandbox.sh,
# bigfile.sh, umount.sh), which use GUARDFS_BIN and WORKDIR.
# bench_common_usage: the usage lines of --guardfs and --workdir.
bench_common_usage() {
	cat <<EOF
  --guardfs BIN   guardfs binary (default: \$GUARDFS or build/guardfs)
  --workdir DIR   scratch dir, created and removed (default $WORKDIR)
EOF
}

# bench_common_option OPTION VALUE: takes --guardfs BIN or --workdir DIR
# (the caller shifts both words); fails on any other option.
bench_common_option() {
	case $1 in
	--guardfs) GUARDFS_BIN=$2 ;;
	--workdir) WORKDIR=$2 ;;
	*) return 1 ;;
	esac
}

# bench_preflight NAME: the guardfs binary is there and the work dir is
# not (it is made, and removed, by the script NAME).
bench_preflight() {
	[ -x "$GUARDFS_BIN" ] || { echo "bench/$1: no guardfs at $GUARDFS_BIN" >&2; exit 1; }
	[ -e "$WORKDIR" ] && { echo "bench/$1: $WORKDIR exists; remove it first" >&2; exit 1; }
	return 0
}

# bench_now: the wall clock in seconds, with nanoseconds.
bench_now() { date +%s.%N; }

# bench_secs START END [DIGITS]: END - START, printed with DIGITS (2).
bench_secs() {
	python3 -c "import sys; print('%.*f' % (int(sys.argv[3]), float(sys.argv[2]) - float(sys.argv[1])))" \
		"$1" "$2" "${3:-2}"
}

# bench_far_limits FILE: a config (0600) whose [limits] sit far from any
# workload: the bench deletes whole trees, and the breaker then counts
# every operation as usual without ever freezing the mount, so the bench
# times its cost, never a freeze.
bench_far_limits() {
	printf '%s\n' '[limits]' 'deletes_per_minute = 1000000000' \
		'renames_per_minute = 1000000000' \
		'bytes_written_per_minute = 1000T' 'delete_fraction = 1' >"$1" &&
		chmod 600 "$1"
}

# bench_build_passthrough_ll OUT: libfuse's passthrough_ll example, the
# FUSE peer, built from libfuse3-dev's copy.
bench_build_passthrough_ll() {
	local ex=/usr/share/doc/libfuse3-dev/examples/passthrough_ll.c
	[ -x "$1" ] && return 0
	mkdir -p "$(dirname "$1")" || return
	# pkg-config's flags are words of their own
	# shellcheck disable=SC2046
	cc -O2 -o "$1" "$ex" $(pkg-config --cflags --libs fuse3)
}

# bench_passthrough_ll_mount BIN SOURCE MOUNTPOINT: mounted the way
# bench/run.sh mounts the peer (writeback, cache=always), in the
# background; prints its pid once the mount is there. It holds a
# descriptor per inode the kernel knows, so on a tree larger than the
# descriptor limit (20,000 here, which root cannot raise on this VM) it
# fails with EMFILE, and the table says so: guardfs bounds its own
# (issue 12).
bench_passthrough_ll_mount() {
	local pid
	mkdir -p "$3"
	"$1" -f -o source="$2",writeback,cache=always "$3" >/dev/null 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		mountpoint -q "$3" && { echo "$pid"; return 0; }
		sleep 0.1
	done
	kill "$pid" 2>/dev/null
	return 1
}
