#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "guardfs/control.h"
#include "guardfs/guards.h"
#include "guardfs/util.h"
#include "mounts.h"
#include "options.h"
#include "project.h"

/* A running mount whose root holds a path. */
struct owner {
	const char *path;
	pid_t pid;
	struct gfs_buf root;
};

static void match_owner(void *arg, pid_t pid, const char *reply)
{
	struct owner *o = arg;
	struct gfs_buf root = GFS_BUF_INIT;

	if (gfs_control_reply_get(reply, "root", &root) == 0 &&
	    gfs_path_is_within(o->path, root.data) && root.len > o->root.len) {
		o->pid = pid;
		gfs_buf_reset(&o->root);
		gfs_buf_adds(&o->root, root.data);
	}
	gfs_buf_release(&root);
}

/* The nearest directory above path holding a .guardfs.ini, or -ENOENT. */
static int find_project(const char *path, struct gfs_buf *out)
{
	struct gfs_buf dir = GFS_BUF_INIT, ini = GFS_BUF_INIT;
	struct stat st;
	char *slash;
	int rc = -ENOENT;

	gfs_buf_adds(&dir, path);
	while ((slash = strrchr(dir.data, '/'))) {
		*slash = '\0';
		dir.len = (size_t)(slash - dir.data);
		gfs_buf_reset(&ini);
		gfs_buf_addf(&ini, "%s/.guardfs.ini", dir.len ? dir.data : "");
		if (stat(ini.data, &st) == 0) {
			rc = gfs_buf_adds(out, dir.len ? dir.data : "/");
			break;
		}
	}
	gfs_buf_release(&dir);
	gfs_buf_release(&ini);
	return rc;
}

/* The text of the rule named origin ("builtin:12" or "FILE:LINE"). */
static void describe_rule(const struct gfs_config *cfg, const char *origin,
			  struct gfs_buf *out)
{
	unsigned line;
	size_t i;

	if (sscanf(origin, "builtin:%u", &line) == 1) {
		const char *p = gfs_builtin_deny_rules;

		while (--line && (p = strchr(p, '\n')))
			p++;
		if (p)
			gfs_buf_addf(out, " (%.*s)", (int)strcspn(p, "\n"), p);
		return;
	}
	for (i = 0; i < cfg->deny_patterns.len; i++) {
		if (!strcmp(cfg->deny_patterns.origins[i], origin))
			gfs_buf_addf(out, " (%s)", cfg->deny_patterns.items[i]);
	}
}

/*
 * What guarding means in a git worktree, said where the user looks: git
 * cannot read the file through the mount, and its committed bytes are in
 * the repository's object store, which the scanner does not read.
 */
static void print_git_note(const char *verdict, const char *rel,
			   const char *repo)
{
	const char *slash = strrchr(rel, '/');
	int dir_len = slash ? (int)(slash - rel) : 0;

	printf("  note: it lies in the git repository at '%s'; its committed "
	       "bytes stay\n"
	       "  readable with `git show`: guardfs does not scan a "
	       "repository's object store.\n",
	       repo);
	if (!strcmp(verdict, "refused"))
		printf("  git cannot read it through the mount: `git status` "
		       "may list it as\n"
		       "  modified, and `git diff`, `git add` or `git stash` "
		       "of it fail, while\n"
		       "  `git checkout` and `git reset --hard` still rewrite "
		       "it. If it is a test\n"
		       "  fixture with fake credentials, add to the config:\n"
		       "    [secrets] allow_path = %.*s%s\n",
		       dir_len, rel, dir_len ? "/" : rel);
	else
		printf("  To git it looks deleted, and `git reset --hard`, "
		       "`git checkout` or\n"
		       "  `git stash` fail on it: the name cannot be created "
		       "through the mount.\n"
		       "  If it is a test fixture, add to the config:\n"
		       "    [deny] pattern = !/%s\n",
		       rel);
}

