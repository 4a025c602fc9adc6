/*
 * The hold: while the agent's undo (cli/agent_verbs.c) checks the paths
 * of its action against the newest snapshot and writes them back, no
 * other process changes the folder through the mount. Without it, a
 * user's save landing between the check and the write would be
 * overwritten by the agent (the store would still hold it, but the
 * folder would not): an agent may undo only what nobody touched since.
 *
 *   "hold-begin KEY"  the asking process (the guardfs CLI, checked as for
 *                     a restore group) holds the mount; the reply lists
 *                     every file open for writing by another process,
 *                     "writing PID HEXPATH", which the undo treats as
 *                     changed: its writer may write again at any time.
 *   "hold-end"        only the holder ends it.
 *
 * While held, a change from another process (gfs_op_begin) does not
 * happen until the hold ends:
 *   - an open for writing waits for the end (at most HOLD_WAIT_NS, then
 *     EBUSY; HOLD_MAX_WAITING of them at once): the kernel sends it
 *     holding no lock;
 *   - anything else fails with EBUSY at once. The kernel sends it holding
 *     a lock the undo may need: a create, link, unlink or rename its
 *     directory's, a setattr or xattr its file's, and so does an O_TRUNC
 *     open with the writeback cache (op->locks_file). Waiting there would
 *     have the undo wait for the waiter.
 * An open that waited may find its file gone: the undo put another in
 * its place (a restore writes a new file and renames it over). It then
 * answers ESTALE, and the kernel looks the name up again and opens what
 * stands there now (op_open).
 *
 * A holder that dies ends its hold (its pidfd says so). Writes through
 * descriptors opened before the hold are not held (with kernel
 * passthrough they never reach the daemon): those files are the listed
 * ones.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "fs_internal.h"
#include "guardfs/control.h"
#include "guardfs/util.h"

const char gfs_rule_held[] = "held-by-undo";

/*
 * How long an open waits for a hold to end before it fails: only a
 * holder stuck alive is that slow (an undo of 10,000 files takes 3 s).
 */
#define HOLD_WAIT_NS 60000000000LL
/* How often a waiter looks at its interrupt and the holder's life. */
#define HOLD_POLL_NS 50000000LL
/*
 * Requests waiting at once, at most: each holds a thread of the request
 * loop (of its CPU's queue, over io_uring), and the undo's own requests
 * need one free. Opens past these fail with EBUSY at once, as with ask.
 */
#define HOLD_MAX_WAITING 4

void gfs_hold_init(struct gfs_fs *fs)
{
	pthread_condattr_t attr;

	pthread_mutex_init(&fs->hold_lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&fs->hold_ended, &attr);
	pthread_condattr_destroy(&attr);
	fs->hold_pidfd = -1;
}

void gfs_hold_release(struct gfs_fs *fs)
{
	if (fs->hold_pidfd >= 0)
		close(fs->hold_pidfd);
	fs->hold_pidfd = -1;
	pthread_cond_destroy(&fs->hold_ended);
	pthread_mutex_destroy(&fs->hold_lock);
}

/* Ends the hold; the caller holds hold_lock. */
static void end_locked(struct gfs_fs *fs)
{
	atomic_store(&fs->hold_pid, 0);
	if (fs->hold_pidfd >= 0)
		close(fs->hold_pidfd);
	fs->hold_pidfd = -1;
	pthread_cond_broadcast(&fs->hold_ended);
}

/* Whether the holder has exited; the caller holds hold_lock. */
static bool holder_gone(struct gfs_fs *fs)
{
	struct pollfd p = {.fd = fs->hold_pidfd, .events = POLLIN};

	return fs->hold_pidfd < 0 || poll(&p, 1, 0) != 0;
}

pid_t gfs_hold_holder(struct gfs_fs *fs)
{
	pid_t holder;

	if (!atomic_load(&fs->hold_pid))
		return 0;
	pthread_mutex_lock(&fs->hold_lock);
	if (atomic_load(&fs->hold_pid) && holder_gone(fs))
		end_locked(fs);
	holder = atomic_load(&fs->hold_pid);
	pthread_mutex_unlock(&fs->hold_lock);
	return holder;
}

/* Whether op may wait for a hold to end: it holds no lock the undo needs. */
static bool may_wait(const struct gfs_op *op)
{
	return op->kind == GFS_OP_OPEN && !op->locks_file;
}

