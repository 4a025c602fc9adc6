/* The project INI file: one table of keys, parsed with inih. */

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <libgen.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guardfs/config.h"
#include "guardfs/util.h"

enum key_kind {
	KIND_STRING,
	KIND_PATH,
	KIND_BOOL,
	KIND_SIZE,
	KIND_UINT,
	KIND_STRLIST,
	KIND_PATHLIST,
	KIND_AUDIT_LEVEL,
	KIND_ON_FAILURE,
	KIND_FRACTION, /* "0.25" or "25%", stored in percent */
	KIND_NETWORK,  /* enum gfs_run_network */
};

struct key_spec {
	const char *section;
	const char *key;
	enum key_kind kind;
	size_t offset;
};

#define KEY(sec, name, kind, field)                                            \
	{                                                                      \
		sec, name, kind, offsetof(struct gfs_config, field)            \
	}

/*
 * Every key guardfs understands. A capability that needs configuration
 * adds its rows here and its fields to struct gfs_config; nothing else
 * in the loader changes.
 */
static const struct key_spec keys[] = {
	KEY("guard", "root", KIND_PATH, root),
	KEY("guard", "mountpoint", KIND_PATH, mountpoint),
	KEY("guard", "name", KIND_STRING, name),
	KEY("guard", "xattrs", KIND_BOOL, xattrs),
	KEY("guard", "passthrough", KIND_BOOL, passthrough),
	KEY("guard", "io_uring", KIND_BOOL, io_uring),
	KEY("deny", "pattern", KIND_STRLIST, deny_patterns),
	KEY("deny", "builtin", KIND_BOOL, deny_builtin),
	KEY("deny", "case_sensitive", KIND_BOOL, case_sensitive),
	KEY("audit", "path", KIND_PATH, audit_path),
	KEY("audit", "level", KIND_AUDIT_LEVEL, audit_level),
	KEY("snapshot", "enabled", KIND_BOOL, snapshot_enabled),
	KEY("snapshot", "store", KIND_PATH, store),
	KEY("snapshot", "exclude", KIND_STRLIST, snapshot_exclude),
	KEY("snapshot", "default_excludes", KIND_BOOL,
	    snapshot_exclude_defaults),
	KEY("snapshot", "max_file_size", KIND_SIZE, max_file_size),
	KEY("snapshot", "on_failure", KIND_ON_FAILURE, on_failure),
	KEY("secrets", "scan", KIND_BOOL, scan),
	KEY("secrets", "max_size", KIND_SIZE, scan_max_size),
	KEY("secrets", "rules", KIND_PATHLIST, secret_rule_files),
	KEY("secrets", "allow_path", KIND_STRLIST, secret_allow_paths),
	KEY("secrets", "allow_value", KIND_STRLIST, secret_allow_values),
	KEY("limits", "deletes_per_minute", KIND_UINT, deletes_per_minute),
	KEY("ask", "pattern", KIND_STRLIST, ask_patterns),
	KEY("ask", "timeout", KIND_UINT, ask_timeout),
	KEY("ask", "answers", KIND_PATH, ask_answers),
	KEY("ask", "desktop", KIND_BOOL, ask_desktop),
	KEY("limits", "renames_per_minute", KIND_UINT, renames_per_minute),
	KEY("limits", "bytes_written_per_minute", KIND_SIZE,
	    bytes_written_per_minute),
	KEY("limits", "delete_fraction", KIND_FRACTION, delete_percent),
	KEY("limits", "ask", KIND_BOOL, limits_ask),
	KEY("run", "ro", KIND_PATHLIST, run_ro),
	KEY("run", "rw", KIND_PATHLIST, run_rw),
	KEY("run", "env", KIND_STRLIST, run_env),
	KEY("run", "network", KIND_NETWORK, run_network),
};

void gfs_config_init(struct gfs_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->deny_builtin = true;
	cfg->passthrough = true;
	cfg->io_uring = true;
	cfg->audit_level = GFS_AUDIT_ALL;
	cfg->snapshot_enabled = true;
	cfg->snapshot_exclude_defaults = true;
	cfg->max_file_size = 256ULL << 20;
	cfg->on_failure = GFS_ON_FAILURE_DENY;
	cfg->scan = true;
	cfg->scan_max_size = 8ULL << 20;
	cfg->run_network = GFS_RUN_NETWORK_OWN;
	cfg->ask_timeout = 30;
	cfg->ask_desktop = true;
	/* measured: see README, "Breaker and kill switch" */
	cfg->deletes_per_minute = GFS_DEFAULT_DELETES_PER_MINUTE;
	cfg->renames_per_minute = GFS_DEFAULT_RENAMES_PER_MINUTE;
	cfg->bytes_written_per_minute = GFS_DEFAULT_BYTES_PER_MINUTE;
	cfg->delete_percent = GFS_DEFAULT_DELETE_PERCENT;
}

