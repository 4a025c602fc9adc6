#ifndef GUARDFS_CLI_SANDBOX_NET_H
#define GUARDFS_CLI_SANDBOX_NET_H

#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/*
 * The sandbox's own network ([run] network = yes): the process that
 * becomes bwrap first makes a user namespace (where the user is root)
 * and a network namespace, and waits; slirp4netns gives that namespace
 * a tap device and a default route, and carries its packets out through
 * ordinary sockets of the host; then the process becomes bwrap, which
 * keeps the namespace (no --unshare-net). The agent reaches the internet
 * and the host's network addresses, as another machine of the network
 * would, but no abstract Unix socket of the host (they belong to the
 * host's network namespace) and nothing bound to the host's loopback
 * (--disable-host-loopback).
 *
 * Why not bwrap --unshare-net with slirp4netns attached to the running
 * sandbox: bwrap brings up the sandbox's loopback itself, and a helper
 * configuring the same namespace at that moment makes bwrap fail
 * ("loopback: Failed RTM_NEWADDR"), one start in five when measured.
 * Made before bwrap, the network is complete before anything runs in it,
 * and slirp4netns can confine itself (--enable-sandbox, which needs a
 * user namespace where the user is root; bwrap's maps the user to
 * itself).
 *
 * Lifetime: slirp4netns is a child of guardfs and exits when the pipe
 * of --exit-fd closes: at gfs_sandbox_net_release(), or when guardfs
 * dies, whatever killed it. It runs in a session of its own, away from
 * the terminal's ^C.
 */
struct gfs_sandbox_net {
	char helper_path[PATH_MAX]; /* slirp4netns */
	char uid_map[32];	    /* "0 UID 1": the user is root there */
	char gid_map[32];
	int made[2];  /* the child to guardfs: 0, or errno, once unshared */
	int go[2];    /* guardfs to the child: the network is up */
	int exit_fd;  /* slirp4netns's --exit-fd, our end; -1 when none */
	int log_fd;   /* what slirp4netns printed (a memfd), or -1 */
	pid_t helper; /* slirp4netns, or -1 */
};

#define GFS_SANDBOX_NET_INIT                                                   \
	{                                                                      \
		.made = {-1, -1}, .go = {-1, -1}, .exit_fd = -1, .log_fd = -1, \
		.helper = -1                                                   \
	}

/*
 * Finds slirp4netns in PATH into out. 0, or -1 with what to install or
 * choose instead in err.
 */
int gfs_sandbox_net_find(char *out, size_t size, char *err, size_t err_size);

/*
 * Before the fork: finds slirp4netns and makes the pipes. 0, or -1 with
 * the reason in err (which says what to install or choose instead).
 */
int gfs_sandbox_net_init(struct gfs_sandbox_net *n, char *err, size_t err_size);

/*
 * In the forked child, before it becomes bwrap: the new user and
 * network namespaces, then waits until gfs_sandbox_net_start() says the
 * network is up. Returns only then; else the child _exits.
 */
void gfs_sandbox_net_child(struct gfs_sandbox_net *n);

/*
 * In guardfs, after the fork: starts slirp4netns on the child's
 * namespaces and lets the child go once the network is configured. 0, or
 * -1 with the reason in err after printing what slirp4netns said; the
 * child then exits on its own (wait for it).
 */
int gfs_sandbox_net_start(struct gfs_sandbox_net *n, pid_t child, char *err,
			  size_t err_size);

/* Ends slirp4netns (if started) and closes what n holds. */
void gfs_sandbox_net_release(struct gfs_sandbox_net *n);

/*
 * The sandbox's resolv.conf when the host's names a resolver on its
 * loopback (dnsmasq, unbound, systemd-resolved's 127.0.0.53), which the
 * sandbox's own network cannot reach: the host's file with those
 * nameservers replaced by slirp4netns's DNS forwarder, which asks them
 * from the host. A descriptor holding it (for --ro-bind-data), with the
 * path to bind it at (/etc/resolv.conf, or where that link leads) in
 * dest; or -ENOENT when the host's file needs no change, -EIO.
 */
int gfs_sandbox_net_resolv_fd(char *dest, size_t dest_size);

/* The slirp4netns command line, shell-quoted, PID and FDs as words. */
void gfs_sandbox_net_print(FILE *out);

#endif
