#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "guardfs/ignore.h"
#include "guardfs/policy.h"

/*
 * An exact hide: guardfs's own file or directory inside the root. It is
 * checked before any rule, so no "!pattern" can re-expose it, and by
 * prefix, so everything below it is hidden however it is reached.
 */
struct exact_hide {
	char *relpath; /* normalized: no empty, "." or ".." components */
	size_t len;
	char *origin;
};

struct gfs_policy {
	struct gfs_ignore *rules; /* built-in list, then user patterns */
	struct exact_hide *exact;
	size_t n_exact;
	struct exact_hide *names; /* hidden at any depth, by component */
	size_t n_names;
	char *mount; /* where the agent sees the folder (links.c) */
};

int gfs_policy_new(struct gfs_policy **out, const struct gfs_policy_opts *opts)
{
	static const struct gfs_policy_opts defaults = {.builtin = true};
	struct gfs_policy *p;
	unsigned bad_line = 0;
	int rc;

	*out = NULL;
	if (!opts)
		opts = &defaults;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	rc = gfs_ignore_new(&p->rules,
			    opts->case_sensitive ? 0 : GFS_IGNORE_CASEFOLD);
	if (rc)
		goto fail;
	if (opts->builtin) {
		/* A bad shipped line is a build defect, not a user error. */
		rc = gfs_ignore_add_text(p->rules, gfs_builtin_deny_rules,
					 gfs_builtin_deny_rules_len, "builtin",
					 &bad_line);
		if (rc)
			goto fail;
	}
	*out = p;
	return 0;
fail:
	gfs_policy_free(p);
	return rc;
}

void gfs_policy_free(struct gfs_policy *p)
{
	size_t i;

	if (!p)
		return;
	gfs_ignore_free(p->rules);
	free(p->mount);
	for (i = 0; i < p->n_exact; i++) {
		free(p->exact[i].relpath);
		free(p->exact[i].origin);
	}
	free(p->exact);
	for (i = 0; i < p->n_names; i++) {
		free(p->names[i].relpath);
		free(p->names[i].origin);
	}
	free(p->names);
	free(p);
}

int gfs_policy_add_pattern(struct gfs_policy *p, const char *pattern,
			   const char *origin)
{
	return gfs_ignore_add(p->rules, pattern, origin);
}

/*
 * Writes relpath without empty and "." components into out (at least
 * strlen(relpath) + 1 bytes). Returns its length, or -EINVAL for a path
 * that names the root, is absolute, or climbs with "..".
 */
static long normalize_relpath(const char *relpath, char *out)
{
	const char *s = relpath;
	size_t len = 0;

	if (*s == '/')
		return -EINVAL;
	while (*s) {
		size_t n = strcspn(s, "/");

		if (n == 2 && s[0] == '.' && s[1] == '.')
			return -EINVAL;
		if (n && !(n == 1 && s[0] == '.')) {
			if (len)
				out[len++] = '/';
			memcpy(out + len, s, n);
			len += n;
		}
		s += n;
		while (*s == '/')
			s++;
	}
	out[len] = '\0';
	return len ? (long)len : -EINVAL;
}

int gfs_policy_hide_exact(struct gfs_policy *p, const char *relpath,
			  const char *origin)
{
	struct exact_hide *exact, e = {0};
	long len;

	e.relpath = malloc(strlen(relpath) + 1);
	e.origin = strdup(origin ? origin : "");
	if (!e.relpath || !e.origin)
		goto nomem;
	len = normalize_relpath(relpath, e.relpath);
	if (len < 0) {
		free(e.relpath);
		free(e.origin);
		return (int)len;
	}
	e.len = (size_t)len;
	exact = realloc(p->exact, (p->n_exact + 1) * sizeof(*exact));
	if (!exact)
		goto nomem;
	p->exact = exact;
	p->exact[p->n_exact++] = e;
	return 0;
nomem:
	free(e.relpath);
	free(e.origin);
	return -ENOMEM;
}

int gfs_policy_hide_name(struct gfs_policy *p, const char *name,
			 const char *origin)
{
	struct exact_hide *names, e = {0};

	if (!name[0] || strchr(name, '/') || !strcmp(name, ".") ||
	    !strcmp(name, ".."))
		return -EINVAL;
	e.relpath = strdup(name);
	e.origin = strdup(origin ? origin : "");
	names = e.relpath && e.origin
			? realloc(p->names, (p->n_names + 1) * sizeof(*names))
			: NULL;
	if (!names) {
		free(e.relpath);
		free(e.origin);
		return -ENOMEM;
	}
	e.len = strlen(name);
	p->names = names;
	p->names[p->n_names++] = e;
	return 0;
}

