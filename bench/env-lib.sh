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

# bench_now: the wall clock in seconds, with nanoseconds.
bench_now() { date +%s.%N; }

# bench_secs START END [DIGITS]: END - START, printed with DIGITS (2).
bench_secs() {
	python3 -c "import sys; print('%.*f' % (int(sys.argv[3]), float(sys.argv[2]) - float(sys.argv[1])))" \
		"$1" "$2" "${3:-2}"
}
