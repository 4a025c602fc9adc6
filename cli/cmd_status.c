#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "guardfs/control.h"
#include "options.h"

/*
 * Keys copied from a daemon's reply; numbers stay unquoted in JSON.
 * descriptors: the inode table's fds and open files; reopens: fds opened
 * again by name; stale: reopens refused (another inode at the name);
 * backlog: operations the store has yet to record; ingest_bytes: bytes of
 * large files it has yet to read; store_waits, store_captures and
 * store_wait_ms: how often a change waited for the store's queue or had
 * its worker read the file first, and how long all that took (for
 * benchmarks); store_linked_away: removals of a name that waited for
 * neither, its bytes linked to another name by a queued job; held_by: the
 * process of an agent undo holding the mount (fs/hold.c), 0 for none.
 */
static const struct {
	const char *key;
	bool number;
} fields[] = {
	{"root", false},
	{"mountpoint", false},
	{"pid", true},
	{"config", false},
	{"name", false},
	{"store", false},
	{"audit", false},
	{"io", false},
	{"requests", false},
	{"started", true},
	{"uptime", true},
	{"operations", true},
	{"refusals", true},
	{"backlog", true},
	{"ingest_bytes", true},
	{"descriptors", true},
	{"reopens", true},
	{"stale", true},
	{"frozen", false},
	{"frozen_rule", false},
	{"frozen_since", true},
	{"frozen_writers", false},
	{"frozen_refused", true},
	{"breaker", false},
	{"held_by", true},
	{"store_waits", true},
	{"store_captures", true},
	{"store_wait_ms", true},
	{"store_linked_away", true},
};

struct listing {
	struct gfs_buf out;
	bool json;
	int count;
};

static void add_json(struct listing *l, const char *reply)
{
	struct gfs_buf value = GFS_BUF_INIT;
	size_t i;

	gfs_buf_adds(&l->out, l->count ? ",{" : "{");
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		gfs_buf_reset(&value);
		if (gfs_control_reply_get(reply, fields[i].key, &value))
			continue;
		gfs_buf_addf(&l->out, "%s\"%s\":", i ? "," : "", fields[i].key);
		if (fields[i].number)
			gfs_buf_adds(&l->out, value.data);
		else
			gfs_buf_add_json(&l->out, value.data, value.len);
	}
	gfs_buf_addch(&l->out, '}');
	gfs_buf_release(&value);
}

static void add_text(struct listing *l, const char *reply)
{
	struct gfs_buf value = GFS_BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		gfs_buf_reset(&value);
		if (gfs_control_reply_get(reply, fields[i].key, &value))
			continue;
		if (i == 0)
			gfs_buf_addf(&l->out, "%s\n", value.data);
		else if (!strcmp(fields[i].key, "uptime"))
			gfs_buf_addf(&l->out, "  %-11s %ss\n", fields[i].key,
				     value.data);
		else if (strcmp(fields[i].key, "started") &&
			 strcmp(fields[i].key, "frozen_since"))
			gfs_buf_addf(&l->out, "  %-11s %s\n", fields[i].key,
				     value.len ? value.data : "-");
	}
	gfs_buf_release(&value);
}

static void visit(void *arg, pid_t pid, const char *reply)
{
	struct listing *l = arg;

	(void)pid;
	if (l->json)
		add_json(l, reply);
	else
		add_text(l, reply);
	l->count++;
}

int gfs_cmd_status(int argc, char **argv)
{
	struct listing l = {GFS_BUF_INIT, false, 0};
	const struct gfs_option options[] = {
		GFS_OPT_BOOL(0, "json",
			     "one JSON object: {\"mounts\": [{\"root\", "
			     "\"mountpoint\", \"pid\", ...}]}",
			     &l.json),
		GFS_OPT_END,
	};
	const struct gfs_command_spec spec = {
		.usage = "guardfs status [--json]",
		.about =
			"Lists the guarded folders of this user that are "
			"mounted now: root, mount point, config, daemon pid, "
			"uptime, how many operations were served and refused, "
			"what the store has yet to record (backlog: "
			"operations; ingest_bytes: bytes of large files it "
			"has yet to read), "
			"and the data path (io): passthrough (the kernel reads "
			"and writes the folder's files directly) or daemon "
			"(every read and write goes through guardfs). frozen "
			"tells whether the breaker (or `guardfs freeze`) "
			"stopped every change, and by which rule; "
			"frozen_writers counts the files open for kernel "
			"writes (passthrough) that the freeze made immutable "
			"(stopped) or could not stop (not_stopped: a "
			"filesystem that does not check the attribute); "
			"breaker "
			"shows its counts over the last minute against "
			"their limits. held_by is the pid of an agent's "
			"undo holding the mount (0: none): meanwhile other "
			"changes wait or fail with EBUSY. store_waits, "
			"store_captures and store_wait_ms count how often a "
			"change waited for the store to record its path's "
			"earlier changes or to read the file first, and how "
			"long all that took; store_linked_away how many "
			"removals needed neither, their bytes linked to "
			"another name still to be recorded. requests "
			"tells how the kernel's requests reach guardfs: "
			"io_uring (a queue per CPU, served on that CPU) or "
			"/dev/fuse.",
		.options = options,
	};
	int first, rc;

	first = gfs_options_parse(&spec, argc, argv);
	if (first < 0)
		return gfs_options_exit(first);
	if (first != argc)
		return gfs_options_usage(&spec);
	if (l.json)
		gfs_buf_adds(&l.out, "{\"mounts\":[");
	rc = gfs_control_query_all("status", visit, &l);
	if (rc < 0) {
		gfs_cli_error("cannot list mounts: %s", strerror(-rc));
		gfs_buf_release(&l.out);
		return 1;
	}
	if (l.json)
		gfs_buf_adds(&l.out, "]}\n");
	else if (!l.count)
		gfs_buf_adds(&l.out, "no guarded folders are mounted\n");
	fputs(l.out.data, stdout);
	gfs_buf_release(&l.out);
	return 0;
}
