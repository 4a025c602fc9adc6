#!/bin/bash
# P4 for restores: only the genuine guardfs CLI may have its writes listed
# as a restore. group-begin on the control socket takes the daemon's key
# (in the user's runtime directory, out of a sandbox's sight) and a peer
# that runs the daemon's own executable inode, with no loader variables,
# no tracer and no code mapped that the daemon does not map. A shared
# object preloaded into guardfs, or into a copy of it, that asks for a
# group and then deletes files gets its deletes recorded as deletes.
. "$(dirname "$0")/lib.sh"

command -v cc >/dev/null || { echo "FAIL: cc missing"; exit 1; }
cat >"$T/attack.c" <<'C'
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

extern char **environ;

/* Sends one command line, returns the reply's first line in buf. */
static void ask(const char *sock, const char *cmd, char *buf, size_t size)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ssize_t n;

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", sock);
	buf[0] = '\0';
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    write(fd, cmd, strlen(cmd)) < 0)
		return;
	n = read(fd, buf, size - 1);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	close(fd);
}

__attribute__((constructor)) static void attack(void)
{
	const char *sock = getenv("ATTACK_SOCK"), *keyfile = getenv("ATTACK_KEY");
	const char *victim = getenv("ATTACK_VICTIM"), *out = getenv("ATTACK_OUT");
	char key[128] = "none", cmd[256], reply[256];
	FILE *f;

	if (!sock)
		return;
	/* Hide the preload from /proc/PID/environ: only the maps tell. */
	if (getenv("ATTACK_SCRUB"))
		for (char **e = environ; *e; e++)
			if (!strncmp(*e, "LD_PRELOAD=", 11))
				memset(*e, 'X', strlen(*e));
	if (keyfile && (f = fopen(keyfile, "r"))) {
		if (!fgets(key, sizeof(key), f))
			strcpy(key, "none");
		fclose(f);
	}
	snprintf(cmd, sizeof(cmd), "group-begin %s restore notes.txt\n", key);
	ask(sock, cmd, reply, sizeof(reply));
	unlink(victim);
	ask(sock, "group-end\n", cmd, sizeof(cmd));
	f = fopen(out, "w");
	fprintf(f, "%s\n", reply);
	fclose(f);
	_exit(0);
}
C
check "build the preload" cc -shared -fPIC -o "$T/attack.so" "$T/attack.c"
cp "$GUARDFS" "$T/guardfs-copy"

R=$T/root
mkdir -p "$R"
for i in 1 2 3 4 5; do printf 'precious %s\n' "$i" >"$R/v$i.txt"; done
check "mount" gfs_mount "$R" "$R"
pid=$(daemon_pid "$R")
sock=$XDG_RUNTIME_DIR/guardfs/$pid.sock
keyfile=$XDG_RUNTIME_DIR/guardfs/$pid.key
check_eq "the key is the user's alone" "600 64" \
	"$(stat -c %a "$keyfile") $(tr -d '\n' <"$keyfile" | wc -c)"

# attack N BINARY [extra env...]: the preload in BINARY deletes vN.
attack() {
	local n=$1 bin=$2
	shift 2
	# (a sanitizer build refuses a preload before its runtime unless told)
	env "$@" ATTACK_SOCK="$sock" ATTACK_VICTIM="$R/v$n.txt" \
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
		ATTACK_OUT="$T/reply$n" LD_PRELOAD="$T/attack.so" "$bin" status >/dev/null 2>&1
	cat "$T/reply$n"
}
check_eq "no key: refused" "group	refused: bad key" "$(attack 1 "$GUARDFS")"
check_eq "guardfs with LD_PRELOAD: refused" \
	"group	refused: a loader variable (LD_PRELOAD, LD_AUDIT, LD_LIBRARY_PATH) in its environment" \
	"$(attack 2 "$GUARDFS" ATTACK_KEY="$keyfile")"
check_eq "guardfs with a scrubbed preload: refused" \
	"group	refused: code that guardfs does not load is mapped in it" \
	"$(attack 3 "$GUARDFS" ATTACK_KEY="$keyfile" ATTACK_SCRUB=1)"
check_eq "a copy of guardfs: refused" "group	refused: not the guardfs program" \
	"$(attack 4 "$T/guardfs-copy" ATTACK_KEY="$keyfile" ATTACK_SCRUB=1)"
check_eq "the deletes happened" "v5.txt" "$(ls "$R")"

# The genuine CLI still groups its restore.
check "a genuine restore" bash -c 'cd "$1" && "$2" restore v1.txt v2.txt v3.txt v4.txt --at session' _ "$R" "$GUARDFS"
check_eq "the files are back" "precious 1 precious 2 precious 3 precious 4" \
	"$(cat "$R"/v[1-4].txt | tr '\n' ' ' | sed 's/ $//')"
log=$(cd "$R" && "$GUARDFS" log .)
check "umount" gfs_umount "$R"
for i in 1 2 3 4; do
	check_eq "v$i's delete is listed as a delete" 1 \
		"$(grep -cE "guardfs(-copy)? \([0-9]+\)  unlink  v$i.txt$" <<<"$log")"
done
check_eq "the only restores are the genuine one's, in one snapshot" "1 4" \
	"$(grep '  restore  ' <<<"$log" | cut -d@ -f1 | sort -u | wc -l) $(grep -c '  restore  ' <<<"$log")"
store=$(ls -d "$XDG_DATA_HOME"/guardfs/*.git)
check_eq "one restore commit in the store" "restore v1.txt v2.txt v3.txt v4.txt --at session (4 paths)" \
	"$(git -C "$store" log --format=%s | grep '^restore')"
test_done
