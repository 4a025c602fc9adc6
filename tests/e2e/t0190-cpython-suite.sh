#!/bin/bash
# Third-party conformance: CPython's own filesystem tests (Debian's
# libpython3.11-testsuite), run in a folder behind libfuse's passthrough_ll
# example and in one behind guardfs with its defaults, in the same run.
# Every subtest that passes on passthrough_ll must pass through guardfs,
# or be listed in cpython-expected.txt with the deliberate refusal behind it.
. "$(dirname "$0")/lib.sh"
# These operations delete and rename far past the breaker's defaults in
# seconds; the breaker has tests of its own (t0134 to t0138).
breaker_off

PY=/usr/bin/python3
SUITE=$($PY -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')/test
[ -e "$SUITE/test_os.py" ] ||
	{ echo "FAIL: $SUITE missing (scripts/install-deps.sh installs it)"; exit 1; }
TESTS="test_os test_shutil test_tempfile test_pathlib test_posix test_posixpath
test_genericpath test_glob test_fileio test_stat test_filecmp test_tarfile
test_zipfile"
HERE=$(cd "$(dirname "$0")/.." && pwd)

PT=$T/pt
mkdir -p "$T/pt-src" "$PT" "$T/g"
check "build passthrough_ll" build_passthrough_ll

# run_suite DIR LOG: the tests, their temporary files in DIR.
run_suite() {
	mkdir -p "$1/tmp" && (cd "$1" && TMPDIR=$1/tmp timeout 900 $PY -m test \
		--tempdir "$1/tmp" -v $TESTS >"$2" 2>&1)
	grep -E "^(Total duration|Tests result)" "$2" | tr '\n' ' '
	echo
}

check "mount passthrough_ll" passthrough_ll_mount "$T/pt-src" "$PT"
echo "passthrough_ll: $(run_suite "$PT" "$T/pt.suite.log")"
fusermount3 -u "$PT"

check "mount guardfs (defaults)" gfs_mount "$T/g" "$T/g"
echo "guardfs: $(run_suite "$T/g" "$T/g.suite.log")"
check "unmount" gfs_umount "$T/g"

$PY "$HERE/suites/cpython-compare.py" "$T/pt.suite.log" "$T/g.suite.log" \
	"$HERE/suites/cpython-expected.txt" >"$T/compare.txt"
rc=$?
sed 's/^/  /' "$T/compare.txt"
check_eq "every difference is a deliberate refusal" 0 "$rc"
test_done