static void strlist_release(struct gfs_strlist *l)
{
	size_t i;

	for (i = 0; i < l->len; i++) {
		free(l->items[i]);
		free(l->origins[i]);
	}
	free(l->items);
	free(l->origins);
	memset(l, 0, sizeof(*l));
}

void gfs_config_release(struct gfs_config *cfg)
{
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		void *field = (char *)cfg + keys[i].offset;

		switch (keys[i].kind) {
		case KIND_STRING:
		case KIND_PATH:
			free(*(char **)field);
			break;
		case KIND_STRLIST:
		case KIND_PATHLIST:
			strlist_release(field);
			break;
		default:
			break;
		}
	}
	free(cfg->path);
	gfs_buf_release(&cfg->text);
	gfs_config_init(cfg);
}

static int strlist_add(struct gfs_strlist *l, const char *item,
		       const char *origin)
{
	char **items = realloc(l->items, (l->len + 1) * sizeof(*items));
	char **origins;

	if (!items)
		return -ENOMEM;
	l->items = items;
	origins = realloc(l->origins, (l->len + 1) * sizeof(*origins));
	if (!origins)
		return -ENOMEM;
	l->origins = origins;
	l->items[l->len] = strdup(item);
	l->origins[l->len] = strdup(origin);
	if (!l->items[l->len] || !l->origins[l->len]) {
		free(l->items[l->len]);
		free(l->origins[l->len]);
		return -ENOMEM;
	}
	l->len++;
	return 0;
}

/* The parse in progress: inih calls back into it. */
struct parse_state {
	struct gfs_config *cfg;
	FILE *file;
	const char *path;
	char *base_dir; /* relative paths are taken from here */
	unsigned line;
	char err[400];
};

/*
 * Expands "~/..." and makes value absolute relative to base_dir. Returns
 * a new string or NULL.
 */
static char *expand_path(const char *value, const char *base_dir)
{
	struct gfs_buf out = GFS_BUF_INIT;
	const char *home = getenv("HOME");

	if (value[0] == '~' && (value[1] == '/' || value[1] == '\0')) {
		if (!home)
			return NULL;
		gfs_buf_addf(&out, "%s%s", home, value + 1);
	} else if (value[0] == '/') {
		gfs_buf_adds(&out, value);
	} else {
		gfs_buf_addf(&out, "%s/%s", base_dir, value);
	}
	/* Trailing slashes would upset prefix checks later. */
	while (out.len > 1 && out.data[out.len - 1] == '/')
		out.data[--out.len] = '\0';
	return gfs_buf_detach(&out);
}

static const struct key_spec *find_key(const char *section, const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (!strcmp(keys[i].section, section) &&
		    !strcmp(keys[i].key, key))
			return &keys[i];
	}
	return NULL;
}

static bool section_known(const char *section)
{
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (!strcmp(keys[i].section, section))
			return true;
	}
	return false;
}

/*
 * A share: "0.25" or "25%" into whole percent (1 to 100), "0" for none.
 * Finer steps than a percent would promise a precision the count of
 * known entries does not have.
 */
static int parse_fraction(const char *value, unsigned *percent)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(value, &end);
	if (errno || end == value || v < 0)
		return -EINVAL;
	if (*end == '%' && end[1] == '\0')
		v /= 100;
	else if (*end)
		return -EINVAL;
	if (v > 1 || (v > 0 && v < 0.01))
		return -EINVAL;
	*percent = (unsigned)(v * 100 + 0.5);
	return 0;
}

int gfs_config_network_parse(const char *text, enum gfs_run_network *out)
{
	bool yes;

	if (!strcmp(text, "host"))
		*out = GFS_RUN_NETWORK_HOST;
	else if (!gfs_bool_parse(text, &yes))
		*out = yes ? GFS_RUN_NETWORK_OWN : GFS_RUN_NETWORK_NONE;
	else
		return -EINVAL;
	return 0;
}

