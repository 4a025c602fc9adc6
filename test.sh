#!/bin/bash
# The whole test suite, as CI runs it: installs the dependencies, checks
# the formatting, builds with warnings as errors, runs every test, then
# builds again with AddressSanitizer and UndefinedBehaviorSanitizer and
# runs every test once more (over io_uring, then over /dev/fuse, where the
# kernel has both; see below). Needs root (the tests mount FUSE file
# systems, change owners and create a test user).
#
#   ./test.sh          everything
#   ./test.sh --quick  skip the sanitizer pass
#
# As a user it runs itself again through sudo; as root it needs no sudo.
set -euo pipefail
cd "$(dirname "$0")"

if [ "$(id -u)" -ne 0 ]; then
	if ! command -v sudo >/dev/null; then
		echo "test.sh: needs root (the tests mount FUSE filesystems); run it as root, or install sudo" >&2
		exit 1
	fi
	exec sudo "$PWD/test.sh" "$@"
fi

quick=no
[ "${1:-}" = "--quick" ] && quick=yes

scripts/install-deps.sh

echo "== format check"
# The scanner's corpus holds sample files, not our code.
files=$(git ls-files '*.c' '*.h' ':!tests/corpus')
clang-format --dry-run --Werror $files

run_suite() { # BUILD-DIR CMAKE-ARGS...
	local dir=$1
	shift
	echo "== build $dir $*"
	cmake -S . -B "$dir" -DGFS_WERROR=ON "$@" >/dev/null
	cmake --build "$dir" -j"$(nproc)" >/dev/null
	echo "== test $dir"
	ctest --test-dir "$dir" --output-on-failure -j2
}

# FUSE over io_uring is a switch of the fuse module (enable_uring, Linux
# >= 6.14). Where it exists, the first pass runs every test with requests
# over io_uring and the sanitizer pass over /dev/fuse; the machine's own
# setting is put back at the end.
uring_switch=/sys/module/fuse/parameters/enable_uring
uring_saved=
if [ -w "$uring_switch" ]; then
	uring_saved=$(cat "$uring_switch")
	trap 'echo "$uring_saved" >"$uring_switch"' EXIT
fi
requests_by() { # Y|N
	if [ -n "$uring_saved" ]; then
		echo "$1" >"$uring_switch"
		echo "== requests over $([ "$1" = Y ] && echo io_uring || echo /dev/fuse)"
	fi
}

requests_by Y
run_suite build
if [ "$quick" = no ]; then
	requests_by N
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		run_suite build-asan -DGFS_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
fi
