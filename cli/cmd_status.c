#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "guardfs/control.h"

static const char usage[] = "guardfs status [--json]";

static void print_help(void)
{
	printf("usage: %s\n\n"
	       "Lists the guarded folders of this user that are mounted now:\n"
	       "root, mount point, config, daemon pid, uptime, how many\n"
	       "operations were served and refused, and the data path (io):\n"
	       "passthrough (the kernel reads and writes the folder's files\n"
	       "directly) or daemon (every read and write goes through\n"
	       "guardfs). requests tells how the kernel's requests reach\n"
	       "guardfs: io_uring (a queue per CPU, served on that CPU) or\n"
	       "/dev/fuse.\n\n"
	       "options:\n"
	       "  --json      one JSON object: {\"mounts\": [{\"root\", "
	       "\"mountpoint\",\n"
	       "              \"pid\", ...}]}\n"
	       "  -h, --help  show this help\n",
	       usage);
}

/* Keys copied from a daemon's reply; numbers stay unquoted in JSON. */
static const struct {
	const char *key;
	bool number;
} fields[] = {
	{"root", false},    {"mountpoint", false}, {"pid", true},
	{"config", false},  {"name", false},	   {"store", false},
	{"audit", false},   {"io", false},	   {"requests", false},
	{"started", true},  {"uptime", true},	   {"operations", true},
	{"refusals", true},
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
		else if (strcmp(fields[i].key, "started"))
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
	static const struct option longopts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct listing l = {GFS_BUF_INIT, false, 0};
	int c, rc;

	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			l.json = true;
			break;
		case 'h':
			print_help();
			return 0;
		default:
			return gfs_cli_usage(usage);
		}
	}
	if (optind != argc)
		return gfs_cli_usage(usage);
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
