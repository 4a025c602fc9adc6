/* Whether a config may be loaded: see config_trust.h for the rule. */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "config_trust.h"
#include "guardfs/util.h"

/* What a config file was, as far as the trust rule cares. */
struct identity {
	struct gfs_buf path; /* empty: no config, the defaults */
	uint64_t dev, ino, size, uid, hash;
	int64_t mtime_ns, ctime_ns;
};

/* The record of a root's last session. */
struct record {
	struct identity config;
	struct gfs_buf text;
	int64_t started_ns, ended_ns; /* ended 0: running, or killed */
	bool changed;		      /* a config changed before it ended */
};

/* When this process's session began: gfs_config_trust_end checks it. */
static int64_t session_started_ns;

static int64_t ns_of(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ns_of(&ts);
}

static void identity_from_stat(struct identity *id, const struct stat *st)
{
	id->dev = (uint64_t)st->st_dev;
	id->ino = (uint64_t)st->st_ino;
	id->size = (uint64_t)st->st_size;
	id->uid = (uint64_t)st->st_uid;
	id->mtime_ns = ns_of(&st->st_mtim);
	id->ctime_ns = ns_of(&st->st_ctim);
}

static void identity_of_config(struct identity *id,
			       const struct gfs_config *cfg)
{
	memset(id, 0, sizeof(*id));
	if (!cfg->path)
		return;
	gfs_buf_adds(&id->path, cfg->path);
	identity_from_stat(id, &cfg->file_stat);
	id->hash =
		gfs_hash(cfg->text.data ? cfg->text.data : "", cfg->text.len);
}

static int record_path(const char *root, struct gfs_buf *out)
{
	int rc = gfs_xdg_dir(out, "XDG_STATE_HOME", ".local/state");

	if (!rc)
		rc = gfs_buf_addf(out, "/guardfs/session-%016" PRIx64,
				  gfs_hash(root, strlen(root)));
	return rc;
}

static void record_release(struct record *r)
{
	gfs_buf_release(&r->config.path);
	gfs_buf_release(&r->text);
}

/* Reads the record of root's last session: 0, -ENOENT, or -EINVAL. */
static int record_read(const char *root, struct record *r)
{
	struct gfs_buf path = GFS_BUF_INIT, data = GFS_BUF_INIT;
	char *line, *save = NULL;
	int fd, rc;

	memset(r, 0, sizeof(*r));
	rc = record_path(root, &path);
	fd = rc ? -1 : open(path.data, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		gfs_buf_release(&path);
		return -ENOENT;
	}
	rc = gfs_buf_read_fd(&data, fd);
	close(fd);
	for (line = rc || !data.data ? NULL : strtok_r(data.data, "\n", &save);
	     line; line = strtok_r(NULL, "\n", &save)) {
		char *value = strchr(line, '\t');
		struct identity *c = &r->config;

		if (!value)
			continue;
		*value++ = '\0';
		if (!strcmp(line, "config"))
			gfs_buf_adds(&c->path, value);
		else if (!strcmp(line, "dev"))
			c->dev = strtoull(value, NULL, 10);
		else if (!strcmp(line, "ino"))
			c->ino = strtoull(value, NULL, 10);
		else if (!strcmp(line, "size"))
			c->size = strtoull(value, NULL, 10);
		else if (!strcmp(line, "uid"))
			c->uid = strtoull(value, NULL, 10);
		else if (!strcmp(line, "xxh3"))
			c->hash = strtoull(value, NULL, 16);
		else if (!strcmp(line, "mtime"))
			c->mtime_ns = strtoll(value, NULL, 10);
		else if (!strcmp(line, "ctime"))
			c->ctime_ns = strtoll(value, NULL, 10);
		else if (!strcmp(line, "started"))
			r->started_ns = strtoll(value, NULL, 10);
		else if (!strcmp(line, "ended"))
			r->ended_ns = strtoll(value, NULL, 10);
		else if (!strcmp(line, "changed"))
			r->changed = !strcmp(value, "1");
		else if (!strcmp(line, "text") &&
			 gfs_buf_add_unhex(&r->text, value, strlen(value)))
			rc = -EINVAL;
	}
	gfs_buf_release(&path);
	gfs_buf_release(&data);
	if (rc || !r->started_ns) {
		record_release(r);
		return -EINVAL;
	}
	return 0;
}

