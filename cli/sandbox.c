/*
 * The bubblewrap command line of `guardfs run` and `guardfs exec`, one
 * step per namespace, bind or tmpfs, in the order bubblewrap applies them.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "agent.h"
#include "cli.h"
#include "guardfs/control.h"
#include "guardfs/util.h"
#include "mounts.h"
#include "sandbox.h"
#include "sandbox_etc.h"
#include "sandbox_forbidden.h"
#include "sandbox_net.h"

/* Whether word (between underscores) appears in name. */
static bool has_word(const char *name, const char *word)
{
	size_t n = strlen(word);
	const char *p = name;

	while ((p = strstr(p, word))) {
		if ((p == name || p[-1] == '_') && (!p[n] || p[n] == '_'))
			return true;
		p++;
	}
	return false;
}

/* Whether a variable of this name may hold a credential. */
static bool is_credential_var(const char *name, size_t len)
{
	static const char *const parts[] = {
		"TOKEN",      "SECRET",	     "PASSWORD",    "PASSWD",
		"API_KEY",    "APIKEY",	     "ACCESS_KEY",  "PRIVATE_KEY",
		"CREDENTIAL", "SESSION_KEY", "SIGNING_KEY", "CLIENT_KEY",
	};
	static const char *const words[] = {"AUTH", "OAUTH", "COOKIE", "DSN",
					    "PASS"};
	static const char *const prefixes[] = {
		"AWS_",		"AZURE_",    "GOOGLE_APPLICATION_",
		"GCP_",		"GITHUB_",   "GH_",
		"GITLAB_",	"OPENAI_",   "ANTHROPIC_",
		"HF_",		"HUGGING",   "VAULT_",
		"SSH_",		"GPG_",	     "GNUPG",
		"KRB5",		"DBUS_",     "DOCKER_",
		"NPM_CONFIG__", "PGPASS",    "MYSQL_PWD",
		"DATABASE_URL", "REDIS_URL", "GUARDFS",
		"XAUTHORITY",	"DISPLAY",   "WAYLAND_",
	};
	char upper[256];
	size_t i;

	if (len >= sizeof(upper))
		return true;
	for (i = 0; i < len; i++)
		upper[i] = (char)((name[i] >= 'a' && name[i] <= 'z')
					  ? name[i] - 'a' + 'A'
					  : name[i]);
	upper[len] = '\0';
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (strstr(upper, parts[i]))
			return true;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (has_word(upper, words[i]))
			return true;
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(upper, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

static int add1(struct gfs_sandbox *sb, const char *arg)
{
	char *copy;

	if (sb->argc + 2 > sb->cap) {
		size_t cap = sb->cap ? sb->cap * 2 : 64;
		char **v = realloc(sb->argv, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		sb->argv = v;
		sb->cap = cap;
	}
	copy = strdup(arg);
	if (!copy)
		return -ENOMEM;
	sb->argv[sb->argc++] = copy;
	sb->argv[sb->argc] = NULL;
	return 0;
}

/* Appends one step: its arguments, NULL-terminated. */
static int step(struct gfs_sandbox *sb, ...)
{
	const char *arg;
	va_list ap;
	int rc = 0;

	va_start(ap, sb);
	while (!rc && (arg = va_arg(ap, const char *)))
		rc = add1(sb, arg);
	va_end(ap);
	return rc;
}

static int step_fd(struct gfs_sandbox *sb, const char *option, int fd)
{
	char num[16];

	snprintf(num, sizeof(num), "%d", fd);
	return step(sb, option, num, NULL);
}

static int step_fd_to(struct gfs_sandbox *sb, const char *option, int fd,
		      const char *dest)
{
	char num[16];

	snprintf(num, sizeof(num), "%d", fd);
	return step(sb, option, num, dest, NULL);
}

/* Hands fd (taken over) to bwrap as option FD DEST, with --perms first. */
static int step_take_fd(struct gfs_sandbox *sb, const char *option, int *fd,
			const char *dest, int perms)
{
	char mode[16];
	int *fds, rc;

	fds = realloc(sb->fds, (sb->nfds + 1) * sizeof(*fds));
	if (!fds)
		return -ENOMEM;
	sb->fds = fds;
	sb->fds[sb->nfds++] = *fd;
	snprintf(mode, sizeof(mode), "%04o", (unsigned)perms);
	rc = perms >= 0 ? step(sb, "--perms", mode, NULL) : 0;
	rc = rc ? rc : step_fd_to(sb, option, *fd, dest);
	*fd = -1;
	return rc;
}

void gfs_sandbox_inherit_fds(const struct gfs_sandbox *sb)
{
	size_t i;

	for (i = 0; i < sb->nfds; i++)
		fcntl(sb->fds[i], F_SETFD, 0);
}

void gfs_sandbox_release(struct gfs_sandbox *sb)
{
	size_t i;

	for (i = 0; i < sb->argc; i++)
		free(sb->argv[i]);
	free(sb->argv);
	for (i = 0; i < sb->nfds; i++)
		close(sb->fds[i]);
	free(sb->fds);
	if (sb->etc)
		gfs_etc_copy_release(sb->etc);
	free(sb->etc);
	memset(sb, 0, sizeof(*sb));
}

static int share_paths(struct gfs_sandbox *sb, const struct gfs_forbidden *f,
		       const struct gfs_strlist *list, bool rw, char *err,
		       size_t err_size)
{
	struct gfs_buf resolved = GFS_BUF_INIT;
	size_t i;
	int rc = 0;

	for (i = 0; !rc && i < list->len; i++) {
		const char *path = list->items[i];

		gfs_buf_reset(&resolved);
		if (gfs_mounts_resolve_future(&resolved, path)) {
			snprintf(err, err_size, "%s: cannot resolve '%s'",
				 list->origins[i], path);
			rc = -1;
			break;
		}
		rc = gfs_forbidden_check(f, path, resolved.data,
					 list->origins[i], err, err_size);
		/* A path that does not exist (yet) is left out. */
		if (!rc)
			rc = step(sb, rw ? "--bind-try" : "--ro-bind-try",
				  resolved.data, path, NULL);
	}
	gfs_buf_release(&resolved);
	return rc;
}

/* The system directories, shown read-only by system_dirs. */
static const char *const shown_dirs[] = {"/usr", "/etc",   "/bin",   "/sbin",
					 "/lib", "/lib32", "/lib64", "/libx32"};

static bool is_shown(const char *path)
{
	size_t i;

	for (i = 0; i < sizeof(shown_dirs) / sizeof(shown_dirs[0]); i++)
		if (gfs_path_is_within(path, shown_dirs[i]))
			return true;
	return false;
}

/*
 * /etc: the copy of what others may read in it (sandbox_etc.h), bound
 * read-only whole. Nothing of the host's /etc is bound, so nothing the
 * host makes or turns private in it later shows in this sandbox.
 */
static int etc_dir(struct gfs_sandbox *sb, const struct gfs_forbidden *f,
		   char *err, size_t err_size)
{
	int fd;

	sb->etc = malloc(sizeof(*sb->etc));
	if (!sb->etc)
		return -ENOMEM;
	*sb->etc = (struct gfs_etc_copy)GFS_ETC_COPY_INIT;
	if (gfs_etc_copy_get(sb->etc, f, err, err_size))
		return -1;
	/* (the copy keeps its own descriptor: it holds the copy) */
	fd = fcntl(sb->etc->fd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return -errno;
	return step_take_fd(sb, "--ro-bind-fd", &fd, "/etc", -1);
}

/* The system directories, read-only; merged-/usr links stay links. */
static int system_dirs(struct gfs_sandbox *sb, const struct gfs_forbidden *f,
		       char *err, size_t err_size)
{
	char target[PATH_MAX];
	struct stat st;
	size_t i;
	ssize_t n;
	int rc = 0;

	for (i = 0; !rc && i < sizeof(shown_dirs) / sizeof(shown_dirs[0]);
	     i++) {
		const char *dir = shown_dirs[i];

		if (lstat(dir, &st))
			continue;
		if (S_ISLNK(st.st_mode)) {
			n = readlink(dir, target, sizeof(target) - 1);
			if (n <= 0)
				continue;
			target[n] = '\0';
			rc = step(sb, "--symlink", target, dir, NULL);
		} else if (!strcmp(dir, "/etc") && f->etc_walked) {
			rc = etc_dir(sb, f, err, err_size);
		} else if (S_ISDIR(st.st_mode)) {
			rc = step(sb, "--ro-bind", dir, dir, NULL);
		}
	}
	return rc;
}

/*
 * Whether forbidden place i needs no mask of its own: a place masked
 * too holds it (no mask could be made inside that empty read-only
 * tmpfs), or is the same path, listed before it.
 */
static bool covered_by_another(const struct gfs_forbidden *f, size_t i)
{
	size_t j;

	for (j = 0; j < f->len; j++) {
		if (j == i || !is_shown(f->paths[j]))
			continue;
		if (!strcmp(f->paths[i], f->paths[j])
			    ? j < i
			    : gfs_path_is_within(f->paths[i], f->paths[j]))
			return true;
	}
	return false;
}

/*
 * A forbidden place that exists inside a system directory shown above
 * (a store configured under /usr) is covered: an empty
 * read-only tmpfs over a directory, /dev/null over anything else (bwrap
 * binds it nodev, so opening it is EACCES, root included). A place that
 * cannot be looked at refuses the sandbox rather than be shown. Those of
 * /etc need none: the sandbox's /etc is made without them.
 */
static int mask_forbidden(struct gfs_sandbox *sb, const struct gfs_forbidden *f,
			  char *err, size_t err_size)
{
	struct stat st;
	size_t i;
	int rc = 0;

	for (i = 0; !rc && i < f->len; i++) {
		const char *path = f->paths[i];

		/* what /etc hides is left out of it (etc_dir) */
		if (!is_shown(path) || covered_by_another(f, i) ||
		    (f->etc_walked && gfs_path_is_within(path, "/etc")))
			continue;
		if (lstat(path, &st)) {
			if (errno == ENOENT || errno == ENOTDIR)
				continue;
			snprintf(err, err_size,
				 "cannot hide %s '%s' from the sandbox: %s",
				 f->whats[i], path, strerror(errno));
			return -1;
		}
		rc = S_ISDIR(st.st_mode)
			     ? step(sb, "--tmpfs", path, "--remount-ro", path,
				    NULL)
			     : step(sb, "--ro-bind", "/dev/null", path, NULL);
	}
	return rc;
}

/* Leaves out every credential variable except those [run] env names. */
static int scrub_env(struct gfs_sandbox *sb, const struct gfs_config *cfg,
		     char *err, size_t err_size)
{
	extern char **environ;
	char **e;
	size_t i;
	int rc = 0;

	for (i = 0; i < cfg->run_env.len; i++) {
		const char *n = cfg->run_env.items[i];
		size_t k = 0;

		while (n[k] == '_' || (n[k] >= 'A' && n[k] <= 'Z') ||
		       (n[k] >= 'a' && n[k] <= 'z') ||
		       (k && n[k] >= '0' && n[k] <= '9'))
			k++;
		if (!k || n[k]) {
			snprintf(err, err_size,
				 "%s: bad value '%s' for 'env' (expected a "
				 "variable name)",
				 cfg->run_env.origins[i], n);
			return -1;
		}
	}
	for (e = environ; !rc && e && *e; e++) {
		const char *eq = strchr(*e, '=');
		size_t len = eq ? (size_t)(eq - *e) : strlen(*e);
		char name[256];
		bool allowed = false;

		if (!is_credential_var(*e, len) || len >= sizeof(name))
			continue;
		memcpy(name, *e, len);
		name[len] = '\0';
		for (i = 0; i < cfg->run_env.len; i++)
			if (!strcmp(cfg->run_env.items[i], name))
				allowed = true;
		if (!allowed)
			rc = step(sb, "--unsetenv", name, NULL);
	}
	return rc;
}

/*
 * The agent's own log, diff and undo: the socket of this sandbox's
 * server and the guardfs program, in a directory of their own (the
 * runtime directory they come from stays out of sight).
 */
static int agent_verbs(struct gfs_sandbox *sb, const struct gfs_sandbox_opts *o)
{
	const char *path = getenv("PATH");
	struct gfs_buf search = GFS_BUF_INIT;
	int rc;

	gfs_buf_addf(&search, "%s:%s",
		     path && *path ? path : "/usr/local/bin:/usr/bin:/bin",
		     GFS_AGENT_BIN);
	rc = step(sb, "--bind", o->agent_socket, GFS_AGENT_SOCKET, NULL);
	if (!rc && o->agent_exe)
		rc = step(sb, "--ro-bind", o->agent_exe,
			  GFS_AGENT_BIN "/guardfs", NULL);
	if (!rc)
		rc = step(sb, "--setenv", GFS_AGENT_ENV, GFS_AGENT_SOCKET,
			  "--setenv", "PATH", search.data, NULL);
	gfs_buf_release(&search);
	return rc;
}

/*
 * The network ([run] network): no, a namespace with the loopback alone;
 * host, the host's, shared; yes, a namespace of its own that guardfs
 * makes before bwrap starts (sandbox_net.h), where bwrap runs as root
 * of a user namespace: --uid and --gid give the command the user's own
 * ids back.
 */
static int network(struct gfs_sandbox *sb, enum gfs_run_network which,
		   char *err, size_t err_size)
{
	char helper[PATH_MAX], id[16];
	int rc;

	if (which == GFS_RUN_NETWORK_NONE)
		return step(sb, "--unshare-net", NULL);
	if (which == GFS_RUN_NETWORK_HOST)
		return 0;
	/* Checked here too: run refuses before it mounts anything. */
	if (gfs_sandbox_net_find(helper, sizeof(helper), err, err_size))
		return -1;
	if (geteuid() == 0 && getegid() == 0)
		return 0;
	snprintf(id, sizeof(id), "%u", (unsigned)geteuid());
	rc = step(sb, "--uid", id, NULL);
	snprintf(id, sizeof(id), "%u", (unsigned)getegid());
	return rc ? rc : step(sb, "--gid", id, NULL);
}

int gfs_sandbox_build(struct gfs_sandbox *sb, const struct gfs_sandbox_opts *o,
		      char *const *cmd, char *err, size_t err_size)
{
	const struct gfs_config *cfg = o->cfg;
	struct gfs_forbidden forbidden = {0};
	const char *home = getenv("HOME");
	char bwrap[PATH_MAX];
	int rc;

	if (gfs_sandbox_find_bwrap(bwrap, sizeof(bwrap))) {
		snprintf(err, err_size,
			 "bwrap not found in PATH: install bubblewrap "
			 "(apt install bubblewrap)");
		return -1;
	}
	if (!home || home[0] != '/' || !strcmp(home, "/")) {
		snprintf(err, err_size,
			 "HOME must name a directory other than / (the "
			 "sandbox gives it an empty one)");
		return -1;
	}
	rc = gfs_forbidden_collect(&forbidden, cfg, home, o->mount, err,
				   err_size);
	if (!rc)
		rc = step(sb, bwrap, NULL);
	/* Namespaces: the daemon and every other process out of sight. */
	if (!rc)
		rc = step(sb, "--die-with-parent", "--unshare-pid",
			  "--unshare-ipc", "--unshare-uts",
			  "--unshare-cgroup-try", NULL);
	/*
	 * A user namespace with no further ones inside, so the agent cannot
	 * make a namespace of its own; and no capabilities, which bwrap
	 * would otherwise leave to root (umount, mount, ptrace, ...).
	 */
	if (!rc)
		rc = step(sb, "--unshare-user", "--disable-userns",
			  "--cap-drop", "ALL", NULL);
	if (!rc)
		rc = network(sb, o->network, err, err_size);
	if (!rc)
		rc = system_dirs(sb, &forbidden, err, err_size);
	if (!rc)
		rc = mask_forbidden(sb, &forbidden, err, err_size);
	if (!rc)
		rc = step(sb, "--proc", "/proc", "--dev", "/dev", "--tmpfs",
			  "/tmp", "--tmpfs", "/var/tmp", "--tmpfs", home, NULL);
	if (!rc)
		rc = share_paths(sb, &forbidden, &cfg->run_ro, false, err,
				 err_size);
	if (!rc)
		rc = share_paths(sb, &forbidden, &cfg->run_rw, true, err,
				 err_size);
	/* The project: the guarded mount itself, the daemon stays outside. */
	if (!rc)
		rc = step(sb, "--bind", o->mount, o->mount, NULL);
	/* A home inside the project is still an empty one. */
	if (!rc && strcmp(home, o->mount) && gfs_path_is_within(home, o->mount))
		rc = step(sb, "--tmpfs", home, NULL);
	/* The resolver of the sandbox's own network, never in the project. */
	if (!rc && o->resolv_fd >= 0 &&
	    !gfs_path_is_within(o->resolv_dest, o->mount))
		rc = step_fd_to(sb, "--ro-bind-data", o->resolv_fd,
				o->resolv_dest);
	if (!rc)
		rc = step(sb, "--chdir", o->cwd, NULL);
	if (!rc)
		rc = scrub_env(sb, cfg, err, err_size);
	if (!rc && o->agent_socket)
		rc = agent_verbs(sb, o);
	/*
	 * Without a terminal a new session costs nothing and detaches the
	 * controlling one (/dev/tty). With one, job control needs the
	 * session, and the seccomp filter refuses TIOCSTI instead.
	 */
	if (!rc && !o->tty)
		rc = step(sb, "--new-session", NULL);
	if (!rc && o->seccomp_fd >= 0)
		rc = step_fd(sb, "--seccomp", o->seccomp_fd);
	if (!rc && o->info_fd >= 0)
		rc = step_fd(sb, "--info-fd", o->info_fd);
	if (!rc && o->block_fd >= 0)
		rc = step_fd(sb, "--block-fd", o->block_fd);
	if (!rc)
		rc = step(sb, "--", NULL);
	if (!rc && o->reset_intr && gfs_sandbox_reset_intr())
		rc = step(sb, gfs_sandbox_reset_intr(),
			  "--default-signal=INT,QUIT", "--", NULL);
	for (; !rc && *cmd; cmd++)
		rc = add1(sb, *cmd);
	gfs_forbidden_release(&forbidden);
	if (rc && !err[0])
		snprintf(err, err_size, "cannot build the sandbox: %s",
			 strerror(-rc));
	return rc ? -1 : 0;
}

int gfs_sandbox_quote(struct gfs_buf *out, const char *s)
{
	const char *p;
	int rc;

	for (p = s; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWX"
			    "YZ0123456789_-+=/.,:@%",
			    *p))
			break;
	if (*s && !*p)
		return gfs_buf_adds(out, s);
	rc = gfs_buf_addch(out, '\'');
	for (p = s; *p && !rc; p++)
		rc = *p == '\'' ? gfs_buf_adds(out, "'\\''")
				: gfs_buf_addch(out, *p);
	return rc ? rc : gfs_buf_addch(out, '\'');
}

void gfs_sandbox_print(const struct gfs_sandbox *sb, FILE *out)
{
	struct gfs_buf line = GFS_BUF_INIT;
	size_t i;

	for (i = 0; i < sb->argc; i++) {
		if (i)
			gfs_buf_addch(&line, ' ');
		gfs_sandbox_quote(&line, sb->argv[i]);
	}
	if (line.data)
		fprintf(out, "%s\n", line.data);
	gfs_buf_release(&line);
}

const char *gfs_sandbox_reset_intr(void)
{
	/* coreutils' env has --default-signal since 8.31 */
	static const char env[] = "/usr/bin/env";

	return access(env, X_OK) == 0 ? env : NULL;
}

int gfs_sandbox_find_bwrap(char *out, size_t size)
{
	return gfs_sandbox_find_program("bwrap", out, size);
}

int gfs_sandbox_find_program(const char *name, char *out, size_t size)
{
	const char *path = getenv("PATH");
	const char *p, *end;

	if (!path || !path[0])
		path = "/usr/bin:/bin";
	for (p = path; *p; p = *end ? end + 1 : end) {
		end = strchrnul(p, ':');
		if (end == p || p[0] != '/')
			continue;
		if ((size_t)snprintf(out, size, "%.*s/%s", (int)(end - p), p,
				     name) >= size)
			continue;
		if (access(out, X_OK) == 0)
			return 0;
	}
	return -ENOENT;
}

static long read_sysctl(const char *path)
{
	FILE *f = fopen(path, "re");
	long v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

int gfs_sandbox_check_userns(void)
{
	if (read_sysctl("/proc/sys/user/max_user_namespaces") == 0) {
		gfs_cli_error("the kernel refuses user namespaces "
			      "(user.max_user_namespaces = 0), which the "
			      "sandbox needs: sysctl -w "
			      "user.max_user_namespaces=15000");
		return -EPERM;
	}
	/* the rest restricts ordinary users only */
	if (geteuid() == 0)
		return 0;
	if (read_sysctl("/proc/sys/kernel/unprivileged_userns_clone") == 0) {
		gfs_cli_error("the kernel refuses user namespaces to ordinary "
			      "users, which bubblewrap needs: sysctl -w "
			      "kernel.unprivileged_userns_clone=1");
		return -EPERM;
	}
	if (read_sysctl("/proc/sys/kernel/"
			"apparmor_restrict_unprivileged_userns") == 1) {
		gfs_cli_error(
			"AppArmor refuses user namespaces to ordinary users, "
			"which bubblewrap needs: allow them for bwrap (an "
			"AppArmor profile with 'userns,') or sysctl -w "
			"kernel.apparmor_restrict_unprivileged_userns=0");
		return -EPERM;
	}
	return 0;
}

int gfs_sandbox_seccomp_fd(void)
{
#if defined(__x86_64__)
#define GFS_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define GFS_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif
#ifdef GFS_AUDIT_ARCH
	/*
	 * ioctl's request is an unsigned int: only the low 32 bits of the
	 * argument count, so only they are compared. Other ABIs of the same
	 * machine (i386, x32) are refused whole: their numbers differ.
	 */
	const struct sock_filter prog[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, GFS_AUDIT_ARCH, 0, 7),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 5, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_ioctl, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, args[1])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TIOCSTI, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TIOCLINUX, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
	};
	int fds[2];

	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	if (write(fds[1], prog, sizeof(prog)) != (ssize_t)sizeof(prog)) {
		close(fds[0]);
		close(fds[1]);
		return -EIO;
	}
	close(fds[1]);
	return fds[0];
#else
	return -ENOSYS;
#endif
}
