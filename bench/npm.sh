#!/usr/bin/env bash
# bench/npm.sh: `npm ci` of a mid-size project from a local cache, then
# `rm -rf node_modules` (issue 12), on the native folder and through
# guardfs with its defaults (hiding, content scan, snapshots on;
# node_modules/ is guarded but, by the default excludes, not recorded).
# The cache is filled once from the registry (the only step that needs
# the network); every timed `npm ci` runs --offline. The targets
# alternate, RUNS rounds.
#
#   bench/npm.sh [--runs N] [--guardfs BIN] [--workdir DIR]
set -uo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/env-lib.sh
. "$BENCH_DIR/env-lib.sh"
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
RUNS=3
GUARDFS_BIN=${GUARDFS:-$REPO_DIR/build/guardfs}
WORKDIR=/var/tmp/gfs-bench-npm

usage() {
	cat <<EOF
usage: bench/npm.sh [--runs N] [--guardfs BIN] [--workdir DIR]
  --runs N        rounds, the targets alternating (default $RUNS)
EOF
	bench_common_usage
}

while (($#)); do
	case $1 in
	--runs) RUNS=$2; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) bench_common_option "$@" || { usage >&2; exit 2; }; shift 2 ;;
	esac
done

command -v npm >/dev/null || { echo "bench/npm.sh: npm is not installed" >&2; exit 1; }
bench_preflight npm.sh

bench_private_xdg "$WORKDIR" || exit 1
export npm_config_cache=$WORKDIR/npm-cache npm_config_update_notifier=false
export npm_config_fund=false npm_config_audit=false
NATIVE=$WORKDIR/native
GUARDED=$WORKDIR/guarded
mkdir "$NATIVE" "$GUARDED"
cleanup() {
	grep -q " $GUARDED fuse.guardfs " /proc/mounts &&
		"$GUARDFS_BIN" umount "$GUARDED" >/dev/null 2>&1
	rm -rf "$WORKDIR"
}
trap cleanup EXIT

# A web project's usual dependencies: a server, a UI library, a bundler,
# a type checker, a linter and a formatter (about 300 packages).
cat >"$NATIVE/package.json" <<'EOF'
{
  "name": "gfs-bench-npm",
  "version": "1.0.0",
  "private": true,
  "dependencies": {
    "express": "4.21.2",
    "lodash": "4.17.21",
    "react": "18.3.1",
    "react-dom": "18.3.1"
  },
  "devDependencies": {
    "eslint": "8.57.1",
    "prettier": "3.3.3",
    "typescript": "5.6.3",
    "webpack": "5.96.1",
    "webpack-cli": "5.1.4"
  }
}
EOF
echo "filling the npm cache from the registry (once)..." >&2
(cd "$NATIVE" && npm install --silent >/dev/null 2>&1) ||
	{ echo "bench/npm.sh: npm install from the registry failed" >&2; exit 1; }
cp "$NATIVE/package.json" "$NATIVE/package-lock.json" "$GUARDED/"
rm -rf "$NATIVE/node_modules"

"$GUARDFS_BIN" mount "$GUARDED" >/dev/null || exit 1

secs() { bench_secs "$1" "$2"; }

results=()
for run in $(seq "$RUNS"); do
	for target in native guardfs; do
		dir=$NATIVE
		[ "$target" = guardfs ] && dir=$GUARDED
		sync
		t0=$(bench_now)
		(cd "$dir" && npm ci --offline --silent >/dev/null 2>&1) ||
			{ echo "bench/npm.sh: npm ci failed ($target)" >&2; exit 1; }
		t1=$(bench_now)
		files=$(find "$dir/node_modules" | wc -l)
		sync
		t2=$(bench_now)
		rm -rf "$dir/node_modules" ||
			{ echo "bench/npm.sh: rm -rf failed ($target)" >&2; exit 1; }
		t3=$(bench_now)
		results+=("$target $(secs "$t0" "$t1") $(secs "$t2" "$t3") $files")
		echo "run $run $target: npm ci $(secs "$t0" "$t1") s, rm -rf $(secs "$t2" "$t3") s ($files entries)" >&2
	done
done

printf '%s\n' "${results[@]}" | python3 -c '
import statistics, sys
rows = {}
for line in sys.stdin:
    t, ci, rm, n = line.split()
    rows.setdefault(t, []).append((float(ci), float(rm), int(n)))
med = lambda xs: statistics.median(xs)
n = rows["native"][0][2]
print(f"# bench/npm.sh: npm ci --offline of a {n}-entry node_modules, then rm -rf\n")
print("| | npm ci (s) | rm -rf node_modules (s) |")
print("|---|---:|---:|")
for t in ("native", "guardfs"):
    ci = med([r[0] for r in rows[t]]); rm = med([r[1] for r in rows[t]])
    print(f"| {t}, median of {len(rows[t])} | {ci:.2f} | {rm:.2f} |")
nci = med([r[0] for r in rows["native"]]); nrm = med([r[1] for r in rows["native"]])
gci = med([r[0] for r in rows["guardfs"]]); grm = med([r[1] for r in rows["guardfs"]])
print(f"| guardfs / native | {gci / nci:.2f}x | {grm / nrm:.2f}x |")'
