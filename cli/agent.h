#ifndef GUARDFS_CLI_AGENT_H
#define GUARDFS_CLI_AGENT_H

#include <stdbool.h>
#include <sys/types.h>

#include "guardfs/buf.h"
#include "guardfs/config.h"

/*
 * The agent's own verbs: inside `guardfs run` and `guardfs exec` the
 * agent may list, diff and undo the actions it made in the current
 * session, and nothing more.
 *
 * The `guardfs run`/`exec` process, outside the sandbox, serves a socket
 * of its own (agent_serve.c) that the sandbox sees at GFS_AGENT_SOCKET;
 * every peer of that socket is the agent. It knows three verbs
 * (agent_verbs.c), does the work with the user's store and key, and
 * writes an undo through the mount as one recorded restore. Inside the
 * sandbox, `guardfs log`, `diff` and `undo` send their request there
 * (agent_client.c); every other command refuses.
 */

/* Where the sandbox sees the socket and the guardfs program. */
#define GFS_AGENT_DIR	 "/run/guardfs-agent"
#define GFS_AGENT_SOCKET GFS_AGENT_DIR "/sock"
#define GFS_AGENT_BIN	 GFS_AGENT_DIR "/bin"
/* Set by the sandbox to GFS_AGENT_SOCKET. */
#define GFS_AGENT_ENV "GUARDFS_AGENT"

/* The longest request line, and how long a peer may take to send it. */
#define GFS_AGENT_REQUEST_MAX 1024
#define GFS_AGENT_READ_MS     2000
/* How long a reply may wait for its reader, in all. */
#define GFS_AGENT_WRITE_MS 20000
/* A reply's output is cut here. */
#define GFS_AGENT_OUTPUT_MAX (64u << 20)

/* The serving process of one `guardfs run`/`exec`. */
struct gfs_agent_server {
	pid_t pid;    /* 0 when not serving */
	char *dir;    /* a private directory holding ... */
	char *socket; /* ... the socket, bound into the sandbox */
};

/*
 * Starts serving the agent's verbs for the project (cfg as loaded, the
 * daemon's pid and the mount point) in a child process. 0, or -1 after
 * saying why; the sandbox then runs without the verbs.
 */
int gfs_agent_serve_start(struct gfs_agent_server *srv,
			  const struct gfs_config *cfg, pid_t daemon,
			  const char *mount);

/* Ends the serving process and removes the socket. */
void gfs_agent_serve_stop(struct gfs_agent_server *srv);

/*
 * Answers one request line (agent_verbs.c), writing what the command
 * prints to stdout and stderr; returns its exit status.
 */
int gfs_agent_answer(const struct gfs_config *cfg, pid_t daemon,
		     const char *mount, const char *request);

/* Whether this process runs inside a sandbox that serves the verbs. */
bool gfs_agent_inside(void);

/*
 * Runs log, diff or undo (argv[0]) inside the sandbox through the
 * socket; returns the exit status.
 */
int gfs_agent_command(int argc, char **argv);

/* Refuses command inside the sandbox: exit status 2. */
int gfs_agent_refuse(const char *command);

#endif