static bool ascii_eq_fold(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];

		if (x >= 'A' && x <= 'Z')
			x += 'a' - 'A';
		if (y >= 'A' && y <= 'Z')
			y += 'a' - 'A';
		if (x != y)
			return false;
	}
	return true;
}

/*
 * Exact hides always ignore ASCII case, whatever the policy's setting:
 * on a case-insensitive backing filesystem (ext4 casefold, exFAT, a
 * Samba share) "STORE" opens "store", and hiding a same-named sibling
 * that differs only in case costs nothing.
 */
static const struct exact_hide *find_exact(const struct gfs_policy *p,
					   const char *relpath)
{
	size_t len = strlen(relpath), i;

	for (i = 0; i < p->n_exact; i++) {
		const struct exact_hide *e = &p->exact[i];

		if (len >= e->len &&
		    (len == e->len || relpath[e->len] == '/') &&
		    ascii_eq_fold(relpath, e->relpath, e->len))
			return e;
	}
	return NULL;
}

/* A name hidden at any depth, matched against every component. */
static const struct exact_hide *find_name(const struct gfs_policy *p,
					  const char *relpath)
{
	const char *s = relpath;
	size_t i;

	while (p->n_names && *s) {
		size_t n = strcspn(s, "/");

		for (i = 0; i < p->n_names; i++) {
			if (n == p->names[i].len &&
			    ascii_eq_fold(s, p->names[i].relpath, n))
				return &p->names[i];
		}
		s += n;
		while (*s == '/')
			s++;
	}
	return NULL;
}

/* A name inside a longer one: name[start .. start + len). */
struct name_span {
	size_t start, len;
};

static bool ends_with(const char *name, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len > n && ascii_eq_fold(name + len - n, suffix, n);
}

/*
 * The names a file named `name` may be an editor's copy of: a swap file
 * (vim `.X.swp`, `.X.swo`..., kate `.X.kate-swp`), a backup (`X~`,
 * `X.~3~`, `X.bak`, `X.orig`, `X.old`, `X.save`, `X.backup`, `X.tmp`,
 * JetBrains `X___jb_old___`), an undo file (vim `.X.un~`), an emacs
 * auto-save `#X#` or lock `.#X`. Such a copy holds what X holds, so it is
 * hidden when X is. Returns how many spans were written to out (at most 2).
 */
static size_t edited_bases(const char *name, size_t len,
			   struct name_span out[2])
{
	static const char *const backups[] = {
		".bak",	   ".orig", ".old",	    ".save",
		".backup", ".tmp",  "___jb_old___", "___jb_tmp___",
	};
	size_t i, n = 0, cut = 0, dot_skip = name[0] == '.';

	if (len >= 3 && name[0] == '#' && name[len - 1] == '#') {
		out[n++] = (struct name_span){1, len - 2};
		return n;
	}
	if (len >= 3 && name[0] == '.' && name[1] == '#') {
		out[n++] = (struct name_span){2, len - 2};
		return n;
	}
	if (ends_with(name, len, ".un~")) {
		cut = 4;
	} else if (len >= 3 && name[len - 1] == '~') {
		/* X~, or numbered X.~12~ */
		i = len - 1;
		while (i > 0 && name[i - 1] >= '0' && name[i - 1] <= '9')
			i--;
		if (i >= 3 && i < len - 1 && name[i - 1] == '~' &&
		    name[i - 2] == '.')
			cut = len - (i - 2);
		else
			cut = 1;
		dot_skip = 0;
	} else if (len >= 6 && ends_with(name, len - 1, ".sw") &&
		   ((name[len - 1] | 0x20) >= 'a' &&
		    (name[len - 1] | 0x20) <= 'z')) {
		cut = 4;
	} else if (ends_with(name, len, ".kate-swp")) {
		cut = 9;
	} else {
		for (i = 0; i < sizeof(backups) / sizeof(backups[0]); i++)
			if (ends_with(name, len, backups[i]))
				cut = strlen(backups[i]);
		dot_skip = 0;
	}
	if (!cut || cut >= len)
		return 0;
	/* .env.swp is the swap file of .env; .id_rsa.swp that of id_rsa */
	out[n++] = (struct name_span){0, len - cut};
	if (dot_skip && len - cut > 1)
		out[n++] = (struct name_span){1, len - cut - 1};
	return n;
}

