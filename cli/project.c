#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "guardfs/control.h"
#include "guardfs/util.h"
#include "mounts.h"
#include "project.h"

struct owner {
	const char *path;
	const char *root;   /* when set: match this root exactly */
	const char *config; /* when set: match the mount of this config */
	pid_t pid;
	struct gfs_buf root_found;
	struct gfs_buf mount;
};

static void match_owner(void *arg, pid_t pid, const char *reply)
{
	struct owner *o = arg;
	struct gfs_buf root = GFS_BUF_INIT, mp = GFS_BUF_INIT;
	struct gfs_buf cfg = GFS_BUF_INIT;
	bool match;

	if (gfs_control_reply_get(reply, "root", &root) ||
	    gfs_control_reply_get(reply, "mountpoint", &mp))
		goto out;
	if (o->config)
		match = gfs_control_reply_get(reply, "config", &cfg) == 0 &&
			!strcmp(cfg.data, o->config);
	else if (o->root)
		match = !strcmp(root.data, o->root);
	else
		match = (gfs_path_is_within(o->path, root.data) ||
			 gfs_path_is_within(o->path, mp.data)) &&
			root.len > o->root_found.len;
	if (match) {
		o->pid = pid;
		gfs_buf_reset(&o->root_found);
		gfs_buf_adds(&o->root_found, root.data);
		gfs_buf_reset(&o->mount);
		gfs_buf_adds(&o->mount, mp.data);
	}
out:
	gfs_buf_release(&root);
	gfs_buf_release(&mp);
	gfs_buf_release(&cfg);
}

pid_t gfs_project_mount_of_config(const char *config_path, struct gfs_buf *root)
{
	struct owner o = {.root_found = GFS_BUF_INIT, .mount = GFS_BUF_INIT};
	struct gfs_buf abs = GFS_BUF_INIT;

	/* Lexically: the file may be hidden under the mount. */
	if (gfs_mounts_abspath(&abs, config_path) == 0) {
		o.config = abs.data;
		gfs_control_query_all("status", match_owner, &o);
	}
	if (o.pid)
		gfs_buf_adds(root, o.root_found.data);
	gfs_buf_release(&o.root_found);
	gfs_buf_release(&o.mount);
	gfs_buf_release(&abs);
	return o.pid;
}

pid_t gfs_project_mount_at(const char *path, struct gfs_buf *mount)
{
	struct owner o = {.root_found = GFS_BUF_INIT, .mount = GFS_BUF_INIT};
	struct gfs_buf abs = GFS_BUF_INIT;

	if (gfs_mounts_abspath(&abs, path) == 0) {
		o.path = abs.data;
		gfs_control_query_all("status", match_owner, &o);
	}
	if (o.pid && mount)
		gfs_buf_adds(mount, o.mount.data);
	gfs_buf_release(&o.root_found);
	gfs_buf_release(&o.mount);
	gfs_buf_release(&abs);
	return o.pid;
}

