/* The guards of one configuration: name policy and content scanner. */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "guardfs/guards.h"
#include "guardfs/util.h"

/* Relative path of path below root, or NULL when it lies outside. */
static const char *inside_root(const char *root, const char *path)
{
	size_t n = strlen(root);

	if (!path || !gfs_path_is_within(path, root) || !path[n])
		return NULL;
	return path + n + 1;
}

static int build_policy(struct gfs_guards *g, const struct gfs_config *cfg,
			char *err, size_t err_size)
{
	static const char *const xdg_dirs[][2] = {
		{"XDG_CONFIG_HOME", ".config"},
		{"XDG_STATE_HOME", ".local/state"},
		{"XDG_DATA_HOME", ".local/share"},
	};
	struct gfs_policy_opts popts = {
		.builtin = cfg->deny_builtin,
		.case_sensitive = cfg->case_sensitive,
	};
	struct gfs_buf xdg = GFS_BUF_INIT;
	const char *rel;
	size_t i;
	int rc;

	rc = gfs_policy_new(&g->policy, &popts);
	/* absolute symlink targets below where the agent sees the folder */
	if (!rc && (cfg->mountpoint || cfg->root))
		rc = gfs_policy_set_mount(g->policy, cfg->mountpoint
							     ? cfg->mountpoint
							     : cfg->root);
	if (rc) {
		snprintf(err, err_size, "cannot build the deny list: %s",
			 strerror(-rc));
		return rc;
	}
	for (i = 0; i < cfg->deny_patterns.len; i++) {
		rc = gfs_policy_add_pattern(g->policy,
					    cfg->deny_patterns.items[i],
					    cfg->deny_patterns.origins[i]);
		if (rc) {
			snprintf(err, err_size, "%s: bad pattern '%s'",
				 cfg->deny_patterns.origins[i],
				 cfg->deny_patterns.items[i]);
			return rc;
		}
	}
	/*
	 * P6: guardfs's own files are never visible through the mount, nor
	 * can they be created there. A .guardfs.ini is hidden at any depth
	 * whether or not one exists now: `guardfs mount DIR` reads
	 * DIR/.guardfs.ini and the history commands walk up from the current
	 * directory to the nearest one, so a file of that name anywhere in
	 * the folder is a config some later command would load.
	 */
	rc = gfs_policy_hide_name(g->policy, ".guardfs.ini", "guardfs-config");
	rel = inside_root(cfg->root, cfg->path);
	if (!rc && rel)
		rc = gfs_policy_hide_exact(g->policy, rel, "guardfs-config");
	/*
	 * The user-wide config, the trust records and the default stores,
	 * when the folder holds the home.
	 */
	for (i = 0; !rc && i < sizeof(xdg_dirs) / sizeof(xdg_dirs[0]); i++) {
		gfs_buf_reset(&xdg);
		if (gfs_xdg_dir(&xdg, xdg_dirs[i][0], xdg_dirs[i][1]) ||
		    gfs_buf_adds(&xdg, "/guardfs"))
			continue;
		rel = inside_root(cfg->root, xdg.data);
		if (rel)
			rc = gfs_policy_hide_exact(g->policy, rel,
						   "guardfs-files");
	}
	gfs_buf_release(&xdg);
	rel = inside_root(cfg->root, cfg->audit_path);
	if (!rc && rel)
		rc = gfs_policy_hide_exact(g->policy, rel, "guardfs-audit");
	if (rc)
		snprintf(err, err_size, "cannot hide guardfs's own files");
	return rc;
}

int gfs_guards_list(struct gfs_ignore **out, const char *defaults,
		    const struct gfs_strlist *lines, unsigned flags, char *err,
		    size_t err_size)
{
	unsigned bad_line = 0;
	size_t i;
	int rc;

	*out = NULL;
	if (!lines->len && !defaults)
		return 0;
	rc = gfs_ignore_new(out, flags);
	if (!rc && defaults) {
		rc = gfs_ignore_add_text(*out, defaults, strlen(defaults),
					 "default", &bad_line);
		if (rc)
			snprintf(err, err_size, "default rule %u is malformed",
				 bad_line);
	}
	for (i = 0; !rc && i < lines->len; i++) {
		rc = gfs_ignore_add(*out, lines->items[i], lines->origins[i]);
		if (rc)
			snprintf(err, err_size, "%s: bad pattern '%s'",
				 lines->origins[i], lines->items[i]);
	}
	return rc;
}