static int set_value(struct parse_state *st, const struct key_spec *spec,
		     const char *value)
{
	void *field = (char *)st->cfg + spec->offset;
	char origin[PATH_MAX + 32];
	uint64_t size;
	char *copy;

	snprintf(origin, sizeof(origin), "%s:%u", st->path, st->line);
	switch (spec->kind) {
	case KIND_STRING:
	case KIND_PATH:
		if (!value[0])
			return -EINVAL;
		copy = spec->kind == KIND_PATH
			       ? expand_path(value, st->base_dir)
			       : strdup(value);
		if (!copy)
			return -ENOMEM;
		free(*(char **)field);
		*(char **)field = copy;
		return 0;
	case KIND_BOOL:
		return gfs_bool_parse(value, field);
	case KIND_SIZE:
		return gfs_size_parse(value, field);
	case KIND_UINT:
		if (gfs_size_parse(value, &size) || size > 1000000000)
			return -EINVAL;
		*(unsigned *)field = (unsigned)size;
		return 0;
	case KIND_STRLIST:
		if (!value[0])
			return -EINVAL;
		return strlist_add(field, value, origin);
	case KIND_PATHLIST:
		if (!value[0])
			return -EINVAL;
		copy = expand_path(value, st->base_dir);
		if (!copy)
			return -ENOMEM;
		size = (uint64_t)strlist_add(field, copy, origin);
		free(copy);
		return (int)size;
	case KIND_AUDIT_LEVEL:
		if (!strcmp(value, "all"))
			*(enum gfs_audit_level *)field = GFS_AUDIT_ALL;
		else if (!strcmp(value, "mutations"))
			*(enum gfs_audit_level *)field = GFS_AUDIT_MUTATIONS;
		else if (!strcmp(value, "denied"))
			*(enum gfs_audit_level *)field = GFS_AUDIT_DENIED;
		else
			return -EINVAL;
		return 0;
	case KIND_FRACTION:
		return parse_fraction(value, field);
	case KIND_NETWORK:
		return gfs_config_network_parse(value, field);
	case KIND_ON_FAILURE:
		if (!strcmp(value, "deny"))
			*(enum gfs_on_failure *)field = GFS_ON_FAILURE_DENY;
		else if (!strcmp(value, "allow"))
			*(enum gfs_on_failure *)field = GFS_ON_FAILURE_ALLOW;
		else
			return -EINVAL;
		return 0;
	}
	return -EINVAL;
}

static const char *kind_hint(enum key_kind kind)
{
	switch (kind) {
	case KIND_BOOL:
		return " (expected yes or no)";
	case KIND_SIZE:
		return " (expected a size such as 8M)";
	case KIND_UINT:
		return " (expected a whole number)";
	case KIND_AUDIT_LEVEL:
		return " (expected all, mutations or denied)";
	case KIND_ON_FAILURE:
		return " (expected deny or allow)";
	case KIND_FRACTION:
		return " (expected a share such as 0.5 or 50%, 0 for none)";
	case KIND_NETWORK:
		return " (expected yes, no or host)";
	default:
		return " (expected a non-empty value)";
	}
}

static int on_key(void *user, const char *section, const char *key,
		  const char *value)
{
	struct parse_state *st = user;
	const struct key_spec *spec;
	int rc;

	if (st->err[0])
		return 0;
	spec = find_key(section, key);
	if (!spec) {
		if (!section[0])
			snprintf(st->err, sizeof(st->err),
				 "%s:%u: key '%s' outside any section",
				 st->path, st->line, key);
		else if (!section_known(section))
			snprintf(st->err, sizeof(st->err),
				 "%s:%u: unknown section '%s'", st->path,
				 st->line, section);
		else
			snprintf(st->err, sizeof(st->err),
				 "%s:%u: unknown key '%s' in section [%s]",
				 st->path, st->line, key, section);
		return 0;
	}
	rc = set_value(st, spec, value);
	if (rc) {
		snprintf(st->err, sizeof(st->err),
			 "%s:%u: bad value '%s' for '%s'%s", st->path, st->line,
			 value, key, kind_hint(spec->kind));
		return 0;
	}
	return 1;
}

/*
 * Feeds inih one line at a time so that every error can name its line,
 * and checks section headers itself: inih only reports keys, so an empty
 * unknown section would otherwise pass unnoticed.
 */