/* Writes the record whole, through a temporary file and a rename. */
static int record_write(const char *root, const struct record *r)
{
	struct gfs_buf path = GFS_BUF_INIT, tmp = GFS_BUF_INIT;
	struct gfs_buf out = GFS_BUF_INIT;
	const struct identity *c = &r->config;
	char *slash;
	int fd, rc;

	rc = record_path(root, &path);
	if (rc)
		goto out;
	slash = strrchr(path.data, '/');
	*slash = '\0';
	rc = gfs_mkdir_p(path.data, 0700);
	*slash = '/';
	if (rc)
		goto out;
	gfs_buf_addf(&out, "root\t%s\nconfig\t%s\n", root,
		     c->path.len ? c->path.data : "");
	gfs_buf_addf(&out,
		     "dev\t%" PRIu64 "\nino\t%" PRIu64 "\nsize\t%" PRIu64
		     "\nuid\t%" PRIu64 "\nxxh3\t%016" PRIx64 "\nmtime\t%" PRId64
		     "\nctime\t%" PRId64 "\n",
		     c->dev, c->ino, c->size, c->uid, c->hash, c->mtime_ns,
		     c->ctime_ns);
	gfs_buf_addf(&out, "started\t%" PRId64 "\nended\t%" PRId64 "\n",
		     r->started_ns, r->ended_ns);
	gfs_buf_addf(&out, "changed\t%d\ntext\t", r->changed ? 1 : 0);
	gfs_buf_add_hex(&out, r->text.data, r->text.len);
	rc = gfs_buf_addch(&out, '\n');
	if (rc)
		goto out;
	gfs_buf_addf(&tmp, "%s.%ld", path.data, (long)getpid());
	fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	if (write(fd, out.data, out.len) != (ssize_t)out.len || fsync(fd))
		rc = -EIO;
	close(fd);
	if (!rc && rename(tmp.data, path.data))
		rc = -errno;
	if (rc)
		unlink(tmp.data);
out:
	gfs_buf_release(&path);
	gfs_buf_release(&tmp);
	gfs_buf_release(&out);
	return rc;
}

static bool same_identity(const struct identity *a, const struct identity *b)
{
	if (strcmp(a->path.data ? a->path.data : "",
		   b->path.data ? b->path.data : ""))
		return false;
	return !a->path.len ||
	       (a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
		a->uid == b->uid && a->hash == b->hash &&
		a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns);
}

/* Prints the lines of one text that the other lacks, marked - or +. */
static void print_lines_missing(const struct gfs_buf *from,
				const struct gfs_buf *in, char mark)
{
	const char *p = from->data, *end = p ? p + from->len : NULL;

	while (p && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *q = in->data, *qend = q ? q + in->len : NULL;
		bool found = false;

		while (!found && q && q < qend) {
			const char *qnl = memchr(q, '\n', (size_t)(qend - q));
			size_t m = qnl ? (size_t)(qnl - q) : (size_t)(qend - q);

			found = m == n && !memcmp(p, q, n);
			q += m + 1;
		}
		if (!found)
			fprintf(stderr, "  %c %.*s\n", mark, (int)n, p);
		p += n + 1;
	}
}

static void print_change(const struct record *r, const struct gfs_config *cfg)
{
	const struct gfs_buf *old_path = &r->config.path;

	if (!old_path->len)
		fprintf(stderr,
			"  the last session ran on the defaults; now "
			"'%s' is loaded\n",
			cfg->path);
	else if (!cfg->path)
		fprintf(stderr, "  '%s' is gone; the defaults would be used\n",
			old_path->data);
	else if (strcmp(old_path->data, cfg->path))
		fprintf(stderr, "  the last session loaded '%s'; now '%s'\n",
			old_path->data, cfg->path);
	fprintf(stderr, "  lines removed (-) and added (+) since the last "
			"session loaded it:\n");
	print_lines_missing(&r->text, &cfg->text, '-');
	print_lines_missing(&cfg->text, &r->text, '+');
}