int gfs_project_load_mounted(struct gfs_config *cfg, pid_t pid,
			     const char *root, char *err, size_t err_size)
{
	struct gfs_buf reply = GFS_BUF_INIT, path = GFS_BUF_INIT;
	struct gfs_buf hex = GFS_BUF_INIT, text = GFS_BUF_INIT;
	int rc = gfs_control_ask(pid, "config", &reply);

	if (rc || !reply.data ||
	    gfs_control_reply_get(reply.data, "path", &path) ||
	    gfs_control_reply_get(reply.data, "text", &hex) || hex.len % 2) {
		snprintf(err, err_size,
			 "the mount of '%s' (pid %ld) did not send its "
			 "config: %s",
			 root, (long)pid, rc ? strerror(-rc) : "bad reply");
		rc = -1;
		goto out;
	}
	if (gfs_buf_add_unhex(&text, hex.data ? hex.data : "", hex.len)) {
		snprintf(err, err_size, "the mount of '%s' sent a bad config",
			 root);
		rc = -1;
		goto out;
	}
	rc = gfs_config_resolve_text(cfg, path.len ? path.data : NULL,
				     text.data ? text.data : "", text.len, root,
				     err, err_size);
out:
	gfs_buf_release(&reply);
	gfs_buf_release(&path);
	gfs_buf_release(&hex);
	gfs_buf_release(&text);
	return rc;
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

int gfs_project_find(struct gfs_project *p, const char *config_path)
{
	struct owner o = {.root_found = GFS_BUF_INIT, .mount = GFS_BUF_INIT};
	struct gfs_buf cwd = GFS_BUF_INIT, dir = GFS_BUF_INIT;
	char err[600], *slash;
	int rc = -1;

	memset(p, 0, sizeof(*p));
	gfs_config_init(&p->cfg);
	if (gfs_mounts_abspath(&cwd, ".")) {
		gfs_cli_error("cannot resolve the current directory");
		return -1;
	}
	if (config_path) {
		struct gfs_buf root = GFS_BUF_INIT;
		pid_t pid = gfs_project_mount_of_config(config_path, &root);

		/* A config in force under a mount comes from its daemon. */
		rc = pid ? gfs_project_load_mounted(&p->cfg, pid, root.data,
						    err, sizeof(err))
			 : gfs_config_resolve(&p->cfg, config_path, NULL, err,
					      sizeof(err));
		gfs_buf_release(&root);
		if (rc) {
			rc = -1;
			goto config_error;
		}
		rc = -1;
		o.root = p->cfg.root;
		gfs_control_query_all("status", match_owner, &o);
		goto found;
	}
	o.path = cwd.data;
	gfs_control_query_all("status", match_owner, &o);
	if (o.pid) {
		if (gfs_project_load_mounted(&p->cfg, o.pid, o.root_found.data,
					     err, sizeof(err)))
			goto config_error;
		goto found;
	}
	/* not mounted: the nearest .guardfs.ini, else the nearest store */
	gfs_buf_adds(&dir, cwd.data);
	for (;;) {
		struct gfs_buf ini = GFS_BUF_INIT;
		bool has_ini;

		gfs_buf_addf(&ini, "%s/.guardfs.ini", dir.data);
		has_ini = exists(ini.data);
		gfs_buf_release(&ini);
		gfs_config_release(&p->cfg);
		if (!gfs_config_resolve(&p->cfg, NULL, dir.data, err,
					sizeof(err)) &&
		    (has_ini || (p->cfg.store && exists(p->cfg.store))))
			goto found;
		slash = strrchr(dir.data, '/');
		if (!slash || dir.len <= 1)
			break;
		dir.len = slash == dir.data ? 1 : (size_t)(slash - dir.data);
		dir.data[dir.len] = '\0';
	}
	gfs_cli_error("no guarded folder holds '%s' (no mount, no "
		      ".guardfs.ini, no store above it); give -c FILE",
		      cwd.data);
	goto out;
config_error:
	gfs_cli_error("%s", err);
	goto out;
found:
	if (!p->cfg.store || !exists(p->cfg.store)) {
		gfs_cli_error("no snapshot store for '%s' (expected at '%s')",
			      p->cfg.root, p->cfg.store ? p->cfg.store : "?");
		goto out;
	}
	p->daemon = o.pid;
	if (o.pid)
		gfs_buf_adds(&p->mount, o.mount.data);
	rc = 0;
out:
	/* a caller that is refused has nothing to release */
	if (rc)
		gfs_project_release(p);
	gfs_buf_release(&o.root_found);
	gfs_buf_release(&o.mount);
	gfs_buf_release(&cwd);
	gfs_buf_release(&dir);
	return rc;
}

void gfs_project_release(struct gfs_project *p)
{
	gfs_config_release(&p->cfg);
	gfs_buf_release(&p->mount);
}

int gfs_project_relpath(const struct gfs_project *p, const char *arg,
			struct gfs_buf *out)
{
	struct gfs_buf abs = GFS_BUF_INIT;
	const char *bases[2] = {p->mount.len ? p->mount.data : NULL,
				p->cfg.root};
	int i, rc = -1;

	if (gfs_mounts_abspath(&abs, arg)) {
		gfs_cli_error("cannot resolve '%s'", arg);
		return -1;
	}
	for (i = 0; i < 2; i++) {
		size_t len;

		if (!bases[i] || !gfs_path_is_within(abs.data, bases[i]))
			continue;
		len = strlen(bases[i]);
		rc = gfs_buf_adds(out, abs.data + len +
					       (abs.data[len] == '/' ? 1 : 0));
		break;
	}
	if (rc)
		gfs_cli_error("'%s' is not inside the guarded folder '%s'", arg,
			      p->cfg.root);
	gfs_buf_release(&abs);
	return rc ? -1 : 0;
}

/*
 * The path relative to the root of arg as named: its directory resolved,
 * its last component kept, so that restoring a name a symlink now stands
 * at restores that name (replacing the link), not what the link leads to.
 */
int gfs_project_relpath_name(const struct gfs_project *p, const char *arg,
			     struct gfs_buf *out)
{
	const char *slash = strrchr(arg, '/');
	const char *base = slash ? slash + 1 : arg;
	struct gfs_buf dir = GFS_BUF_INIT;
	int rc;

	if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
		return gfs_project_relpath(p, arg, out);
	if (!slash)
		rc = gfs_buf_adds(&dir, ".");
	else if (slash == arg)
		rc = gfs_buf_adds(&dir, "/");
	else
		rc = gfs_buf_add(&dir, arg, (size_t)(slash - arg));
	if (!rc)
		rc = gfs_project_relpath(p, dir.data, out);
	if (!rc && out->len)
		rc = gfs_buf_addch(out, '/');
	if (!rc)
		rc = gfs_buf_adds(out, base);
	gfs_buf_release(&dir);
	return rc ? -1 : 0;
}

int gfs_project_open_dest(const struct gfs_project *p)
{
	const char *dir = p->mount.len ? p->mount.data : p->cfg.root;
	int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0) {
		fd = -errno;
		gfs_cli_error("cannot open '%s': %s", dir, strerror(-fd));
	}
	return fd;
}