static int build_scanner(struct gfs_guards *g, const struct gfs_config *cfg,
			 char *err, size_t err_size)
{
	size_t i;
	int rc;

	if (!cfg->scan)
		return 0;
	rc = gfs_guards_list(&g->scan_allow, NULL, &cfg->secret_allow_paths,
			     cfg->case_sensitive ? 0 : GFS_IGNORE_CASEFOLD, err,
			     err_size);
	if (rc)
		return rc;
	rc = gfs_scanner_new(&g->scanner);
	if (rc) {
		snprintf(err, err_size, "cannot load the secret rules: %s",
			 strerror(-rc));
		return rc;
	}
	for (i = 0; i < cfg->secret_allow_values.len; i++) {
		char why[160];

		rc = gfs_scanner_allow_value(g->scanner,
					     cfg->secret_allow_values.items[i],
					     why, sizeof(why));
		if (rc) {
			snprintf(err, err_size, "%s: %s",
				 cfg->secret_allow_values.origins[i], why);
			return rc;
		}
	}
	for (i = 0; i < cfg->secret_rule_files.len; i++) {
		const char *file = cfg->secret_rule_files.items[i];
		struct gfs_buf text = GFS_BUF_INIT;
		char why[160] = "";
		unsigned line = 0;
		int fd = open(file, O_RDONLY | O_CLOEXEC);

		rc = fd < 0 ? -errno : gfs_buf_read_fd(&text, fd);
		if (fd >= 0)
			close(fd);
		if (rc) {
			snprintf(err, err_size, "%s: cannot read '%s': %s",
				 cfg->secret_rule_files.origins[i], file,
				 strerror(-rc));
			gfs_buf_release(&text);
			return rc;
		}
		rc = gfs_scanner_add_rules(g->scanner,
					   text.data ? text.data : "", text.len,
					   file, &line, why, sizeof(why));
		gfs_buf_release(&text);
		if (rc) {
			snprintf(err, err_size, "%s:%u: %s", file, line, why);
			return rc;
		}
	}
	return gfs_verdict_cache_new(&g->verdicts, 65536);
}

int gfs_guards_init(struct gfs_guards *g, const struct gfs_config *cfg,
		    char *err, size_t err_size)
{
	int rc;

	memset(g, 0, sizeof(*g));
	rc = build_policy(g, cfg, err, err_size);
	if (!rc)
		rc = build_scanner(g, cfg, err, err_size);
	if (rc)
		gfs_guards_release(g);
	return rc;
}

void gfs_guards_release(struct gfs_guards *g)
{
	gfs_verdict_cache_free(g->verdicts);
	gfs_scanner_free(g->scanner);
	gfs_ignore_free(g->scan_allow);
	gfs_policy_free(g->policy);
	memset(g, 0, sizeof(*g));
}

bool gfs_guards_scan_allowed(const struct gfs_guards *g, const char *relpath)
{
	return g->scan_allow &&
	       gfs_ignore_match_tree(g->scan_allow, relpath, false, NULL) ==
		       GFS_IGNORE_MATCH;
}

/*
 * Appends "repo\tDIR" when relpath lies in the worktree of a git
 * repository inside the root (DIR "." for the root itself): git reads
 * such a file to tell whether it changed, and its object store, which
 * guardfs does not scan, may hold the same bytes.
 */