int gfs_config_trust_check(const struct gfs_config *cfg, bool trust)
{
	struct identity now;
	struct record r;
	bool suspect;
	int64_t ctime_ns;

	if (record_read(cfg->root, &r))
		return 0; /* no session of this root to compare with */
	identity_of_config(&now, cfg);
	if (same_identity(&now, &r.config)) {
		gfs_buf_release(&now.path);
		record_release(&r);
		return 0;
	}
	ctime_ns = now.ctime_ns;
	/*
	 * A session that ended without a word (killed) leaves its window
	 * open: every change after its start is suspect.
	 */
	suspect = r.changed ||
		  (cfg->path && ctime_ns >= r.started_ns &&
		   (!r.ended_ns || ctime_ns <= r.ended_ns)) ||
		  (!cfg->path && !r.ended_ns);
	/* Not suspect: the user's own edit while unguarded, loaded quietly. */
	if (suspect && trust) {
		fprintf(stderr,
			"guardfs: trusting a config that changed during the "
			"last guarded session of '%s' (--trust-config)\n",
			cfg->root);
		print_change(&r, cfg);
	} else if (suspect) {
		gfs_cli_error("the config of '%s' changed while its last "
			      "guarded session was running%s: the agent may "
			      "have written it",
			      cfg->root,
			      r.ended_ns ? ""
					 : " (it never ended "
					   "cleanly)");
		print_change(&r, cfg);
		fprintf(stderr,
			"guardfs: review it, then mount with --trust-config "
			"to load it\n");
	}
	gfs_buf_release(&now.path);
	record_release(&r);
	return suspect && !trust ? -1 : 0;
}

int gfs_config_trust_begin(const struct gfs_config *cfg)
{
	struct record r;
	int rc;

	memset(&r, 0, sizeof(r));
	identity_of_config(&r.config, cfg);
	gfs_buf_add(&r.text, cfg->text.data ? cfg->text.data : "",
		    cfg->text.len);
	session_started_ns = r.started_ns = now_ns();
	rc = record_write(cfg->root, &r);
	record_release(&r);
	return rc;
}

/* Whether the file at path differs from id, or appeared after since_ns. */
static bool changed_since(const char *path, const struct identity *id,
			  int64_t since_ns)
{
	struct stat st;
	struct identity now;
	bool changed;

	memset(&now, 0, sizeof(now));
	if (lstat(path, &st))
		return id->path.len && !strcmp(id->path.data, path);
	if (!id->path.len || strcmp(id->path.data, path))
		return ns_of(&st.st_ctim) >= since_ns;
	identity_from_stat(&now, &st);
	changed = now.dev != id->dev || now.ino != id->ino ||
		  now.size != id->size || now.ctime_ns != id->ctime_ns;
	return changed;
}

void gfs_config_trust_end(const struct gfs_config *cfg)
{
	struct gfs_buf path = GFS_BUF_INIT;
	struct record r;

	if (!session_started_ns || record_read(cfg->root, &r))
		return;
	/* Another session of this root wrote it since: leave it be. */
	if (r.started_ns != session_started_ns) {
		record_release(&r);
		return;
	}
	/* The config this session loaded, and those the next would try. */
	if (r.config.path.len)
		r.changed |= changed_since(r.config.path.data, &r.config,
					   r.started_ns);
	gfs_buf_addf(&path, "%s/.guardfs.ini", cfg->root);
	r.changed |= changed_since(path.data, &r.config, r.started_ns);
	gfs_buf_reset(&path);
	if (!gfs_xdg_dir(&path, "XDG_CONFIG_HOME", ".config") &&
	    !gfs_buf_adds(&path, "/guardfs/config.ini"))
		r.changed |= changed_since(path.data, &r.config, r.started_ns);
	r.ended_ns = now_ns();
	record_write(cfg->root, &r);
	gfs_buf_release(&path);
	record_release(&r);
}

int gfs_config_trust_last_session(const char *root, int64_t *started_ns,
				  int64_t *ended_ns)
{
	struct record r;

	memset(&r, 0, sizeof(r));
	if (record_read(root, &r))
		return -ENOENT;
	*started_ns = r.started_ns;
	*ended_ns = r.ended_ns;
	record_release(&r);
	return 0;
}