static void print_verdict(const struct gfs_config *cfg, const char *shown,
			  const char *rel, const char *reply)
{
	struct gfs_buf repo = GFS_BUF_INIT;
	struct gfs_buf verdict = GFS_BUF_INIT, rule = GFS_BUF_INIT;
	struct gfs_buf line = GFS_BUF_INIT, text = GFS_BUF_INIT;

	gfs_control_reply_get(reply, "verdict", &verdict);
	gfs_control_reply_get(reply, "rule", &rule);
	gfs_control_reply_get(reply, "line", &line);
	if (!verdict.data) {
		gfs_buf_adds(&text, "cannot tell");
	} else if (!strcmp(verdict.data, "refused")) {
		gfs_buf_addf(&text,
			     "refused on open: content rule %s at line %s",
			     rule.data, line.data);
	} else if (!strcmp(verdict.data, "hidden") &&
		   !strcmp(rule.data, "symlink-leaves-root")) {
		gfs_buf_adds(&text, "hidden: a symlink leading outside the "
				    "guarded folder");
	} else if (!strcmp(verdict.data, "hidden")) {
		gfs_buf_addf(&text, "hidden by name rule %s", rule.data);
		describe_rule(cfg, rule.data, &text);
	} else if (!strcmp(verdict.data, "missing")) {
		gfs_buf_adds(&text, "does not exist");
	} else {
		gfs_buf_adds(&text, "visible");
	}
	printf("%s: %s\n", shown, text.data);
	if (verdict.data && gfs_control_reply_get(reply, "repo", &repo) == 0)
		print_git_note(verdict.data, rel, repo.data);
	gfs_buf_release(&repo);
	gfs_buf_release(&verdict);
	gfs_buf_release(&rule);
	gfs_buf_release(&line);
	gfs_buf_release(&text);
}

/*
 * What explaining without a mount builds once per project, not once per
 * path: its config and its guards (the scanner's rules compile in about
 * 10 ms, which made a tree of 78,579 paths take ten minutes).
 */
struct offline {
	struct gfs_buf source; /* the -c FILE or project directory; "" none */
	struct gfs_config cfg;
	struct gfs_guards guards;
	int root_fd;
};

static void offline_release(struct offline *off)
{
	if (off->source.len) {
		gfs_guards_release(&off->guards);
		gfs_config_release(&off->cfg);
	}
	if (off->root_fd >= 0)
		close(off->root_fd);
	off->root_fd = -1;
	memset(&off->guards, 0, sizeof(off->guards));
	gfs_buf_reset(&off->source);
}

/*
 * The config and guards of the project that config_path (else project,
 * a directory holding .guardfs.ini) names, built again only when it is
 * not the previous path's.
 */
