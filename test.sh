#!/bin/bash
# The whole test suite, as CI runs it: installs the dependencies, checks
# the formatting, builds with warnings as errors, runs every test, then
# builds again with AddressSanitizer and UndefinedBehaviorSanitizer and
# runs every test once more. Needs root (the tests mount FUSE file
# systems, change owners and create a test user).
#
#   ./test.sh          everything
#   ./test.sh --quick  skip the sanitizer pass
set -euo pipefail
cd "$(dirname "$0")"

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

run_suite build
if [ "$quick" = no ]; then
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		run_suite build-asan -DGFS_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
fi