static bool match_rules(const struct gfs_policy *p, const char *relpath,
			bool is_dir, bool tree, const char **rule)
{
	enum gfs_ignore_verdict v;
	const char *origin = NULL;

	v = tree ? gfs_ignore_match_tree(p->rules, relpath, is_dir, &origin)
		 : gfs_ignore_match(p->rules, relpath, is_dir, &origin);
	if (v != GFS_IGNORE_MATCH)
		return false;
	if (rule)
		*rule = origin;
	return true;
}

/* Is relpath an editor's copy of a hidden name? depth bounds X.swp~ */
static bool hides_edited(const struct gfs_policy *p, const char *relpath,
			 bool is_dir, bool tree, const char **rule,
			 unsigned depth)
{
	const char *slash = strrchr(relpath, '/');
	const char *name = slash ? slash + 1 : relpath;
	size_t dir_len = (size_t)(name - relpath), len = strlen(name), n, i;
	struct name_span spans[2];
	char path[4096];

	n = edited_bases(name, len, spans);
	for (i = 0; i < n; i++) {
		const char *base = name + spans[i].start;
		size_t blen = spans[i].len;

		if (dir_len + blen >= sizeof(path) ||
		    (blen == 1 && base[0] == '.') ||
		    (blen == 2 && base[0] == '.' && base[1] == '.'))
			continue;
		memcpy(path, relpath, dir_len);
		memcpy(path + dir_len, base, blen);
		path[dir_len + blen] = '\0';
		if (match_rules(p, path, is_dir, tree, rule) ||
		    (depth < 2 &&
		     hides_edited(p, path, is_dir, tree, rule, depth + 1)))
			return true;
	}
	return false;
}

static bool decide(const struct gfs_policy *p, const char *relpath, bool is_dir,
		   bool tree, const char **rule)
{
	const struct exact_hide *e;

	if (rule)
		*rule = NULL;
	/* The root itself is never hidden. */
	if (!relpath[0])
		return false;
	e = find_exact(p, relpath);
	if (!e)
		e = find_name(p, relpath);
	if (e) {
		if (rule)
			*rule = e->origin;
		return true;
	}
	/*
	 * An editor's copy of a name the rules hide is hidden by the same
	 * rule (guardfs's own files are hidden by exact name only).
	 */
	return match_rules(p, relpath, is_dir, tree, rule) ||
	       hides_edited(p, relpath, is_dir, tree, rule, 0);
}

bool gfs_policy_hides(const struct gfs_policy *p, const char *relpath,
		      bool is_dir, const char **rule)
{
	return decide(p, relpath, is_dir, false, rule);
}

bool gfs_policy_hides_tree(const struct gfs_policy *p, const char *relpath,
			   bool is_dir, const char **rule)
{
	return decide(p, relpath, is_dir, true, rule);
}

/* Whether an exact hide lies below directory dir. */
static bool exact_below(const struct gfs_policy *p, const char *dir)
{
	size_t len = strlen(dir), i;

	for (i = 0; i < p->n_exact; i++) {
		const struct exact_hide *e = &p->exact[i];

		if (e->len > len && e->relpath[len] == '/' &&
		    ascii_eq_fold(e->relpath, dir, len))
			return true;
	}
	return false;
}

bool gfs_policy_moves_matter(const struct gfs_policy *p, const char *from,
			     const char *to)
{
	return exact_below(p, from) || exact_below(p, to) ||
	       gfs_ignore_moves_matter(p->rules, from, to);
}

/*
 * Judged lexically, as the header says, with one tightening: a ".." that
 * follows an ordinary name counts as escaping. The leading ".." run climbs
 * the link's own real ancestors, which the count bounds exactly; but a name
 * before a later ".." may itself be a symlink (say "d" -> "."), and then
 * "d/../.." climbs from wherever d points, not from where the text says.
 * With ".." only at the front, every symlink lands inside the root by
 * induction over the links it passes through. Legitimate targets almost
 * never have a ".." in the middle.
 */
