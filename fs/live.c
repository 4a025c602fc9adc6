/*
 * The control verbs of the live view and of asks: "watch KEY [denied]"
 * hands the connection to the watch module, which streams events on
 * it; "ask-answer" and "ask-list" reach the pending asks.
 */

#include <errno.h>
#include <stdio.h>
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
	struct gfs_watch_event ev;

	/* the whole cost of the live view while nobody watches */
	if (!gfs_watch_active(fs->watch))
		return;
	ev = (struct gfs_watch_event){
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
	gfs_watch_publish(fs->watch, &ev);
}

/*
 * "ask-answer KEY ID WORD" and "ask-list KEY". Answering takes what
 * group-begin takes: the key (the asker can read the user's runtime
 * directory, which no sandbox shows) and a peer that runs this very
 * program unaltered, so that the agent cannot answer its own asks, not
 * even from outside the sandbox with a script that read the key.
 */
int gfs_live_ask(struct gfs_fs *fs, const char *args, pid_t peer,
		 struct gfs_buf *out)
{
	bool answer = !strncmp(args, "answer ", 7);
	enum gfs_ask_answer word;
	unsigned long long id;
	const char *why, *key;
	size_t key_len;
	char text[16];
	int rc;

	if (!answer && strncmp(args, "list ", 5))
		return -EINVAL;
	key = args + (answer ? 7 : 5);
	key_len = strcspn(key, " ");
	if (!gfs_control_key_matches(atomic_load(&fs->control), key, key_len))
		return gfs_buf_adds(out, "ask\trefused: bad key\n");
	if (!answer)
		return gfs_ask_list(fs->ask, out);
	if (gfs_peer_check(peer, &why))
		return gfs_buf_addf(out, "ask\trefused: %s\n", why);
	if (sscanf(key + key_len, " %llu %15s", &id, text) != 2 ||
	    gfs_ask_parse(text, &word))
		return gfs_buf_adds(out, "ask\tbad answer\n");
	rc = gfs_ask_answer(fs->ask, id, word);
	if (rc == -ENOENT)
		return gfs_buf_adds(out, "ask\tno such ask waits\n");
	return gfs_buf_addf(out, "ask\t%s\n", rc ? strerror(-rc) : "ok");
}
