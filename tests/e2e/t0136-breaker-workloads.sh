#!/bin/bash
# The breaker's defaults never trip everyday work: extracting a tarball,
# building a C project with make and cleaning it, checking out branches
# that differ by hundreds of files, `git clean -fdx`, and `npm install`
# from local tarballs (offline) then `rm -rf node_modules`. The README's
# "Breaker and kill switch" has the measured numbers behind the defaults.
# (This one guards the defaults: it fails when they are set too tight.)
. "$(dirname "$0")/lib.sh"

R=$T/root
mkdir -p "$R"
check "mount with the default limits" gfs_mount "$R" "$R"
audit=$(audit_file "$R")

# after NAME: the workload left the mount thawed; the next one starts on
# a fresh mount, in a fresh minute, as a workload an hour later would.
after() {
	local counts
	counts=$(status_field "$R" breaker)
	echo "$1 (${SECONDS}s): $counts"
	check_eq "$1: not frozen ($counts)" no "$(status_field "$R" frozen)"
	check "$1: umount" gfs_umount "$R"
	check "$1: mount again" gfs_mount "$R" "$R"
}

# 1. extract part of /usr/include (some 2,000 entries)
tar -C /usr -cf "$T/include.tar" include/linux include/asm-generic \
	include/x86_64-linux-gnu $(cd /usr && ls -d include/c++ 2>/dev/null)
check "extract a tarball" tar -C "$R" -xf "$T/include.tar"
after extract

# 2. a C project: build, clean, build again
bash "$GFS_SOURCE_DIR/bench/gen-cproj.sh" "$R/proj" 60
check "make" make -C "$R/proj" -j2 -s
check "make clean" make -C "$R/proj" -s clean
check "make again" make -C "$R/proj" -j2 -s
after make

# 3. git: branches 260 files apart, switched both ways, then a clean
g() { git -C "$R/proj" -c user.email=t@t -c user.name=t "$@"; }
printf 'obj/\nprog\n' >"$R/proj/.gitignore"
check "git init and commit" bash -c 'git -C "$1" init -q -b main && git -C "$1" add -A &&
	git -C "$1" -c user.email=t@t -c user.name=t commit -qm base' _ "$R/proj"
check "a branch" g checkout -q -b feature
mkdir -p "$R/proj/gen"
for i in $(seq 1 200); do echo "generated $i" >"$R/proj/gen/g$i.c"; done
for i in $(seq 0 49); do echo "/* edited */" >>"$R/proj/src/unit_$i.c"; done
git -C "$R/proj" rm -q "src/unit_5"[0-9].c
check "commit the branch" bash -c 'git -C "$1" add -A &&
	git -C "$1" -c user.email=t@t -c user.name=t commit -qm feature' _ "$R/proj"
for b in main feature main; do
	check "checkout $b" g checkout -q "$b"
done
after "git checkout"
check "make" make -C "$R/proj" -j2 -s
check "git clean -fdx" g clean -fdxq
after "git clean"

# 4. npm install from local tarballs, offline; then remove node_modules
if command -v npm >/dev/null; then
	mkdir -p "$T/pkgs" "$R/app"
	for p in $(seq 1 8); do
		d=$T/src/pkg$p
		mkdir -p "$d/lib"
		printf '{"name":"pkg%s","version":"1.0.0"}\n' "$p" >"$d/package.json"
		for f in $(seq 1 100); do echo "module.exports = $f;" >"$d/lib/m$f.js"; done
		(cd "$T/pkgs" && npm pack --silent "$d" >/dev/null 2>&1)
	done
	echo '{"name":"app","version":"1.0.0","private":true}' >"$R/app/package.json"
	check "npm install (offline)" bash -c 'cd "$1" && npm install --offline --no-audit --no-fund \
		--cache "$2/npm-cache" "$2"/pkgs/*.tgz >/dev/null 2>&1' _ "$R/app" "$T"
	check_eq "the packages are in" 8 "$(ls "$R/app/node_modules" | grep -c '^pkg')"
	check "rm -rf node_modules" rm -rf "$R/app/node_modules"
	check "npm install again" bash -c 'cd "$1" && npm install --offline --no-audit --no-fund \
		--cache "$2/npm-cache" >/dev/null 2>&1' _ "$R/app" "$T"
	after npm
fi

# 5. and delete a tenth of a 2,000-file tree
mkdir -p "$R/data"
for i in $(seq 1 2000); do echo "$i" >"$R/data/f$i"; done
check "delete a tenth" rm -f "$R"/data/f1?? "$R"/data/f2??

check_eq "never frozen" no "$(status_field "$R" frozen)"
check_eq "counted: the deletes of the last minute" deletes=200/1000 \
	"$(status_field "$R" breaker | cut -d' ' -f1)"
check "umount" gfs_umount "$R"
check_fails "no freeze in the audit trail" grep -q '"op":"freeze"' "$audit"
test_done
