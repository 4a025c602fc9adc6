/* The lines restore and undo print for each change they make. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "guardfs/guards.h"
#include "guardfs/ignore.h"
#include "guardfs/store.h"
#include "guardfs/util.h"
#include "restore_report.h"

static const char *const verbs[][2] = {
	[GFS_HISTORY_CREATE] = {"restored", "would restore"},
	[GFS_HISTORY_UPDATE] = {"rolled back", "would roll back"},
	[GFS_HISTORY_MODE] = {"reset mode of", "would reset mode of"},
	[GFS_HISTORY_REMOVE] = {"removed", "would remove"},
};

/* Why a path was left alone, for the errors that mean so; else NULL. */
static const char *refusal(int error)
{
	switch (error) {
	case -EEXIST:
		return "it holds changes the store has not recorded "
		       "(--force overwrites them)";
	case -EBUSY:
		return "a later operation changed it again";
	case -ENODATA:
		return "the store did not record its state between the "
		       "operations of one snapshot";
	default:
		return NULL;
	}
}

static void clear_progress(struct gfs_restore_progress *pr)
{
	if (!pr->progress_shown)
		return;
	fputs("\r\033[K", stderr);
	pr->progress_shown = false;
}

/*
 * A count redrawn in place on stderr at most ten times a second, when
 * stderr is a terminal and the list itself goes elsewhere (a file, a
 * pager): a script reading stderr sees none of it.
 */
static void show_progress(struct gfs_restore_progress *pr)
{
	long long now;

	if (!pr->tty || isatty(STDOUT_FILENO))
		return;
	now = gfs_mono_ns();
	if (now - pr->shown_ns < 100000000LL)
		return;
	pr->shown_ns = now;
	fprintf(stderr, "\rguardfs: changes %s so far: %u",
		pr->dry_run ? "planned" : "made", pr->done);
	pr->progress_shown = true;
}

void gfs_restore_report(void *arg, enum gfs_history_change what,
			const char *path, int error)
{
	struct gfs_restore_progress *pr = arg;
	const char *why = refusal(error);

	if (why) {
		clear_progress(pr);
		pr->refused++;
		gfs_cli_error("left '%s' alone: %s", path, why);
		return;
	}
	if (error) {
		clear_progress(pr);
		pr->failed++;
		gfs_cli_error("cannot restore '%s': %s", path,
			      strerror(-error));
		return;
	}
	pr->done++;
	pr->kinds[what]++;
	printf("%s %s\n", verbs[what][pr->dry_run], path);
	show_progress(pr);
}

/* The excluded trees found, grouped by where their rule comes from. */
struct excluded {
	struct gfs_ignore *rules;
	char **names[2]; /* 0: default excludes, 1: the config's */
	unsigned count[2];
	unsigned entries; /* walked, to bound the walk */
};

#define MAX_LISTED  8
#define MAX_ENTRIES 200000
#define MAX_DEPTH   64

static void note(struct excluded *ex, const char *path, const char *rule)
{
	int kind = rule && strncmp(rule, "default:", 8) ? 1 : 0;
	char **grown = realloc(ex->names[kind],
			       (ex->count[kind] + 1) * sizeof(char *));

	if (!grown)
		return;
	ex->names[kind] = grown;
	grown[ex->count[kind]] = strdup(path);
	if (grown[ex->count[kind]])
		ex->count[kind]++;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk(struct excluded *ex, int dir_fd, struct gfs_buf *path,
		 int depth)
{
	DIR *d = fdopendir(dir_fd);
	struct dirent *e;
	size_t base = path->len;

	if (!d) {
		close(dir_fd);
		return;
	}
	while ((e = readdir(d)) && ex->entries < MAX_ENTRIES) {
		const char *rule = NULL;
		struct stat st;
		int fd;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		ex->entries++;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
		    !S_ISDIR(st.st_mode))
			continue;
		path->len = base;
		if (base)
			gfs_buf_addch(path, '/');
		gfs_buf_adds(path, e->d_name);
		if (gfs_ignore_match_tree(ex->rules, path->data, true, &rule) ==
		    GFS_IGNORE_MATCH) {
			note(ex, path->data, rule);
			continue;
		}
		if (depth >= MAX_DEPTH)
			continue;
		fd = openat(dirfd(d), e->d_name,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0)
			walk(ex, fd, path, depth + 1);
	}
	path->len = base;
	if (path->data)
		path->data[base] = '\0';
	closedir(d);
}

int gfs_restore_excluded(struct gfs_restore_progress *pr,
			 const struct gfs_config *cfg, int dest_fd)
{
	static const char *const why[2] = {"[snapshot] default excludes",
					   "[snapshot] exclude"};
	struct excluded ex = {0};
	struct gfs_buf path = GFS_BUF_INIT;
	char err[256];
	unsigned i;
	int fd, rc, k;

	rc = gfs_guards_list(&ex.rules,
			     cfg->snapshot_exclude_defaults
				     ? gfs_store_default_excludes
				     : NULL,
			     &cfg->snapshot_exclude, 0, err, sizeof(err));
	if (rc || !ex.rules)
		return rc;
	fd = openat(dest_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	gfs_buf_adds(&path, "");
	walk(&ex, fd, &path, 0);
	clear_progress(pr);
	for (k = 0; k < 2; k++) {
		if (!ex.count[k])
			continue;
		pr->excluded += ex.count[k];
		qsort(ex.names[k], ex.count[k], sizeof(char *), by_name);
		fputs("left alone: ", stdout);
		for (i = 0; i < ex.count[k] && i < MAX_LISTED; i++)
			printf("%s%s/", i ? ", " : "", ex.names[k][i]);
		if (ex.count[k] > MAX_LISTED)
			printf(" and %u more", ex.count[k] - MAX_LISTED);
		printf(" (not recorded: %s)\n", why[k]);
	}
out:
	for (k = 0; k < 2; k++) {
		for (i = 0; i < ex.count[k]; i++)
			free(ex.names[k][i]);
		free(ex.names[k]);
	}
	gfs_buf_release(&path);
	gfs_ignore_free(ex.rules);
	return rc;
}

int gfs_restore_finish(struct gfs_restore_progress *pr, int rc)
{
	clear_progress(pr);
	if (!pr->done && !pr->refused && !pr->failed && !rc)
		printf("nothing to change\n");
	if (rc && rc != -EEXIST && rc != -EBUSY && !pr->failed)
		gfs_cli_error("restore failed: %s", strerror(-rc));
	return rc ? 1 : 0;
}

int gfs_restore_finish_summary(struct gfs_restore_progress *pr, int rc)
{
	unsigned restored =
		pr->kinds[GFS_HISTORY_UPDATE] + pr->kinds[GFS_HISTORY_MODE];
	unsigned left = pr->refused + pr->excluded;

	clear_progress(pr);
	if (rc && rc != -EEXIST && rc != -EBUSY && !pr->failed) {
		gfs_cli_error("restore failed: %s", strerror(-rc));
		return 1;
	}
	printf("%s %u file%s, %s %u, %s %u",
	       pr->dry_run ? "would restore" : "restored", restored,
	       restored == 1 ? "" : "s", pr->dry_run ? "remove" : "removed",
	       pr->kinds[GFS_HISTORY_REMOVE],
	       pr->dry_run ? "recreate" : "recreated",
	       pr->kinds[GFS_HISTORY_CREATE]);
	if (left)
		printf("; left alone %u (%u with unrecorded or later changes, "
		       "%u not recorded)",
		       left, pr->refused, pr->excluded);
	if (pr->failed)
		printf("; %u failed", pr->failed);
	printf("\n");
	return rc ? 1 : 0;
}
