/*
 * The places the sandbox of `guardfs run` and `guardfs exec` never shows:
 * the credential places of the home, the files of guardfs, and what
 * others may not read in /etc.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "guardfs/control.h"
#include "guardfs/util.h"
#include "mounts.h"
#include "sandbox_forbidden.h"

/*
 * The places of a home that hold credentials, never shown in the sandbox
 * whatever [run] ro/rw say: keys, cloud and cluster logins, registry and
 * package tokens, keyrings, password stores and browser profiles (which
 * hold cookies and saved passwords).
 */
static const char *const credential_places[] = {
	".ssh",
	".gnupg",
	".aws",
	".azure",
	".config/gcloud",
	".oci",
	".kube",
	".docker",
	".netrc",
	".git-credentials",
	".config/git/credentials",
	".config/gh",
	".config/hub",
	".config/glab-cli",
	".npmrc",
	".yarnrc",
	".pypirc",
	".gem/credentials",
	".cargo/credentials",
	".cargo/credentials.toml",
	".m2/settings.xml",
	".gradle/gradle.properties",
	".terraform.d",
	".vault-token",
	".config/doctl",
	".config/rclone",
	".s3cfg",
	".boto",
	".pki",
	".local/share/keyrings",
	".local/share/kwalletd",
	".password-store",
	".config/op",
	".mozilla",
	".thunderbird",
	".config/google-chrome",
	".config/chromium",
	".config/BraveSoftware",
	".config/microsoft-edge",
	".config/vivaldi",
	".config/Code/User/globalStorage",
};

static void etc_entry_release(struct gfs_etc_entry *e);

/* Adds path (resolved; taken over, freed on failure) as a forbidden place. */
static int forbid_resolved(struct gfs_forbidden *f, char *path,
			   const char *what)
{
	char *copy = strdup(what);
	char **p, **w;

	if (!copy || !path)
		goto fail;
	p = realloc(f->paths, (f->len + 1) * sizeof(*p));
	if (!p)
		goto fail;
	f->paths = p;
	w = realloc(f->whats, (f->len + 1) * sizeof(*w));
	if (!w)
		goto fail;
	f->whats = w;
	f->paths[f->len] = path;
	f->whats[f->len] = copy;
	f->len++;
	return 0;
fail:
	free(copy);
	free(path);
	return -ENOMEM;
}

static void forbid(struct gfs_forbidden *f, const char *path, const char *what)
{
	struct gfs_buf resolved = GFS_BUF_INIT;

	if (path && path[0] && !gfs_mounts_resolve_future(&resolved, path))
		forbid_resolved(f, gfs_buf_detach(&resolved), what);
	gfs_buf_release(&resolved);
}

void gfs_forbidden_release(struct gfs_forbidden *f)
{
	size_t i;

	for (i = 0; i < f->len; i++) {
		free(f->paths[i]);
		free(f->whats[i]);
	}
	free(f->paths);
	free(f->whats);
	for (i = 0; i < f->etc_len; i++)
		etc_entry_release(&f->etc[i]);
	free(f->etc);
	if (f->etc_walked && f->etc_fd >= 0)
		close(f->etc_fd);
	memset(f, 0, sizeof(*f));
}

/* The store, trail and config of every running mount of this user. */
static void forbid_running(void *arg, pid_t pid, const char *reply)
{
	static const char *const keys[] = {"store", "audit", "config"};
	struct gfs_forbidden *f = arg;
	struct gfs_buf v = GFS_BUF_INIT;
	size_t i;

	(void)pid;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		gfs_buf_reset(&v);
		if (!gfs_control_reply_get(reply, keys[i], &v) && v.len)
			forbid(f, v.data, "a file of guardfs");
	}
	gfs_buf_release(&v);
}

static void forbid_xdg(struct gfs_forbidden *f, const char *var,
		       const char *fallback)
{
	struct gfs_buf dir = GFS_BUF_INIT;

	if (!gfs_xdg_dir(&dir, var, fallback) &&
	    !gfs_buf_adds(&dir, "/guardfs"))
		forbid(f, dir.data, "a directory of guardfs");
	gfs_buf_release(&dir);
}

/*
 * /etc as root sees it holds what only root may read: /etc/shadow,
 * /etc/gshadow, the host's ssh keys, /etc/ssl/private, credentials an
 * admin left at 0600. An agent started by root is root inside the
 * sandbox (no capabilities, but uid 0 owns those files), so every entry
 * of /etc that others may not read is never shown, whoever the caller
 * is: an ordinary user reads such a file only through its group
 * (shadow, ssl-cert, postgres), and the agent needs it no more than
 * the home's keys. /usr is not walked: packages install it readable
 * by all, and its 160,000 entries take most of a second.
 *
 * The sandbox's /etc is a copy of what this walk finds shown
 * (sandbox_etc.h), not the host's directories bound: nothing the host
 * makes, renames or turns private later in any directory of /etc can
 * show in a sandbox that runs meanwhile (a bind is live, and a mask on
 * a host dentry is dropped by the kernel when the host renames over
 * it).
 *
 * The walk is bounded, never follows a symlink (a link leads to a path
 * judged where it lies), and refuses the sandbox rather than show what
 * it could not look at. The copy judges every entry again on the
 * descriptor it copies from.
 */
