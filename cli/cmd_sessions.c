/* guardfs sessions: the mount sessions the snapshot store holds. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "config_trust.h"
#include "guardfs/history.h"
#include "options.h"
#include "project.h"

struct session {
	char *id;      /* the Guardfs-Session trailer */
	int64_t start; /* its session-start commit, else its first commit */
	int64_t last;  /* its newest commit */
	size_t commits;
	size_t ops;   /* listed operations, session-start not counted */
	bool started; /* its session-start commit is in the store */
};

struct session_list {
	struct session *s;
	size_t n;
};

static int session_visit(void *arg, const struct gfs_history_commit *c)
{
	struct session_list *l = arg;
	struct session *s = l->n ? &l->s[l->n - 1] : NULL;
	size_t i;

	/* newest first: a session's commits are consecutive */
	if (!s || strcmp(s->id, c->session)) {
		void *grown = realloc(l->s, (l->n + 1) * sizeof(*l->s));

		if (!grown)
			return -ENOMEM;
		l->s = grown;
		s = &l->s[l->n++];
		memset(s, 0, sizeof(*s));
		s->id = strdup(c->session);
		if (!s->id)
			return -ENOMEM;
		s->last = c->time;
	}
	s->commits++;
	s->start = c->time;
	for (i = 0; i < c->nops; i++)
		if (strcmp(c->ops[i].op, "session-start"))
			s->ops++;
	if (c->session_start)
		s->started = true;
	return 0;
}

/* Bytes the store takes on disk (its blocks), for sessions and prune. */
static uint64_t du_bytes;

static int add_size(const char *path, const struct stat *st, int type,
		    struct FTW *ftw)
{
	(void)path;
	(void)type;
	(void)ftw;
	du_bytes += (uint64_t)st->st_blocks * 512;
	return 0;
}

uint64_t gfs_cli_store_bytes(const char *store)
{
	du_bytes = 0;
	nftw(store, add_size, 32, FTW_PHYS);
	return du_bytes;
}

/* A time in the local zone, or in UTC as a JSON string. */
static void add_time(struct gfs_buf *b, int64_t t, bool json)
{
	char text[40];

	gfs_cli_format_time(text, sizeof(text), t, json);
	gfs_buf_addf(b, json ? "\"%s\"" : "%s", text);
}

/* The daemon's pid is the session id's tail: "20261206T093532Z-1234". */
static bool is_running(const struct gfs_project *p, const struct session *s)
{
	const char *dash = strrchr(s->id, '-');

	return p->daemon && dash && strtol(dash + 1, NULL, 10) == p->daemon;
}

int gfs_cmd_sessions(int argc, char **argv)
{
	struct session_list l = {0};
	struct gfs_buf out = GFS_BUF_INIT;
	struct gfs_history *h = NULL;
	const char *config = NULL;
	struct gfs_project p;
	bool json = false;
	int64_t rec_start = 0, rec_end = 0;
	bool have_rec;
	uint64_t store_bytes;
	size_t i;
	int first, rc = 1;
	const struct gfs_option options[] = {
		GFS_OPT_STR('c', "config", "FILE", "the project's config",
			    &config),
		GFS_OPT_BOOL(0, "json", "one JSON object", &json),
		GFS_OPT_END,
	};
	const struct gfs_command_spec spec = {
		.usage = "guardfs sessions [-c FILE] [--json]",
		.about = "Lists the mount sessions the snapshot store holds, "
			 "newest first: the session id, when it started, when "
			 "it ended ('running' while mounted, 'not closed' when "
			 "its daemon died without ending it), its snapshots "
			 "and operations; then the store's size on disk. The "
			 "end of the latest session comes from its record "
			 "(kept for the config check); the store does not "
			 "record the end of older ones, so their END is the "
			 "time of their last change. Times are local (TZ); "
			 "--json gives UTC.",
		.options = options,
	};

	first = gfs_options_parse(&spec, argc, argv);
	if (first < 0)
		return gfs_options_exit(first);
	if (first < argc)
		return gfs_options_usage(&spec);
	if (gfs_project_find(&p, config))
		return 1;
	if (gfs_project_open_history(&p, &h))
		goto out;
	if (gfs_history_walk(h, session_visit, &l) < 0) {
		gfs_cli_error("cannot read the store's history");
		goto out;
	}
	store_bytes = gfs_cli_store_bytes(p.cfg.store);
	have_rec = !gfs_config_trust_last_session(p.cfg.root, &rec_start,
						  &rec_end);
	if (json)
		gfs_buf_addf(&out, "{\"store\":");
	if (json)
		gfs_buf_add_json(&out, p.cfg.store, strlen(p.cfg.store));
	if (json)
		gfs_buf_addf(&out, ",\"store_bytes\":%llu,\"sessions\":[",
			     (unsigned long long)store_bytes);
	else
		gfs_buf_addf(&out, "%-24s %-19s  %-19s  %9s  %10s\n", "SESSION",
			     "START", "END", "SNAPSHOTS", "OPERATIONS");
	for (i = 0; i < l.n; i++) {
		const struct session *s = &l.s[i];
		const char *state = NULL;
		int64_t end = s->last;

		if (!i && is_running(&p, s))
			state = "running";
		else if (!i && have_rec &&
			 llabs(rec_start / 1000000000 - s->start) <= 5)
			state = rec_end ? NULL : "not closed";
		if (!i && !state && have_rec && rec_end &&
		    llabs(rec_start / 1000000000 - s->start) <= 5)
			end = rec_end / 1000000000;
		if (json) {
			gfs_buf_adds(&out, i ? ",{\"id\":" : "{\"id\":");
			gfs_buf_add_json(&out, s->id, strlen(s->id));
			gfs_buf_adds(&out, ",\"start\":");
			add_time(&out, s->start, true);
			gfs_buf_adds(&out, ",\"end\":");
			if (state)
				gfs_buf_adds(&out, "null");
			else
				add_time(&out, end, true);
			gfs_buf_addf(&out,
				     ",\"state\":\"%s\",\"snapshots\":%zu,"
				     "\"operations\":%zu}",
				     state ? state : "ended", s->commits,
				     s->ops);
			continue;
		}
		gfs_buf_addf(&out, "%-24s ", *s->id ? s->id : "-");
		add_time(&out, s->start, false);
		gfs_buf_adds(&out, "  ");
		if (state)
			gfs_buf_addf(&out, "%-19s", state);
		else
			add_time(&out, end, false);
		gfs_buf_addf(&out, "  %9zu  %10zu\n", s->commits, s->ops);
	}
	if (json)
		gfs_buf_adds(&out, "]}\n");
	else
		gfs_buf_addf(&out, "store %s: %.1f MiB on disk\n", p.cfg.store,
			     (double)store_bytes / (1024.0 * 1024.0));
	fwrite(out.data, 1, out.len, stdout);
	rc = 0;
out:
	for (i = 0; i < l.n; i++)
		free(l.s[i].id);
	free(l.s);
	gfs_buf_release(&out);
	gfs_history_free(h);
	gfs_project_release(&p);
	return rc;
}
