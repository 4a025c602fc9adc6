/*
 * Which paths [ask] asks about, and the answers remembered for good.
 *
 * The answers file (default $XDG_STATE_HOME/guardfs/<project>.answers,
 * beside the audit trail and the session records) has one answer a
 * line, "allow PATTERN" or "deny PATTERN", in gitignore syntax: guardfs
 * writes the exact path ("/src/plan.txt"), and the user may widen it.
 * It lives outside the folder, like the store, so no agent in the
 * sandbox can reach it; the project's INI stays as the user wrote it
 * (and as its trust record knows it). The daemon reads the file at
 * mount and only ever appends to it.
 */

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ask_internal.h"
#include "guardfs/util.h"

static int add_rule(struct gfs_ignore **list, unsigned flags, const char *line,
		    const char *origin)
{
	int rc = *list ? 0 : gfs_ignore_new(list, flags);

	return rc ? rc : gfs_ignore_add(*list, line, origin);
}

/* Adds one answer: "allow P" un-asks P, "deny P" denies it always. */
static int add_answer(struct gfs_ask_rules *r, const char *line,
		      const char *origin)
{
	struct gfs_buf negated = GFS_BUF_INIT;
	int rc;

	if (!strncmp(line, "deny ", 5))
		return add_rule(&r->never, r->flags, line + 5, origin);
	if (strncmp(line, "allow ", 6))
		return -EINVAL;
	/* an allowance matters only where something is asked */
	if (!r->asked)
		return 0;
	rc = gfs_buf_addf(&negated, "!%s", line + 6);
	if (!rc)
		rc = gfs_ignore_add(r->asked, negated.data, origin);
	gfs_buf_release(&negated);
	return rc;
}

/* Reads the remembered answers, if any, refusing a file others control. */
static int load_answers(struct gfs_ask_rules *r, char *err, size_t err_size)
{
	struct gfs_buf text = GFS_BUF_INIT;
	char origin[PATH_MAX + 16];
	struct stat st;
	char *line, *next;
	int fd, rc = 0;

	fd = open(r->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) ||
	    (st.st_uid != geteuid() && st.st_uid != 0)) {
		snprintf(err, err_size,
			 "%s: not a regular file that only its owner may "
			 "write",
			 r->path);
		close(fd);
		return -EPERM;
	}
	rc = gfs_buf_read_fd(&text, fd);
	close(fd);
	for (line = text.data; !rc && line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		r->lines++;
		if (!line[0] || line[0] == '#')
			continue;
		snprintf(origin, sizeof(origin), "%s:%u", r->path, r->lines);
		rc = add_answer(r, line, origin);
		if (rc)
			snprintf(err, err_size, "%s: bad answer '%s'", origin,
				 line);
	}
	gfs_buf_release(&text);
	return rc;
}

int gfs_ask_rules_init(struct gfs_ask_rules *r, const struct gfs_ask_opts *o,
		       char *err, size_t err_size)
{
	size_t i;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	pthread_rwlock_init(&r->lock, NULL);
	r->flags = o->casefold ? GFS_IGNORE_CASEFOLD : 0;
	r->path = o->answers_path ? strdup(o->answers_path) : NULL;
	for (i = 0; !rc && o->patterns && i < o->patterns->len; i++) {
		rc = add_rule(&r->asked, r->flags, o->patterns->items[i],
			      o->patterns->origins[i]);
		if (rc)
			snprintf(err, err_size, "%s: bad pattern '%s'",
				 o->patterns->origins[i],
				 o->patterns->items[i]);
	}
	if (!rc && r->path)
		rc = load_answers(r, err, err_size);
	return rc;
}

void gfs_ask_rules_release(struct gfs_ask_rules *r)
{
	gfs_ignore_free(r->asked);
	gfs_ignore_free(r->never);
	free(r->path);
	pthread_rwlock_destroy(&r->lock);
}

/*
 * The verdict of the deepest of path and its directories that some rule
 * decides: a '!' rule on a file inside an asked directory takes the
 * file out (unlike [deny], where nothing below a hidden directory can
 * come back, since nothing below it can be reached anyway).
 */
static enum gfs_ignore_verdict nearest(const struct gfs_ignore *ig,
				       const char *path, bool is_dir,
				       const char **rule)
{
	enum gfs_ignore_verdict v;
	char copy[PATH_MAX];
	char *slash;

	if (!ig || snprintf(copy, sizeof(copy), "%s", path) >= PATH_MAX)
		return GFS_IGNORE_NONE;
	v = gfs_ignore_match(ig, copy, is_dir, rule);
	while (v == GFS_IGNORE_NONE && (slash = strrchr(copy, '/'))) {
		*slash = '\0';
		v = gfs_ignore_match(ig, copy, true, rule);
	}
	return v;
}

int gfs_ask_rules_match(struct gfs_ask_rules *r, const char *path, bool is_dir,
			const char **rule)
{
	int rc = 0;

	*rule = NULL;
	if (!path[0])
		return 0; /* the root itself: the mount is the user's choice */
	pthread_rwlock_rdlock(&r->lock);
	if (nearest(r->never, path, is_dir, rule) == GFS_IGNORE_MATCH)
		rc = -EACCES;
	else if (nearest(r->asked, path, is_dir, rule) == GFS_IGNORE_MATCH)
		rc = 1;
	pthread_rwlock_unlock(&r->lock);
	if (rc != -EACCES)
		*rule = NULL;
	return rc;
}

/* "/" and path with the gitignore specials escaped: that path alone. */
static int exact_pattern(struct gfs_buf *out, const char *path)
{
	const char *p;

	if (strchr(path, '\n') || strchr(path, '\r'))
		return -EINVAL; /* cannot be one line */
	gfs_buf_addch(out, '/');
	for (p = path; *p; p++) {
		if (strchr("\\*?[", *p) || (*p == ' ' && !p[1]))
			gfs_buf_addch(out, '\\');
		gfs_buf_addch(out, *p);
	}
	return out->data ? 0 : -ENOMEM;
}

static int append_line(const char *file, const char *line)
{
	char *dir_copy = strdup(file);
	int fd, rc;

	if (!dir_copy)
		return -ENOMEM;
	rc = gfs_mkdir_p(dirname(dir_copy), 0700);
	free(dir_copy);
	if (rc)
		return rc;
	fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0)
		return -errno;
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line))
		rc = -EIO;
	if (fsync(fd))
		rc = rc ? rc : -errno;
	close(fd);
	return rc;
}

int gfs_ask_rules_remember(struct gfs_ask_rules *r, const char *path,
			   bool allow)
{
	struct gfs_buf line = GFS_BUF_INIT, pattern = GFS_BUF_INIT;
	char origin[PATH_MAX + 16];
	int rc;

	if (!r->path)
		return -ENOENT;
	rc = exact_pattern(&pattern, path);
	if (!rc)
		rc = gfs_buf_addf(&line, "%s %s\n", allow ? "allow" : "deny",
				  pattern.data);
	pthread_rwlock_wrlock(&r->lock);
	if (!rc)
		rc = append_line(r->path, line.data);
	if (!rc) {
		r->lines++;
		snprintf(origin, sizeof(origin), "%s:%u", r->path, r->lines);
		line.data[line.len - 1] = '\0';
		rc = add_answer(r, line.data, origin);
	}
	pthread_rwlock_unlock(&r->lock);
	gfs_buf_release(&line);
	gfs_buf_release(&pattern);
	return rc;
}
