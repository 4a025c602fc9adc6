#!/bin/bash
# Installs what guardfs needs to build, test and benchmark, from Debian's
# packages. Safe to run again: apt-get skips what is there.
set -euo pipefail

packages=(
	build-essential cmake pkg-config git
	libfuse3-dev fuse3 libgit2-dev libxxhash-dev libinih-dev libpcre2-dev
	zlib1g-dev libdeflate-dev liblzma-dev libzstd-dev libbz2-dev libssl-dev
	# tests and tools used inside the mount (vim: real swap files)
	python3 sqlite3 make util-linux clang-format vim
	# compressors whose output the scanner decodes (test fixtures)
	xz-utils zstd bzip2
	# third-party suites run through the mount
	libpython3.11-testsuite stress-ng
	# more tools the tests run inside the mount
	python3-venv rsync
	# the sandbox of guardfs run and guardfs exec, and its own network
	bubblewrap slirp4netns
	# the desktop prompt's test: a session bus, notify-send, and a
	# notification server of the test's own (python3-dbus, python3-gi)
	dbus-daemon dbus-bin dbus-session-bus-common libnotify-bin
	python3-dbus python3-gi
	# benchmark peers
	bindfs
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done
# npm and node: Debian's packages, unless a node is installed some other
# way (nodesource's nodejs bundles npm and conflicts with Debian's npm).
command -v npm >/dev/null || missing+=(npm)
command -v node >/dev/null || missing+=(nodejs)
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "installing: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
	--no-install-recommends "${missing[@]}" >/dev/null