/* Why keyed_ask failed: the key could not be read, or no answer came. */
enum keyed_failure { KEYED_OK, KEYED_NO_KEY, KEYED_NO_ANSWER };

/*
 * Asks the running mount "VERB KEY[ ARGS]": the daemon's key proves this
 * process may see the runtime dir. The reply is appended to reply.
 */
static enum keyed_failure keyed_ask(const struct gfs_project *p,
				    const char *verb, const char *args,
				    struct gfs_buf *reply)
{
	struct gfs_buf key = GFS_BUF_INIT, cmd = GFS_BUF_INIT;
	enum keyed_failure rc = KEYED_NO_KEY;

	if (!gfs_control_read_key(p->daemon, &key) && key.data) {
		gfs_buf_addf(&cmd, "%s %s%s%s", verb, key.data, args ? " " : "",
			     args ? args : "");
		rc = gfs_control_ask(p->daemon, cmd.data, reply)
			     ? KEYED_NO_ANSWER
			     : KEYED_OK;
	}
	gfs_buf_release(&key);
	gfs_buf_release(&cmd);
	return rc;
}

void gfs_project_group_begin(const struct gfs_project *p, const char *label)
{
	struct gfs_buf reply = GFS_BUF_INIT, args = GFS_BUF_INIT;
	struct gfs_buf said = GFS_BUF_INIT;
	size_t i;

	if (!p->daemon)
		return;
	/* one line of the control protocol: no newlines, bounded */
	for (i = 0; label[i] && i < 400; i++)
		gfs_buf_addch(&args, label[i] == '\n' ? ' ' : label[i]);
	if (label[i])
		gfs_buf_adds(&args, "...");
	switch (keyed_ask(p, "group-begin", args.data ? args.data : "",
			  &reply)) {
	case KEYED_NO_KEY:
		gfs_cli_error("cannot read the running mount's key; each "
			      "restored path is recorded on its own");
		break;
	case KEYED_NO_ANSWER:
		gfs_cli_error("the running mount did not answer; each "
			      "restored path is recorded on its own");
		break;
	case KEYED_OK:
		if (gfs_control_reply_get(reply.data ? reply.data : "", "group",
					  &said) == 0 &&
		    strcmp(said.data, "ok"))
			gfs_cli_error("the running mount did not group this "
				      "restore (%s); each restored path is "
				      "recorded on its own",
				      said.data);
		break;
	}
	gfs_buf_release(&args);
	gfs_buf_release(&reply);
	gfs_buf_release(&said);
}