static int add_repo(int root_fd, const char *relpath, struct gfs_buf *out)
{
	struct gfs_buf dir = GFS_BUF_INIT, probe = GFS_BUF_INIT;
	char *slash;
	int fd, rc = 0;

	if (gfs_buf_adds(&dir, relpath))
		return -ENOMEM;
	while ((slash = strrchr(dir.data, '/')) || dir.len) {
		if (slash) {
			*slash = '\0';
			dir.len = (size_t)(slash - dir.data);
		} else {
			gfs_buf_reset(&dir);
		}
		gfs_buf_reset(&probe);
		gfs_buf_addf(&probe, "%s%s.git", dir.data ? dir.data : "",
			     dir.len ? "/" : "");
		fd = gfs_open_beneath(root_fd, probe.data, O_PATH | O_NOFOLLOW,
				      false);
		if (fd >= 0) {
			close(fd);
			rc = gfs_buf_addf(out, "repo\t%s\n",
					  dir.len ? dir.data : ".");
			break;
		}
		if (!dir.len)
			break;
	}
	gfs_buf_release(&dir);
	gfs_buf_release(&probe);
	return rc;
}

/* Whether the symlink at relpath has a target creation would refuse. */
static bool link_text_escapes(const struct gfs_policy *p, int root_fd,
			      const char *relpath)
{
	char target[PATH_MAX + 1];
	ssize_t n;
	int fd = gfs_open_beneath(root_fd, relpath, O_PATH | O_NOFOLLOW, false);

	if (fd < 0)
		return true;
	n = readlinkat(fd, "", target, sizeof(target));
	close(fd);
	if (n < 0 || n == (ssize_t)sizeof(target))
		return true;
	target[n] = '\0';
	return gfs_policy_link_target(p, relpath, target) == GFS_LINK_OUT;
}

int gfs_guards_explain(const struct gfs_guards *g, int root_fd,
		       const char *relpath, uint64_t scan_max_size,
		       struct gfs_buf *out)
{
	struct gfs_verdict verdict;
	const char *rule = NULL;
	struct stat st;
	int fd, rc;

	fd = gfs_open_beneath(root_fd, relpath, O_PATH | O_NOFOLLOW, false);
	if (fd < 0 || fstat(fd, &st)) {
		if (fd >= 0)
			close(fd);
		/* A missing name may still be one the policy hides. */
		if (gfs_policy_hides_tree(g->policy, relpath, false, &rule))
			return gfs_buf_addf(out, "verdict\thidden\nrule\t%s\n",
					    rule);
		return gfs_buf_adds(out, "verdict\tmissing\n");
	}
	close(fd);
	if (gfs_policy_hides_tree(g->policy, relpath, S_ISDIR(st.st_mode),
				  &rule)) {
		rc = gfs_buf_addf(out, "verdict\thidden\nrule\t%s\n", rule);
		return rc ? rc : add_repo(root_fd, relpath, out);
	}
	if (S_ISLNK(st.st_mode)) {
		/* as the mount judges it: by its text where it is, then
		 * resolved */
		if (link_text_escapes(g->policy, root_fd, relpath) ||
		    gfs_policy_path_leads_out(g->policy, root_fd, relpath))
			return gfs_buf_adds(out, "verdict\thidden\n"
						 "rule\tsymlink-leaves-root\n");
		return gfs_buf_adds(out, "verdict\tvisible\n");
	}
	if (!S_ISREG(st.st_mode) || !g->scanner ||
	    gfs_guards_scan_allowed(g, relpath))
		return gfs_buf_adds(out, "verdict\tvisible\n");
	fd = gfs_open_beneath(root_fd, relpath,
			      O_RDONLY | O_NOFOLLOW | O_NONBLOCK, false);
	if (fd < 0)
		return fd;
	/* the mount's verdicts: a tainted file is explained as refused */
	rc = gfs_scan_fd(g->scanner, g->verdicts, fd, scan_max_size, &verdict);
	close(fd);
	if (rc < 0)
		return rc;
	if (rc == 1) {
		rc = gfs_buf_addf(out, "verdict\trefused\nrule\t%s\nline\t%u\n",
				  verdict.finding.rule_id,
				  verdict.finding.line);
		return rc ? rc : add_repo(root_fd, relpath, out);
	}
	return gfs_buf_adds(out, "verdict\tvisible\n");
}
