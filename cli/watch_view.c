/* What `guardfs watch` prints for people: see watch_view.h. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "guardfs/buf.h"
#include "watch_view.h"

#define RED	 "\033[31m"
#define BOLD_RED "\033[1;31m"
#define YELLOW	 "\033[1;33m"
#define DIM	 "\033[2m"
#define RESET	 "\033[m"

void gfs_watch_view_init(struct gfs_watch_view *v, FILE *out, bool color)
{
	memset(v, 0, sizeof(*v));
	v->out = out;
	v->color = color;
	v->burst_limit = 25;
}

void gfs_watch_view_add_safe(struct gfs_buf *line, const char *text)
{
	const unsigned char *p = (const unsigned char *)text;

	for (; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			gfs_buf_addf(line, "\\x%02x", *p);
		else
			gfs_buf_addch(line, (char)*p);
	}
}

/* The value of key in ev, or missing. */
static const char *field(const struct gfs_jsonl *ev, const char *key,
			 const char *missing)
{
	const char *value = gfs_jsonl_get(ev, key);

	return value ? value : missing;
}

static void add_safe_or(struct gfs_buf *line, const char *text,
			const char *missing)
{
	gfs_watch_view_add_safe(line, text ? text : missing);
}

/* The event's time (UTC, ISO 8601) as the local HH:MM:SS. */
static void add_clock(struct gfs_buf *line, const char *iso)
{
	struct tm tm;
	time_t t;
	char text[16];

	memset(&tm, 0, sizeof(tm));
	if (!iso || !strptime(iso, "%Y-%m-%dT%H:%M:%S", &tm)) {
		gfs_buf_adds(line, "--:--:--");
		return;
	}
	t = timegm(&tm);
	localtime_r(&t, &tm);
	strftime(text, sizeof(text), "%H:%M:%S", &tm);
	gfs_buf_adds(line, text);
}

/* "cat[1234]" */
static void add_process(struct gfs_buf *line, const struct gfs_jsonl *ev)
{
	add_safe_or(line, gfs_jsonl_get(ev, "process"), "?");
	gfs_buf_addf(line, "[%s]", field(ev, "pid", "?"));
}

static void add_paths(struct gfs_buf *line, const struct gfs_jsonl *ev)
{
	const char *path2 = gfs_jsonl_get(ev, "path2");

	add_safe_or(line, gfs_jsonl_get(ev, "path"), "");
	if (path2) {
		gfs_buf_adds(line, " -> ");
		gfs_watch_view_add_safe(line, path2);
	}
}

static void emit(struct gfs_watch_view *v, struct gfs_buf *line,
		 const char *color)
{
	if (v->color && color)
		fprintf(v->out, "%s%s%s\n", color, line->data, RESET);
	else
		fprintf(v->out, "%s\n", line->data);
	fflush(v->out);
}

static void show_op(struct gfs_watch_view *v, const struct gfs_jsonl *ev)
{
	struct gfs_buf line = GFS_BUF_INIT;
	bool refused = gfs_jsonl_get(ev, "refused") != NULL;
	const char *rule = gfs_jsonl_get(ev, "rule");
	const char *detail = gfs_jsonl_get(ev, "detail");
	const char *action = gfs_jsonl_get(ev, "action");

	add_clock(&line, gfs_jsonl_get(ev, "time"));
	gfs_buf_addch(&line, ' ');
	add_process(&line, ev);
	gfs_buf_addf(&line, " %s ", field(ev, "op", "?"));
	add_paths(&line, ev);
	gfs_buf_addf(&line, " %s%s", refused ? "REFUSED " : "",
		     field(ev, "result", "?"));
	if (rule) {
		gfs_buf_adds(&line, " by ");
		gfs_watch_view_add_safe(&line, rule);
	}
	if (detail) {
		gfs_buf_adds(&line, " (");
		gfs_watch_view_add_safe(&line, detail);
		gfs_buf_addch(&line, ')');
	}
	if (action) {
		gfs_buf_adds(&line, "  [");
		gfs_watch_view_add_safe(&line, action);
		gfs_buf_addch(&line, ']');
	}
	emit(v, &line, refused ? RED : NULL);
	gfs_buf_release(&line);
}