bool gfs_policy_symlink_escapes(const char *link_relpath, const char *target)
{
	const char *s = link_relpath;
	long depth = -1; /* the link's own name is not a directory level */
	bool named = false;

	if (!target || !target[0] || target[0] == '/')
		return true;
	if (!link_relpath || link_relpath[0] == '/')
		return true;
	while (*s) {
		size_t n = strcspn(s, "/");

		if (n == 2 && s[0] == '.' && s[1] == '.')
			return true;
		if (n && !(n == 1 && s[0] == '.'))
			depth++;
		s += n;
		while (*s == '/')
			s++;
	}
	if (depth < 0)
		return true; /* no link name at all */

	for (s = target; *s;) {
		size_t n = strcspn(s, "/");

		if (n == 2 && s[0] == '.' && s[1] == '.') {
			if (named || --depth < 0)
				return true;
		} else if (n && !(n == 1 && s[0] == '.')) {
			named = true;
		}
		s += n;
		while (*s == '/')
			s++;
	}
	return false;
}

/*
 * Absolute symlink targets. Where the agent sees the folder, an absolute
 * target below that point resolves through the mount, so it stays inside
 * by the same induction as a relative one, as long as it has no "." or
 * ".." to climb with. Outside it, only trees that hold the system's own
 * files and that no ordinary user can write are allowed: tools link into
 * them (python's venv links its interpreter, Debian's alternatives link
 * headers), and what such a link reaches the agent reads anyway. A link
 * into /usr/local, /etc or a home is refused: that is where a user's
 * later tool (a build writing "out/report" planted as a link) would be
 * turned against the user's own files.
 */
static const char *const system_trees[] = {
	"/usr",	  "/bin",   "/sbin",   "/lib",
	"/lib32", "/lib64", "/libx32", "/etc/alternatives",
};

int gfs_policy_set_mount(struct gfs_policy *p, const char *mount)
{
	char *copy = strdup(mount);
	size_t len;

	if (!copy)
		return -ENOMEM;
	len = strlen(copy);
	while (len > 1 && copy[len - 1] == '/')
		copy[--len] = '\0';
	free(p->mount);
	p->mount = copy;
	return 0;
}

/*
 * Whether absolute path is written plainly: ordinary components, no "."
 * or "..", no doubled '/' (a trailing one is fine), so that comparing
 * its text with a prefix compares where it leads.
 */
static bool plain_absolute(const char *path)
{
	const char *s = path;

	if (*s != '/')
		return false;
	while (*s) {
		size_t n;

		s++; /* the one '/' */
		n = strcspn(s, "/");
		if ((n == 0 && *s) || (n == 1 && s[0] == '.') ||
		    (n == 2 && s[0] == '.' && s[1] == '.'))
			return false;
		s += n;
	}
	return true;
}

/* The rest of path after prefix and its slashes, or NULL if not below. */
static const char *below(const char *path, const char *prefix)
{
	size_t len = strlen(prefix);

	if (len == 1 && prefix[0] == '/')
		len = 0;
	if (strncmp(path, prefix, len) || (path[len] && path[len] != '/'))
		return NULL;
	path += len;
	if (*path == '/')
		path++;
	return path;
}

const char *gfs_policy_link_inside(const struct gfs_policy *p,
				   const char *target)
{
	if (!p || !p->mount || !target || !plain_absolute(target))
		return NULL;
	return below(target, p->mount);
}

enum gfs_link_target gfs_policy_link_target(const struct gfs_policy *p,
					    const char *link_relpath,
					    const char *target)
{
	size_t i;

	if (!target || target[0] != '/')
		return gfs_policy_symlink_escapes(link_relpath, target)
			       ? GFS_LINK_OUT
			       : GFS_LINK_INSIDE;
	if (!link_relpath || !link_relpath[0] || link_relpath[0] == '/' ||
	    !plain_absolute(target))
		return GFS_LINK_OUT;
	if (gfs_policy_link_inside(p, target))
		return GFS_LINK_INSIDE;
	if (below(target, "/usr/local"))
		return GFS_LINK_OUT;
	for (i = 0; i < sizeof(system_trees) / sizeof(system_trees[0]); i++)
		if (below(target, system_trees[i]))
			return GFS_LINK_SYSTEM;
	return GFS_LINK_OUT;
}