#define ETC_MAX_ENTRIES 100000

struct etc_walk {
	struct gfs_forbidden *f;
	const char *root;
	const char *mount; /* the project: shown by its own rules */
	struct gfs_buf path;
	size_t entries;
	size_t cap;
	char *err;
	size_t err_size;
};

bool gfs_forbidden_others_may_read(mode_t mode)
{
	mode_t need = S_ISDIR(mode) ? S_IROTH | S_IXOTH : S_IROTH;

	return (mode & need) == need;
}

/* Whether path is a forbidden place already, or lies inside one. */
static bool already_forbidden(const struct gfs_forbidden *f, const char *path)
{
	size_t i;

	for (i = 0; i < f->len; i++)
		if (gfs_path_is_within(path, f->paths[i]))
			return true;
	return false;
}

static int etc_refuse(struct etc_walk *w, const char *why, int errnum)
{
	snprintf(w->err, w->err_size,
		 "cannot look through '%s' for what others may not read: "
		 "%s%s%s",
		 w->path.data, why, errnum ? ": " : "",
		 errnum ? strerror(errnum) : "");
	return -1;
}

static int etc_forbid(struct etc_walk *w, const char *what)
{
	if (forbid_resolved(w->f, strdup(w->path.data), what))
		return etc_refuse(w, "out of memory", 0);
	return 0;
}

static void etc_entry_release(struct gfs_etc_entry *e)
{
	free(e->path);
}

/* Fills e's kind and what the walk saw of it (st NULL: a place). */
static void etc_entry_set(struct gfs_etc_entry *e, enum gfs_etc_kind kind,
			  const struct stat *st, int depth)
{
	e->kind = kind;
	e->depth = depth;
	e->mode = st ? st->st_mode : S_IFDIR | 0755;
	if (!st)
		return;
	e->dev = st->st_dev;
	e->ino = st->st_ino;
	e->size = st->st_size;
	e->mtime = st->st_mtim;
	e->ctime = st->st_ctim;
}

/* Records the entry w->path as shown. */
static int etc_record(struct etc_walk *w, enum gfs_etc_kind kind,
		      const struct stat *st, int depth)
{
	struct gfs_forbidden *f = w->f;
	struct gfs_etc_entry *e;

	/* the copy makes it at a path as long, below its own directory */
	if (w->path.len >= PATH_MAX - 256)
		return etc_refuse(w, "too long a path", 0);
	if (f->etc_len == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 256;

		e = realloc(f->etc, cap * sizeof(*e));
		if (!e)
			return etc_refuse(w, "out of memory", 0);
		f->etc = e;
		w->cap = cap;
	}
	e = &f->etc[f->etc_len];
	memset(e, 0, sizeof(*e));
	etc_entry_set(e, kind, st, depth);
	e->path = strdup(w->path.data);
	if (!e->path)
		return etc_refuse(w, "out of memory", 0);
	f->etc_len++;
	return 0;
}

static int etc_walk_dir(struct etc_walk *w, int dfd, int depth);

/* A directory of /etc, at depth, shown: recorded, then walked. */
static int etc_walk_subdir(struct etc_walk *w, int dfd, const char *name,
			   const struct stat *st, int depth, bool holds_mount)
{
	struct gfs_forbidden *f = w->f;
	size_t at = f->etc_len;
	int fd, rc;

	if (depth >= GFS_ETC_MAX_DEPTH)
		return etc_refuse(w, "more than 32 directories deep", 0);
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && (errno == EACCES || errno == EPERM))
		/* not listable to the caller (an ACL, an LSM): never shown */
		return etc_forbid(w, "a directory guardfs cannot read");
	if (fd < 0)
		return errno == ENOENT ? 0 : etc_refuse(w, "open", errno);
	rc = etc_record(w, GFS_ETC_DIR, st, depth);
	if (rc) {
		close(fd);
		return rc;
	}
	f->etc[at].holds_mount = holds_mount;
	return etc_walk_dir(w, fd, depth + 1);
}

/* One entry of the directory dfd, whose name w->path ends with. */
static int etc_walk_entry(struct etc_walk *w, int dfd, const char *name,
			  int depth)
{
	bool holds_mount;
	struct stat st;

	if (!strcmp(w->path.data, w->mount))
		return etc_record(w, GFS_ETC_PLACE, NULL, depth);
	if (already_forbidden(w->f, w->path.data))
		return 0;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW))
		return errno == ENOENT ? 0 : etc_refuse(w, "stat", errno);
	if (S_ISLNK(st.st_mode))
		return etc_record(w, GFS_ETC_LINK, &st, depth);
	/* (a directory holding the project is walked, so it can be shown) */
	holds_mount = S_ISDIR(st.st_mode) &&
		      gfs_path_is_within(w->mount, w->path.data);
	if (!gfs_forbidden_others_may_read(st.st_mode) && !holds_mount)
		return etc_forbid(w, S_ISDIR(st.st_mode)
					     ? "a directory others may not read"
					     : "a file others may not read");
	if (S_ISDIR(st.st_mode))
		return etc_walk_subdir(w, dfd, name, &st, depth, holds_mount);
	if (S_ISREG(st.st_mode))
		return etc_record(w, GFS_ETC_FILE, &st, depth);
	/* a fifo, socket or device: no copy of it means anything */
	return 0;
}

