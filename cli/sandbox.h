#ifndef GUARDFS_CLI_SANDBOX_H
#define GUARDFS_CLI_SANDBOX_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "guardfs/buf.h"
#include "guardfs/config.h"

struct gfs_etc_copy;

/*
 * The sandbox of `guardfs run` and `guardfs exec`: a bubblewrap command
 * line built from small explicit steps (one namespace, one bind, one
 * tmpfs each), so that `--print` shows exactly what the agent gets. The
 * sandbox owns no filesystem logic: the guarded mount does the guarding,
 * bubblewrap makes it the only project in sight.
 */
struct gfs_sandbox {
	char **argv; /* NULL-terminated; argv[0] is the bwrap binary */
	size_t argc;
	size_t cap;
	int *fds; /* what argv names by number (the copy of /etc), owned */
	size_t nfds;
	struct gfs_etc_copy *etc; /* the copy of /etc it holds, or NULL */
};

struct gfs_sandbox_opts {
	const struct gfs_config *cfg;
	const char *mount; /* the guarded folder as the user sees it */
	const char *cwd;   /* working directory inside (within mount) */
	enum gfs_run_network network; /* [run] network, or --network */
	bool tty;	 /* stdin is a terminal: keep the session */
	bool reset_intr; /* the command gets SIGINT, SIGQUIT back (below) */
	int seccomp_fd;	 /* the filter of gfs_sandbox_seccomp_fd, or -1 */
	int info_fd;	 /* bwrap writes the child's pid here, or -1 */
	int block_fd;	 /* the child waits for a byte here, or -1 */
	/* the sandbox's resolv.conf and where it goes, or -1 (sandbox_net.h) */
	int resolv_fd;
	const char *resolv_dest;
	/*
	 * The agent's verbs (agent.h): the socket served for this sandbox
	 * and the guardfs program, shown at GFS_AGENT_SOCKET and in
	 * GFS_AGENT_BIN (added to PATH); NULL: none.
	 */
	const char *agent_socket;
	const char *agent_exe;
};

/*
 * Builds the bubblewrap command line for cmd (NULL-terminated) into sb,
 * which must be zeroed. Refuses, with "FILE:LINE: ..." in err, a [run]
 * ro/rw path that is, holds or lies inside a credential place of the
 * home, a file of guardfs or an entry of /etc that others may not read
 * (those are never shown); refuses too when /etc cannot be looked
 * through or copied (sandbox_etc.h).
 * 0, or -1 with the reason in err.
 */
int gfs_sandbox_build(struct gfs_sandbox *sb, const struct gfs_sandbox_opts *o,
		      char *const *cmd, char *err, size_t err_size);

/*
 * A terminal's ^C and ^\ reach every process of the foreground group,
 * bwrap's monitor too, whose death would SIGKILL the sandbox
 * (--die-with-parent) before the command could clean up. So guardfs
 * starts bwrap with SIGINT and SIGQUIT ignored, and with reset_intr the
 * command line starts with this, which gives the command the defaults
 * back. NULL when the system has no such env.
 */
const char *gfs_sandbox_reset_intr(void);

/*
 * Lets bwrap inherit the descriptors sb's command line names (they are
 * opened close-on-exec): for the child that runs it, before execv.
 */
void gfs_sandbox_inherit_fds(const struct gfs_sandbox *sb);

/* Frees what gfs_sandbox_build() made, and closes its descriptors. */
void gfs_sandbox_release(struct gfs_sandbox *sb);

/* Appends s quoted for a POSIX shell (as is when nothing needs it). */
int gfs_sandbox_quote(struct gfs_buf *out, const char *s);

/* Writes the command line, shell-quoted, on one line. */
void gfs_sandbox_print(const struct gfs_sandbox *sb, FILE *out);

/*
 * A pipe holding a seccomp filter (cBPF) that refuses the ioctls that
 * push input into a terminal (TIOCSTI, TIOCLINUX), for --seccomp. The
 * read end, or -errno; -ENOSYS on an architecture it does not know.
 */
int gfs_sandbox_seccomp_fd(void);

/* Finds the program name in PATH into out; -ENOENT when it is not there. */
int gfs_sandbox_find_program(const char *name, char *out, size_t size);

/* Finds bwrap in PATH into out; -ENOENT when it is not there. */
int gfs_sandbox_find_bwrap(char *out, size_t size);

/*
 * Whether the kernel lets this user create the sandbox's user namespace.
 * Prints what to enable and returns -EPERM when it does not.
 */
int gfs_sandbox_check_userns(void);

#endif
