#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "guardfs/config.h"
#include "guardfs/util.h"
#include "options.h"

const char gfs_config_starter[] =
	"# guardfs configuration for one project; see `guardfs mount --help`.\n"
	"# Paths may start with ~/ and are otherwise taken relative to this\n"
	"# file. This file is hidden from the agent while the folder is\n"
	"# mounted, and must not be writable by group or others.\n"
	"\n"
	"[guard]\n"
	"root = %s\n"
	"# mountpoint = (default: in place, over root itself)\n"
	"# name = (default: the folder's name; names the store and audit)\n"
	"# Extended attributes: each write and chown then costs the kernel\n"
	"# one more round trip (it asks for security.capability).\n"
	"xattrs = no\n"
	"# Let the kernel read and write files directly (Linux >= 6.9, root);\n"
	"# opens, closes and every change of name or attribute still come\n"
	"# through the guard.\n"
	"passthrough = yes\n"
	"# Take the kernel's requests over io_uring, one queue per CPU, where\n"
	"# the kernel allows it (Linux >= 6.14, fuse enable_uring = Y).\n"
	"io_uring = yes\n"
	"\n"
	"[deny]\n"
	"# gitignore syntax, matched on the path relative to root, at any\n"
	"# depth, case-insensitively unless case_sensitive = yes.\n"
	"# pattern = *.sqlite\n"
	"# pattern = private/\n"
	"# pattern = !.env.shared\n"
	"# The built-in credential list (.env, keys, cloud credentials, ...).\n"
	"builtin = yes\n"
	"case_sensitive = no\n"
	"\n"
	"[ask]\n"
	"# Paths whose first open or create waits for your answer in\n"
	"# `guardfs watch` (same syntax as [deny]); no answer in time denies.\n"
	"# pattern = notes/private/\n"
	"timeout = 30\n"
	"\n"
	"[audit]\n"
	"# path = (default: $XDG_STATE_HOME/guardfs/<name>-<id>.audit.jsonl)\n"
	"# all | mutations | denied\n"
	"level = all\n"
	"\n"
	"[snapshot]\n"
	"enabled = yes\n"
	"# store = (default: $XDG_DATA_HOME/guardfs/<name>-<id>.git)\n"
	"# exclude = build/\n"
	"# larger files are stored in chunks of 512 KiB\n"
	"# max_file_size = 256M\n"
	"# deny: refuse a change the store cannot record; allow: let it pass\n"
	"on_failure = deny\n"
	"\n"
	"[secrets]\n"
	"# Refuse to open files whose content holds a credential.\n"
	"scan = yes\n"
	"# Data scanned per file, from its start. A file found holding a\n"
	"# credential stays refused until it is emptied, however it grows.\n"
	"max_size = 8M\n"
	"# rules = my-rules.rules\n"
	"# allow_path = tests/fixtures/\n"
	"# allow_value = ^sk_test_\n"
	"\n"
	"[limits]\n"
	"# The breaker: past one of these within a minute the mount freezes\n"
	"# (every change fails with EROFS) until `guardfs unfreeze`. 0 turns\n"
	"# a rule off. Trees under [snapshot] exclude do not count.\n"
	"deletes_per_minute = 1000\n"
	"renames_per_minute = 1000\n"
	"bytes_written_per_minute = 4G\n"
	"# share of the folder's entries deleted within a minute\n"
	"delete_fraction = 0.75\n";

int gfs_cmd_init(int argc, char **argv)
{
	struct gfs_buf dir = GFS_BUF_INIT, path = GFS_BUF_INIT;
	const char *arg;
	FILE *out;
	const struct gfs_option options[] = {GFS_OPT_END};
	const struct gfs_command_spec spec = {
		.usage = "guardfs init [DIR]",
		.about =
			"Writes a commented starter config to DIR/.guardfs.ini "
			"(DIR defaults to the current directory). An existing "
			"file is never overwritten.",
		.options = options,
	};
	int first, fd, rc = 1;

	first = gfs_options_parse(&spec, argc, argv);
	if (first < 0)
		return gfs_options_exit(first);
	if (argc - first > 1)
		return gfs_options_usage(&spec);
	arg = first < argc ? argv[first] : ".";
	if (gfs_realpath(&dir, arg)) {
		gfs_cli_error("cannot use '%s': %s", arg, strerror(errno));
		return 1;
	}
	gfs_buf_addf(&path, "%s/.guardfs.ini", dir.data);
	fd = open(path.data, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		gfs_cli_error("cannot create '%s': %s", path.data,
			      strerror(errno));
		goto out;
	}
	out = fdopen(fd, "w");
	if (!out) {
		close(fd);
		goto out;
	}
	fprintf(out, gfs_config_starter, dir.data);
	if (fclose(out)) {
		gfs_cli_error("cannot write '%s': %s", path.data,
			      strerror(errno));
		goto out;
	}
	printf("wrote %s\n", path.data);
	rc = 0;
out:
	gfs_buf_release(&dir);
	gfs_buf_release(&path);
	return rc;
}
