/*
 * The control verbs of the live view: "watch KEY [denied]" hands the
 * connection to the watch module, which streams events on it.
 */

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "fs_internal.h"

/*
 * Watching needs the control key, as reading the audit trail needs the
 * user's files: the stream names what the agent was refused, hidden
 * names included. A process in `guardfs run` or `exec` cannot read the
 * key (nor reach the socket at all).
 */
int gfs_live_watch(struct gfs_fs *fs, const char *args, struct gfs_buf *out)
{
	size_t key_len = strcspn(args, " ");
	const char *rest = args + key_len;
	unsigned flags = 0;
	int fd, rc;

	if (!gfs_control_key_matches(atomic_load(&fs->control), args, key_len))
		return gfs_buf_adds(out, "watch\trefused: bad key\n");
	while (*rest == ' ')
		rest++;
	if (!strcmp(rest, "denied"))
		flags |= GFS_WATCH_DENIED;
	else if (*rest)
		return gfs_buf_adds(out, "watch\tunknown option\n");
	fd = gfs_control_detach();
	rc = gfs_watch_subscribe(fs->watch, fd, flags);
	if (rc) {
		/* still ours: say why, and hang up */
		gfs_buf_addf(out, "watch\t%s\n",
			     rc == -EBUSY ? "too many watchers"
					  : strerror(-rc));
		if (write(fd, out->data, out->len) < 0)
			rc = -errno;
		close(fd);
	}
	return 0;
}

void gfs_live_publish(struct gfs_fs *fs, const struct gfs_op *op)
{
	struct gfs_watch_event ev = {
		.op = gfs_op_name(op->kind),
		.path = op->path ? op->path : "",
		.path2 = op->path2,
		.rule = op->rule,
		.detail = op->detail,
		.action = op->action_label,
		.error = op->result < 0 ? -op->result : op->result,
		.pid = op->pid,
		.uid = op->uid,
		.seq = op->seq,
		.refused = op->rule && op->result,
	};

	if (gfs_watch_active(fs->watch))
		gfs_watch_publish(fs->watch, &ev);
}