/* Walks the directory dfd (taken over), whose path w->path is. */
static int etc_walk_dir(struct etc_walk *w, int dfd, int depth)
{
	DIR *d = fdopendir(dfd);
	size_t len = w->path.len;
	struct dirent *de;
	int rc = 0;

	if (!d) {
		close(dfd);
		return etc_refuse(w, "opendir", errno);
	}
	while (!rc) {
		errno = 0;
		de = readdir(d);
		if (!de) {
			if (errno)
				rc = etc_refuse(w, "readdir", errno);
			break;
		}
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (++w->entries > ETC_MAX_ENTRIES) {
			snprintf(w->err, w->err_size,
				 "cannot look through '%s' for what others "
				 "may not read: more than 100000 entries",
				 w->root);
			rc = -1;
			break;
		}
		if (gfs_buf_addf(&w->path, "/%s", de->d_name))
			rc = etc_refuse(w, "out of memory", 0);
		else
			rc = etc_walk_entry(w, dirfd(d), de->d_name, depth);
		w->path.len = len;
		w->path.data[len] = '\0';
	}
	closedir(d);
	return rc;
}

/* Walks root (a directory, not a link), for f->etc and what is hidden. */
static int forbid_private(struct gfs_forbidden *f, const char *root,
			  const char *mount, char *err, size_t err_size)
{
	struct etc_walk w = {.f = f,
			     .root = root,
			     .mount = mount,
			     .err = err,
			     .err_size = err_size};
	struct stat st;
	int fd, rc;

	fd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0; /* no such directory is shown (system_dirs) */
	if (fstat(fd, &st) || gfs_buf_adds(&w.path, root)) {
		close(fd);
		snprintf(err, err_size, "cannot look through '%s': %s", root,
			 strerror(errno ? errno : ENOMEM));
		return -1;
	}
	/* kept for the copy, as the root of what is shown: the same one */
	f->etc_fd = openat(fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	f->etc_walked = true;
	etc_entry_set(&f->etc_root, GFS_ETC_DIR, &st, -1);
	rc = f->etc_fd < 0 ? etc_refuse(&w, "open", errno)
			   : etc_walk_dir(&w, fd, 0);
	gfs_buf_release(&w.path);
	return rc;
}

int gfs_forbidden_collect(struct gfs_forbidden *f, const struct gfs_config *cfg,
			  const char *home, const char *mount, char *err,
			  size_t err_size)
{
	struct gfs_buf b = GFS_BUF_INIT;
	size_t i;

	f->etc_fd = -1;
	for (i = 0; home && i < sizeof(credential_places) /
					    sizeof(credential_places[0]);
	     i++) {
		gfs_buf_reset(&b);
		gfs_buf_addf(&b, "%s/%s", home, credential_places[i]);
		forbid(f, b.data, "a credential place of the home");
	}
	forbid_xdg(f, "XDG_CONFIG_HOME", ".config");
	forbid_xdg(f, "XDG_DATA_HOME", ".local/share");
	forbid_xdg(f, "XDG_STATE_HOME", ".local/state");
	gfs_buf_reset(&b);
	if (!gfs_control_runtime_dir(&b))
		forbid(f, b.data, "the runtime directory of guardfs");
	forbid(f, cfg->path, "the config of guardfs");
	forbid(f, cfg->store, "the snapshot store");
	forbid(f, cfg->audit_path, "the audit trail");
	/* Mounted elsewhere, the root itself is the unguarded folder. */
	if (strcmp(cfg->root, mount))
		forbid(f, cfg->root, "the unguarded folder");
	gfs_control_query_all("status", forbid_running, f);
	gfs_buf_release(&b);
	/* last: what is forbidden already is masked whole, not walked */
	return forbid_private(f, "/etc", mount, err, err_size);
}

int gfs_forbidden_check(const struct gfs_forbidden *f, const char *written,
			const char *resolved, const char *origin, char *err,
			size_t err_size)
{
	const char *forms[2] = {written, resolved};
	size_t i;
	int k;

	for (i = 0; i < f->len; i++) {
		for (k = 0; k < 2; k++) {
			const char *p = forms[k];

			if (!gfs_path_is_within(p, f->paths[i]) &&
			    !gfs_path_is_within(f->paths[i], p))
				continue;
			snprintf(err, err_size,
				 "%s: cannot share '%s' with the sandbox: "
				 "%s '%s' %s",
				 origin, written, f->whats[i], f->paths[i],
				 !strcmp(p, f->paths[i]) ? "is never shown"
				 : gfs_path_is_within(p, f->paths[i])
					 ? "holds it"
					 : "lies inside it");
			return -1;
		}
	}
	return 0;
}
