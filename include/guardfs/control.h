#ifndef GUARDFS_CONTROL_H
#define GUARDFS_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "guardfs/buf.h"

/*
 * The control socket of a running mount, and the client side that finds
 * every running mount of this user.
 *
 * Each daemon listens on RUNTIME/<pid>.sock (RUNTIME from
 * gfs_control_runtime_dir). A client connects, writes one command line
 * and reads the reply until the daemon closes. Replies are lines of
 * "key<TAB>value", easy to turn into text or JSON.
 */
struct gfs_control;

/*
 * Privileged verbs (group-begin) quote a key the daemon makes at start
 * and writes to RUNTIME/<pid>.key (mode 0600): proof that the asking
 * process can read the user's runtime directory, which a process inside
 * `guardfs run` cannot. Any process of the same uid outside a sandbox
 * can read it; see the README's threat model.
 */
#define GFS_CONTROL_KEY_LEN 64

/* Whether key (len bytes) is the daemon's key; false when c is NULL. */
bool gfs_control_key_matches(const struct gfs_control *c, const char *key,
			     size_t len);

/* Appends RUNTIME/<pid>.key. */
int gfs_control_key_path(struct gfs_buf *out, pid_t pid);

/* Appends the key of the daemon with this pid. 0 or -errno. */
int gfs_control_read_key(pid_t pid, struct gfs_buf *out);

/*
 * Writes a reply for command (from process peer) into out. 0, or -EINVAL
 * for an unknown one.
 */
typedef int (*gfs_control_fn)(void *arg, const char *command, pid_t peer,
			      struct gfs_buf *out);

/*
 * Called from a gfs_control_fn on the control thread: takes the
 * connection out of the request-reply cycle and returns its fd, which
 * the caller now owns (a streaming verb such as "watch"); the reply in
 * out is then dropped. The caller must not block on the fd.
 */
int gfs_control_detach(void);

/*
 * Appends the runtime directory: $XDG_RUNTIME_DIR/guardfs, or
 * /run/guardfs for root, or /tmp/guardfs-UID. Does not create it.
 */
int gfs_control_runtime_dir(struct gfs_buf *out);

/*
 * Creates the socket (mode 0600 in a 0700 directory) and the key file
 * beside it, and serves the socket.
 */
int gfs_control_start(struct gfs_control **out, gfs_control_fn fn, void *arg,
		      char *err, size_t err_size);

/* Stops serving and removes the socket and key. NULL is allowed. */
void gfs_control_stop(struct gfs_control *c);

/*
 * Sends command to every running daemon of this user and calls visit
 * with each reply. Sockets whose daemon is gone are removed. Returns the
 * number of daemons that answered, or -errno.
 */
int gfs_control_query_all(const char *command,
			  void (*visit)(void *arg, pid_t pid,
					const char *reply),
			  void *arg);

/*
 * Sends command (one line, without its newline) over the unix socket at
 * path and appends the reply, read until the server closes, to out;
 * -ETIMEDOUT when nothing comes for timeout_ms (-1: no limit). 0 or
 * -errno. A server that refuses the caller closes at once: EPIPE, never
 * SIGPIPE.
 */
int gfs_control_ask_socket(const char *path, const char *command,
			   int timeout_ms, struct gfs_buf *out);

/* Sends command to the daemon with this pid; its reply is appended to out. */
int gfs_control_ask(pid_t pid, const char *command, struct gfs_buf *out);

/*
 * Connects to the daemon with this pid and sends command, for a verb
 * that streams (watch): the connected fd, to read from, or -errno.
 */
int gfs_control_connect(pid_t pid, const char *command);

/* The value of key in a reply ("key\tvalue\n" lines) into out; 0/-ENOENT. */
int gfs_control_reply_get(const char *reply, const char *key,
			  struct gfs_buf *out);

#endif