void gfs_project_group_end(const struct gfs_project *p)
{
	struct gfs_buf reply = GFS_BUF_INIT;

	if (p->daemon)
		gfs_control_ask(p->daemon, "group-end", &reply);
	gfs_buf_release(&reply);
}

void gfs_project_writers_free(struct gfs_project_writer *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(w[i].path);
	free(w);
}

/* Adds the "writing PID HEXPATH" line at line to *w. */
static int add_writer(const char *line, struct gfs_project_writer **w,
		      size_t *n)
{
	struct gfs_buf path = GFS_BUF_INIT;
	struct gfs_project_writer *grown;
	char *end;
	long pid = strtol(line, &end, 10);
	int rc;

	if (*end != '\t')
		return -EINVAL;
	rc = gfs_buf_add_unhex(&path, end + 1, strcspn(end + 1, "\n"));
	grown = rc ? NULL : realloc(*w, (*n + 1) * sizeof(**w));
	if (!grown) {
		gfs_buf_release(&path);
		return rc ? rc : -ENOMEM;
	}
	*w = grown;
	(*w)[*n].pid = pid;
	(*w)[*n].path = gfs_buf_detach(&path);
	(*n)++;
	return 0;
}

int gfs_project_hold_begin(const struct gfs_project *p,
			   struct gfs_project_writer **writers, size_t *n)
{
	struct gfs_buf reply = GFS_BUF_INIT, said = GFS_BUF_INIT;
	const char *line;
	int rc = -1;

	*writers = NULL;
	*n = 0;
	if (!p->daemon)
		return 0;
	switch (keyed_ask(p, "hold-begin", NULL, &reply)) {
	case KEYED_NO_KEY:
		gfs_cli_error("cannot read the running mount's key");
		goto out;
	case KEYED_NO_ANSWER:
		gfs_cli_error("the running mount did not answer");
		goto out;
	case KEYED_OK:
		if (reply.data)
			break;
		gfs_cli_error("the running mount did not answer");
		goto out;
	}
	if (gfs_control_reply_get(reply.data, "hold", &said) ||
	    strcmp(said.data, "ok")) {
		gfs_cli_error("the running mount cannot be held (%s)",
			      said.data ? said.data : "an older daemon");
		goto out;
	}
	rc = 0;
	for (line = reply.data; !rc && line && *line;
	     line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (!strncmp(line, "writing\t", 8))
			rc = add_writer(line + 8, writers, n);
	}
	if (rc) {
		gfs_cli_error("cannot read the running mount's answer");
		gfs_project_hold_end(p);
		gfs_project_writers_free(*writers, *n);
		*writers = NULL;
		*n = 0;
		rc = -1;
	}
out:
	gfs_buf_release(&reply);
	gfs_buf_release(&said);
	return rc;
}

void gfs_project_hold_end(const struct gfs_project *p)
{
	struct gfs_buf reply = GFS_BUF_INIT;

	if (p->daemon)
		gfs_control_ask(p->daemon, "hold-end", &reply);
	gfs_buf_release(&reply);
}

static void settle(const struct gfs_project *p)
{
	struct gfs_buf reply = GFS_BUF_INIT;

	/* The daemon answers once every operation so far is committed. */
	if (p->daemon && gfs_control_ask(p->daemon, "flush", &reply))
		gfs_cli_error("the running mount did not confirm its last "
			      "snapshots; history may lack the newest "
			      "operations");
	gfs_buf_release(&reply);
}

int gfs_project_open_history(const struct gfs_project *p,
			     struct gfs_history **h)
{
	char err[512];

	settle(p);
	if (gfs_history_open(h, p->cfg.store, err, sizeof(err))) {
		gfs_cli_error("%s", err);
		return -1;
	}
	return 0;
}