static int offline_load(struct offline *off, const char *config_path,
			const char *project, char *err, size_t err_size)
{
	const char *source = config_path ? config_path : project;

	if (off->source.len && !strcmp(off->source.data, source))
		return 0;
	offline_release(off);
	gfs_config_init(&off->cfg);
	gfs_buf_adds(&off->source, source);
	if (gfs_config_resolve(&off->cfg, config_path,
			       config_path ? NULL : project, err, err_size) ||
	    gfs_guards_init(&off->guards, &off->cfg, err, err_size)) {
		/* a project that will not load is tried again, not kept */
		offline_release(off);
		return -1;
	}
	off->root_fd = open(off->cfg.root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (off->root_fd < 0)
		off->root_fd = -errno; /* told at each path */
	return 0;
}

/* Explains one path; returns 0 or 1. */
static int explain_one(struct offline *off, const char *config_path,
		       const char *arg)
{
	struct owner o = {.root = GFS_BUF_INIT};
	struct gfs_buf abs = GFS_BUF_INIT, project = GFS_BUF_INIT;
	struct gfs_buf reply = GFS_BUF_INIT, command = GFS_BUF_INIT;
	struct gfs_config mounted_cfg;
	const struct gfs_config *cfg = &mounted_cfg;
	const char *rel;
	char err[600];
	int rc = 1;

	gfs_config_init(&mounted_cfg);
	if (gfs_mounts_abspath(&abs, arg)) {
		gfs_cli_error("cannot resolve '%s'", arg);
		goto out;
	}
	o.path = abs.data;
	if (config_path)
		o.pid = gfs_project_mount_of_config(config_path, &o.root);
	else
		gfs_control_query_all("status", match_owner, &o);
	if (o.pid) {
		if (gfs_project_load_mounted(&mounted_cfg, o.pid, o.root.data,
					     err, sizeof(err)))
			goto config_error;
	} else if (config_path || find_project(abs.data, &project) == 0) {
		if (offline_load(off, config_path, project.data, err,
				 sizeof(err)))
			goto config_error;
		cfg = &off->cfg;
	} else {
		gfs_cli_error("no guarded folder holds '%s' (no mount, no "
			      ".guardfs.ini above it); give -c FILE",
			      abs.data);
		goto out;
	}
	if (!gfs_path_is_within(abs.data, cfg->root) ||
	    !strcmp(abs.data, cfg->root)) {
		gfs_cli_error("'%s' is not inside the guarded folder '%s'",
			      abs.data, cfg->root);
		goto out;
	}
	rel = abs.data + strlen(cfg->root) + (strcmp(cfg->root, "/") ? 1 : 0);
	if (o.pid) {
		gfs_buf_addf(&command, "explain %s", rel);
		rc = gfs_control_ask(o.pid, command.data, &reply);
	} else {
		rc = off->root_fd < 0
			     ? off->root_fd
			     : gfs_guards_explain(&off->guards, off->root_fd,
						  rel, cfg->scan_max_size,
						  &reply);
	}
	if (rc || !reply.data) {
		gfs_cli_error("cannot explain '%s': %s", arg,
			      strerror(rc ? -rc : EIO));
		rc = 1;
		goto out;
	}
	print_verdict(cfg, arg, rel, reply.data);
	rc = 0;
	goto out;
config_error:
	gfs_cli_error("%s", err);
	rc = 1;
out:
	gfs_config_release(&mounted_cfg);
	gfs_buf_release(&abs);
	gfs_buf_release(&project);
	gfs_buf_release(&reply);
	gfs_buf_release(&command);
	gfs_buf_release(&o.root);
	return rc;
}

int gfs_cmd_explain(int argc, char **argv)
{
	const char *config_path = NULL;
	const struct gfs_option options[] = {
		GFS_OPT_STR('c', "config", "FILE",
			    "the project's config (default: the mount that "
			    "holds PATH, else the nearest .guardfs.ini above "
			    "it)",
			    &config_path),
		GFS_OPT_END,
	};
	const struct gfs_command_spec spec = {
		.usage = "guardfs explain [-c FILE] PATH...",
		.about = "Tells what the agent meets at each PATH of a guarded "
			 "folder and why: visible; hidden by a name rule "
			 "(built-in or [deny]) or as a symlink leading out of "
			 "the folder; or refused on open because its content "
			 "holds a credential (rule and line, never the "
			 "secret). Asks the running mount when there is one. "
			 "For a hidden or refused file in a git repository it "
			 "also says what git meets there and what to allow for "
			 "test fixtures.",
		.options = options,
		.options_first = true,
	};
	int first = gfs_options_parse(&spec, argc, argv), i, rc = 0;

	if (first < 0)
		return gfs_options_exit(first);
	if (first >= argc)
		return gfs_options_usage(&spec);
	{
		struct offline off = {.source = GFS_BUF_INIT, .root_fd = -1};

		for (i = first; i < argc; i++)
			rc |= explain_one(&off, config_path, argv[i]);
		offline_release(&off);
		gfs_buf_release(&off.source);
	}
	return rc;
}
