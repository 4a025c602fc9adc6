#!/bin/bash
# Third-party conformance: stress-ng's filesystem stressors (Debian's
# stress-ng, with --verify), each run in a folder behind libfuse's
# passthrough_ll example and in one behind guardfs with its defaults, in
# the same run. A stressor that passes on passthrough_ll must pass through
# guardfs, or be listed in tests/suites/stress-ng-expected.txt with the
# deliberate refusal behind it.
. "$(dirname "$0")/lib.sh"
# stress-ng deletes, renames and writes far past the breaker's defaults in
# seconds; the breaker has tests of its own (t0134 to t0138).
breaker_off

command -v stress-ng >/dev/null ||
	{ echo "FAIL: stress-ng missing (scripts/install-deps.sh installs it)"; exit 1; }
HERE=$(cd "$(dirname "$0")/.." && pwd)
# The stressors that work in a folder (not the ones that need a device,
# a mount of their own, notifications or leases, which FUSE lacks), and
# not io and iomix: they call sync() on every filesystem of the machine,
# the mounts of tests running beside this one included, whose unmounts
# then find them busy.
STRESSORS="access chdir chmod chown copy-file dentry dir dirdeep dirmany
fallocate fcntl fiemap file-ioctl filename flock fpunch fsize fstat getdent
handle hdd inode-flags link locka lockf lockofd mknod open rename symlink
sync-file touch utime xattr"

# run_all DIR OUT: one line per stressor, "name passed|failed|skipped",
# and its log in OUT.NAME.log.
run_all() {
	local s log
	for s in $STRESSORS; do
		log=$2.$s.log
		stress-ng --temp-path "$1" --"$s" 1 --"$s"-ops 300 --timeout 3s \
			--verify >"$log" 2>&1
		# stress-ng's exit status: 0 passed, 3 not implemented here,
		# 4 out of a resource; anything else is a failure
		case $? in
		0) echo "$s passed" ;;
		3 | 4) echo "$s skipped" ;;
		*) echo "$s failed" ;;
		esac
	done >"$2"
}

mkdir -p "$T/pt-src" "$T/pt" "$T/g"
check "build passthrough_ll" build_passthrough_ll
check "mount passthrough_ll" passthrough_ll_mount "$T/pt-src" "$T/pt"
run_all "$T/pt" "$T/pt.out"
fusermount3 -u "$T/pt"

check "mount guardfs (defaults)" gfs_mount "$T/g" "$T/g"
run_all "$T/g" "$T/g.out"
check "unmount" gfs_umount "$T/g"

echo "passthrough_ll: $(grep -c passed "$T/pt.out") passed, $(grep -c failed "$T/pt.out") failed, $(grep -c skipped "$T/pt.out") skipped"
echo "guardfs:        $(grep -c passed "$T/g.out") passed, $(grep -c failed "$T/g.out") failed, $(grep -c skipped "$T/g.out") skipped"
echo "  failed on passthrough_ll: $(awk '$2 == "failed" {printf "%s ", $1}' "$T/pt.out")"
echo "  skipped through guardfs: $(awk '$2 == "skipped" {printf "%s ", $1}' "$T/g.out")"
differ=$(join "$T/pt.out" "$T/g.out" | awk '$2 == "passed" && $3 != "passed" {print $1}')
unexplained=
for s in $differ; do
	why=$(sed -n "s/^$s *# *//p" "$HERE/suites/stress-ng-expected.txt")
	if [ -n "$why" ]; then
		echo "  allowed $s: $why"
	else
		echo "  DIFFERS $s: $(grep -m3 "fail\|error" "$T/g.out.$s.log" | tr '\n' ' ')"
		unexplained+=" $s"
	fi
done
check_eq "every difference is a deliberate refusal" "" "$unexplained"
test_done