/* Trips, asks, answers and drops: never folded. */
static void show_alert(struct gfs_watch_view *v, const struct gfs_jsonl *ev,
		       const char *kind)
{
	struct gfs_buf line = GFS_BUF_INIT;
	const char *color = BOLD_RED;

	add_clock(&line, gfs_jsonl_get(ev, "time"));
	if (!strcmp(kind, "trip")) {
		gfs_buf_adds(&line, " BREAKER TRIPPED: ");
		add_safe_or(&line, gfs_jsonl_get(ev, "rule"), "?");
		gfs_buf_adds(&line, ": ");
		add_safe_or(&line, gfs_jsonl_get(ev, "detail"), "");
	} else if (!strcmp(kind, "ask")) {
		gfs_buf_addf(&line, " ASK #%s ", field(ev, "id", "?"));
		add_process(&line, ev);
		gfs_buf_addf(&line, " %s ", field(ev, "op", "?"));
		add_paths(&line, ev);
		if (gfs_jsonl_get(ev, "detail")) {
			gfs_buf_adds(&line, " (");
			gfs_watch_view_add_safe(&line,
						gfs_jsonl_get(ev, "detail"));
			gfs_buf_addch(&line, ')');
		}
		gfs_buf_adds(&line, "  [a: allow once, A: allow always, "
				    "d: deny, D: deny always]");
		color = YELLOW;
	} else if (!strcmp(kind, "answered")) {
		gfs_buf_addf(&line, " ask #%s ", field(ev, "id", "?"));
		add_paths(&line, ev);
		gfs_buf_adds(&line, ": ");
		add_safe_or(&line, gfs_jsonl_get(ev, "detail"), "answered");
		color = DIM;
	} else if (!strcmp(kind, "dropped")) {
		gfs_buf_reset(&line);
		gfs_buf_addf(&line,
			     "-- %s events dropped (this watcher fell "
			     "behind) --",
			     field(ev, "count", "?"));
		color = DIM;
	} else {
		gfs_buf_adds(&line, " ");
		gfs_watch_view_add_safe(&line, kind);
		gfs_buf_adds(&line, ": ");
		add_safe_or(&line, gfs_jsonl_get(ev, "detail"), "");
	}
	emit(v, &line, color);
	gfs_buf_release(&line);
}

static void fold(struct gfs_watch_view *v, const struct gfs_jsonl *ev)
{
	const char *op = field(ev, "op", "?");
	int i;

	v->folded++;
	if (gfs_jsonl_get(ev, "refused"))
		v->folded_refused++;
	for (i = 0; i < v->nops; i++)
		if (!strcmp(v->ops[i].op, op))
			break;
	if (i == v->nops && v->nops == GFS_WATCH_VIEW_OPS) {
		/* a full table: the last row counts the rest */
		i = v->nops - 1;
		snprintf(v->ops[i].op, sizeof(v->ops[i].op), "other");
	} else if (i == v->nops) {
		v->nops++;
		snprintf(v->ops[i].op, sizeof(v->ops[i].op), "%s", op);
		v->ops[i].count = 0;
	}
	v->ops[i].count++;
}

static int by_count(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	return *x < *y ? 1 : *x > *y ? -1 : 0;
}

void gfs_watch_view_tick(struct gfs_watch_view *v, time_t now)
{
	struct gfs_buf line = GFS_BUF_INIT;
	int i;

	if (now == v->second)
		return;
	if (v->folded) {
		/* count first in each row: sort the rows by it */
		struct {
			uint64_t count;
			const char *op;
		} rows[GFS_WATCH_VIEW_OPS];

		for (i = 0; i < v->nops; i++) {
			rows[i].count = v->ops[i].count;
			rows[i].op = v->ops[i].op;
		}
		qsort(rows, (size_t)v->nops, sizeof(rows[0]), by_count);
		gfs_buf_addf(&line, "+%llu ops (",
			     (unsigned long long)v->folded);
		for (i = 0; i < v->nops; i++) {
			gfs_buf_addf(&line, "%s", i ? ", " : "");
			gfs_watch_view_add_safe(&line, rows[i].op);
			gfs_buf_addf(&line, " %llu",
				     (unsigned long long)rows[i].count);
		}
		gfs_buf_addf(&line, "), %llu refused",
			     (unsigned long long)v->folded_refused);
		emit(v, &line, v->folded_refused ? RED : DIM);
	}
	v->second = now;
	v->shown = v->shown_refused = 0;
	v->folded = v->folded_refused = 0;
	v->nops = 0;
	gfs_buf_release(&line);
}

void gfs_watch_view_event(struct gfs_watch_view *v, const struct gfs_jsonl *ev,
			  time_t now)
{
	const char *kind = field(ev, "event", "op");
	int *shown =
		gfs_jsonl_get(ev, "refused") ? &v->shown_refused : &v->shown;

	gfs_watch_view_tick(v, now);
	if (strcmp(kind, "op")) {
		show_alert(v, ev, kind);
	} else if (*shown < v->burst_limit) {
		(*shown)++;
		show_op(v, ev);
	} else {
		fold(v, ev);
	}
}