static char *read_line(char *str, int num, void *stream)
{
	struct parse_state *st = stream;
	char *line = fgets(str, num, st->file);
	char *p, *end;

	if (!line)
		return NULL;
	st->line++;
	for (p = line; isspace((unsigned char)*p); p++)
		;
	if (*p == '[' && !st->err[0]) {
		end = strchr(p, ']');
		if (end) {
			char section[64];
			size_t n = (size_t)(end - p - 1);

			if (n < sizeof(section)) {
				memcpy(section, p + 1, n);
				section[n] = '\0';
				if (!section_known(section))
					snprintf(st->err, sizeof(st->err),
						 "%s:%u: unknown section '%s'",
						 st->path, st->line, section);
			}
		}
	}
	return line;
}

/* doas's rule: a config others can change is a config others control. */
static int check_file(const struct stat *st, const char *path, char *err,
		      size_t err_size)
{
	if (!S_ISREG(st->st_mode)) {
		snprintf(err, err_size, "%s: not a regular file", path);
		return -1;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, err_size,
			 "%s: writable by group or others (mode %03o); "
			 "run chmod go-w on it",
			 path, (unsigned)(st->st_mode & 0777));
		return -1;
	}
	if (st->st_uid != geteuid() && st->st_uid != 0) {
		snprintf(err, err_size, "%s: owned by another user (uid %lu)",
			 path, (unsigned long)st->st_uid);
		return -1;
	}
	return 0;
}

int gfs_config_load_text(struct gfs_config *cfg, const char *path,
			 const char *text, size_t len, char *err,
			 size_t err_size)
{
	struct parse_state st;
	char *dir_copy, *copy;
	int rc = 0;

	memset(&st, 0, sizeof(st));
	st.cfg = cfg;
	st.path = path;
	/* An empty file is a valid config; fmemopen wants a size. */
	if (len) {
		st.file = fmemopen((void *)text, len, "r");
		if (!st.file) {
			snprintf(err, err_size, "%s: cannot parse: %s", path,
				 strerror(errno));
			return -1;
		}
		dir_copy = strdup(path);
		st.base_dir = dir_copy ? strdup(dirname(dir_copy)) : NULL;
		free(dir_copy);
		rc = ini_parse_stream(read_line, &st, on_key, &st);
		fclose(st.file);
		free(st.base_dir);
	}
	if (!st.err[0] && rc > 0)
		snprintf(st.err, sizeof(st.err),
			 "%s:%d: syntax error (expected [section] or "
			 "key = value)",
			 path, rc);
	else if (!st.err[0] && rc < 0)
		snprintf(st.err, sizeof(st.err), "%s: cannot parse", path);
	if (st.err[0]) {
		snprintf(err, err_size, "%s", st.err);
		return -1;
	}
	copy = strdup(path);
	gfs_buf_reset(&cfg->text);
	if (!copy || gfs_buf_add(&cfg->text, text, len)) {
		free(copy);
		snprintf(err, err_size, "%s: out of memory", path);
		return -1;
	}
	free(cfg->path);
	cfg->path = copy;
	return 0;
}

int gfs_config_load(struct gfs_config *cfg, const char *path, char *err,
		    size_t err_size)
{
	struct gfs_buf abs = GFS_BUF_INIT, text = GFS_BUF_INIT;
	struct stat st;
	int fd, rc = -1;

	if (gfs_realpath(&abs, path)) {
		snprintf(err, err_size, "%s: cannot read: %s", path,
			 strerror(errno));
		return -1;
	}
	fd = open(abs.data, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st)) {
		snprintf(err, err_size, "%s: cannot read: %s", abs.data,
			 strerror(errno));
		goto out;
	}
	if (check_file(&st, abs.data, err, err_size))
		goto out;
	rc = gfs_buf_read_fd(&text, fd);
	if (rc) {
		snprintf(err, err_size, "%s: cannot read: %s", abs.data,
			 strerror(-rc));
		rc = -1;
		goto out;
	}
	rc = gfs_config_load_text(cfg, abs.data, text.data ? text.data : "",
				  text.len, err, err_size);
	if (!rc)
		cfg->file_stat = st;
out:
	if (fd >= 0)
		close(fd);
	gfs_buf_release(&abs);
	gfs_buf_release(&text);
	return rc;
}

static bool file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

int gfs_config_project_id(const struct gfs_config *cfg, struct gfs_buf *out)
{
	uint64_t h = gfs_hash(cfg->root, strlen(cfg->root));
	size_t start = out->len, i;
	int rc = gfs_buf_addf(out, "%s-%08llx", cfg->name,
			      (unsigned long long)(h & 0xffffffffULL));

	/* The name becomes a file name: keep it tame. */
	for (i = start; !rc && i < out->len; i++) {
		char c = out->data[i];

		if (!isalnum((unsigned char)c) && c != '-' && c != '_' &&
		    c != '.')
			out->data[i] = '_';
	}
	return rc;
}