int gfs_hold_wait(struct gfs_fs *fs, struct gfs_op *op)
{
	int64_t deadline;
	int rc = 0;

	/* the kernel's own requests (pid 0) and the holder never wait */
	if (!atomic_load(&fs->hold_pid) || !op->pid)
		return 0;
	deadline = gfs_mono_ns() + HOLD_WAIT_NS;
	pthread_mutex_lock(&fs->hold_lock);
	for (;;) {
		pid_t holder = atomic_load(&fs->hold_pid);
		int64_t left = deadline - gfs_mono_ns();
		struct timespec until;

		if (!holder || gfs_same_process(holder, op->pid))
			break;
		if (holder_gone(fs)) {
			end_locked(fs);
			break;
		}
		if (op->req && fuse_req_interrupted(op->req)) {
			rc = -EINTR;
			break;
		}
		if (left <= 0 || !may_wait(op) ||
		    (!op->held && fs->hold_waiting >= HOLD_MAX_WAITING)) {
			op->rule = gfs_rule_held;
			rc = -EBUSY;
			break;
		}
		if (!op->held)
			fs->hold_waiting++;
		op->held = true;
		gfs_deadline_in(&until, CLOCK_MONOTONIC,
				left < HOLD_POLL_NS ? left : HOLD_POLL_NS);
		pthread_cond_timedwait(&fs->hold_ended, &fs->hold_lock, &until);
	}
	if (op->held)
		fs->hold_waiting--;
	pthread_mutex_unlock(&fs->hold_lock);
	return rc;
}

/* Lists the files open for writing by processes other than holder. */
static int list_writers(struct gfs_fs *fs, pid_t holder, struct gfs_buf *out)
{
	struct gfs_buf path = GFS_BUF_INIT;
	struct gfs_handle *h;
	int rc = 0;

	/* lock order: handles_lock, then the table's (gfs_inode_path) */
	pthread_mutex_lock(&fs->handles_lock);
	for (h = fs->open_handles; h && !rc; h = h->next) {
		int flags = fcntl(h->fd, F_GETFL);

		if (flags < 0 || (flags & O_ACCMODE) == O_RDONLY ||
		    gfs_same_process(holder, h->pid))
			continue;
		path.len = 0;
		rc = gfs_inode_path(fs, h->inode, &path);
		if (!rc)
			rc = gfs_buf_addf(out, "writing\t%ld\t", (long)h->pid);
		if (!rc)
			rc = gfs_buf_add_hex(out, path.data ? path.data : "",
					     path.len);
		if (!rc)
			rc = gfs_buf_addch(out, '\n');
	}
	pthread_mutex_unlock(&fs->handles_lock);
	gfs_buf_release(&path);
	return rc;
}

static int hold_begin(struct gfs_fs *fs, const char *key, pid_t peer,
		      struct gfs_buf *out)
{
	const char *why;
	int pidfd, rc;

	/* As for a restore group: the user's guardfs, nothing else. */
	if (!gfs_control_key_matches(atomic_load(&fs->control), key,
				     strlen(key)))
		return gfs_buf_adds(out, "hold\trefused: bad key\n");
	if (gfs_peer_check(peer, &why))
		return gfs_buf_addf(out, "hold\trefused: %s\n", why);
	pidfd = (int)syscall(SYS_pidfd_open, peer, 0);
	if (pidfd < 0)
		return gfs_buf_addf(out, "hold\t%s\n", strerror(errno));
	pthread_mutex_lock(&fs->hold_lock);
	if (atomic_load(&fs->hold_pid) && !holder_gone(fs)) {
		pthread_mutex_unlock(&fs->hold_lock);
		close(pidfd);
		return gfs_buf_adds(out, "hold\tbusy: another undo runs\n");
	}
	if (atomic_load(&fs->hold_pid))
		end_locked(fs);
	fs->hold_pidfd = pidfd;
	atomic_store(&fs->hold_pid, peer);
	pthread_mutex_unlock(&fs->hold_lock);
	/*
	 * From here on no other process opens a file for writing: the list
	 * below is complete for as long as the hold lasts.
	 */
	rc = gfs_buf_adds(out, "hold\tok\n");
	return rc ? rc : list_writers(fs, peer, out);
}

int gfs_hold_control(struct gfs_fs *fs, const char *args, bool begin,
		     pid_t peer, struct gfs_buf *out)
{
	if (begin)
		return hold_begin(fs, args, peer, out);
	pthread_mutex_lock(&fs->hold_lock);
	if (atomic_load(&fs->hold_pid) != peer) {
		pthread_mutex_unlock(&fs->hold_lock);
		return gfs_buf_adds(out, "hold\tnot yours\n");
	}
	end_locked(fs);
	pthread_mutex_unlock(&fs->hold_lock);
	return gfs_buf_adds(out, "hold\tended\n");
}