/* Fills the fields whose defaults depend on the root. */
static int derive(struct gfs_config *cfg, char *err, size_t err_size)
{
	struct gfs_buf id = GFS_BUF_INIT, path = GFS_BUF_INIT;
	char *copy;
	int rc = 0;

	if (!cfg->name) {
		copy = strdup(cfg->root);
		cfg->name = copy ? strdup(basename(copy)) : NULL;
		free(copy);
		if (!cfg->name || !cfg->name[0] || !strcmp(cfg->name, "/")) {
			free(cfg->name);
			cfg->name = strdup("root");
		}
	}
	gfs_config_project_id(cfg, &id);
	if (!cfg->audit_path) {
		rc = gfs_xdg_dir(&path, "XDG_STATE_HOME", ".local/state");
		if (rc) {
			snprintf(err, err_size,
				 "cannot place the audit trail: "
				 "set HOME or [audit] path");
			goto out;
		}
		gfs_buf_addf(&path, "/guardfs/%s.audit.jsonl", id.data);
		cfg->audit_path = gfs_buf_detach(&path);
	}
	/* beside the audit trail and the session records, outside the root */
	if (!cfg->ask_answers &&
	    !gfs_xdg_dir(&path, "XDG_STATE_HOME", ".local/state")) {
		gfs_buf_addf(&path, "/guardfs/%s.answers", id.data);
		cfg->ask_answers = gfs_buf_detach(&path);
	}
	if (!cfg->store) {
		rc = gfs_xdg_dir(&path, "XDG_DATA_HOME", ".local/share");
		if (rc) {
			snprintf(err, err_size,
				 "cannot place the store: set "
				 "HOME or [snapshot] store");
			goto out;
		}
		gfs_buf_addf(&path, "/guardfs/%s.git", id.data);
		cfg->store = gfs_buf_detach(&path);
	}
out:
	gfs_buf_release(&id);
	gfs_buf_release(&path);
	return rc;
}

/* The steps after loading: the root, then the derived fields. */
static int finish(struct gfs_config *cfg, const char *root_hint, char *err,
		  size_t err_size)
{
	struct gfs_buf real = GFS_BUF_INIT;
	struct stat st;

	if (root_hint) {
		free(cfg->root);
		cfg->root = strdup(root_hint);
	}
	if (!cfg->root) {
		snprintf(err, err_size,
			 "no folder to guard: give ROOT, or "
			 "[guard] root in the config");
		return -1;
	}
	if (gfs_realpath(&real, cfg->root)) {
		snprintf(err, err_size, "cannot use root '%s': %s", cfg->root,
			 strerror(errno));
		return -1;
	}
	if (stat(real.data, &st) || !S_ISDIR(st.st_mode)) {
		snprintf(err, err_size, "root '%s' is not a directory",
			 real.data);
		gfs_buf_release(&real);
		return -1;
	}
	free(cfg->root);
	cfg->root = gfs_buf_detach(&real);
	return derive(cfg, err, err_size) ? -1 : 0;
}

int gfs_config_resolve(struct gfs_config *cfg, const char *explicit_path,
		       const char *root_hint, char *err, size_t err_size)
{
	struct gfs_buf candidate = GFS_BUF_INIT;
	int rc = 0;

	if (explicit_path) {
		rc = gfs_config_load(cfg, explicit_path, err, err_size);
	} else {
		if (root_hint) {
			gfs_buf_addf(&candidate, "%s/.guardfs.ini", root_hint);
			if (!file_exists(candidate.data))
				gfs_buf_reset(&candidate);
		}
		if (!candidate.len &&
		    !gfs_xdg_dir(&candidate, "XDG_CONFIG_HOME", ".config")) {
			gfs_buf_adds(&candidate, "/guardfs/config.ini");
			if (!file_exists(candidate.data))
				gfs_buf_reset(&candidate);
		}
		if (candidate.len)
			rc = gfs_config_load(cfg, candidate.data, err,
					     err_size);
	}
	gfs_buf_release(&candidate);
	if (rc)
		return -1;
	return finish(cfg, root_hint, err, err_size);
}

int gfs_config_resolve_text(struct gfs_config *cfg, const char *path,
			    const char *text, size_t len, const char *root_hint,
			    char *err, size_t err_size)
{
	if (path && gfs_config_load_text(cfg, path, text, len, err, err_size))
		return -1;
	return finish(cfg, root_hint, err, err_size);
}
