/*
 * The guard's two moments of every operation (see guardfs/op.h): begin,
 * before the folder changes, and end, once the operation is over. Each
 * handler fills one record; what reads it (store, audit, counters) is
 * here, in one place, and in one order.
 */

#include <errno.h>
#include <string.h>

#include "fs_internal.h"
#include "guardfs/audit.h"

void gfs_op_init_as(struct gfs_op *op, pid_t pid, uid_t uid,
		    enum gfs_op_kind kind)
{
	memset(op, 0, sizeof(*op));
	op->kind = kind;
	op->pid = pid;
	op->uid = uid;
}

void gfs_op_init(struct gfs_op *op, fuse_req_t req, enum gfs_op_kind kind)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);

	gfs_op_init_as(op, ctx->pid, ctx->uid, kind);
	op->req = req;
}

void gfs_op_set_action(struct gfs_op *op, struct gfs_action *action)
{
	op->action = action;
	op->action_label = gfs_action_label(action);
	op->action_known = true;
}

static void find_action(struct gfs_fs *fs, struct gfs_op *op)
{
	if (!op->action_known)
		gfs_op_set_action(op, gfs_action_of(fs, op->pid));
}

/*
 * Whether the store must hold path's content before the operation: the
 * kinds that may destroy bytes or names that exist (a new name destroys
 * nothing, and a write session captured when it was opened).
 */
static bool captures(enum gfs_op_kind kind)
{
	switch (kind) {
	case GFS_OP_OPEN:
	case GFS_OP_CREATE:
	case GFS_OP_TRUNCATE:
	case GFS_OP_CHMOD:
	case GFS_OP_UNLINK:
	case GFS_OP_RMDIR:
	case GFS_OP_RENAME:
	case GFS_OP_EXCHANGE:
		return true;
	default:
		return false;
	}
}

int gfs_op_begin(struct gfs_fs *fs, struct gfs_op *op)
{
	int rc = 0;

	find_action(fs, op);
	rc = gfs_hold_wait(fs, op);
	if (!rc)
		rc = gfs_freeze_begin(fs, op);
	if (rc || !fs->store || !captures(op->kind))
		return rc;
	rc = gfs_store_before(fs->store, op->path, op->store_flags);
	if (!rc && op->before2)
		rc = gfs_store_before(fs->store, op->path2, op->store_flags2);
	return rc ? -EIO : 0;
}

/*
 * An ask waits for the user; a caller killed or signalled meanwhile has
 * the kernel send an interrupt for its request, and the wait ends there
 * (EINTR) instead of holding the dead process, and its ask in the list,
 * until the timeout.
 */
struct ask_interrupt {
	struct gfs_ask *ask;
	bool cancelled;
};

static void ask_interrupted(fuse_req_t req, void *data)
{
	struct ask_interrupt *i = data;

	(void)req;
	gfs_ask_cancel(i->ask, &i->cancelled);
}

/* Registers (or, with NULL, withdraws) the handler; a request already
 * interrupted runs it at once. */
static void on_interrupt(struct gfs_op *op, struct ask_interrupt *i)
{
	if (op->req)
		fuse_req_interrupt_func(op->req, i ? ask_interrupted : NULL, i);
}

int gfs_op_ask(struct gfs_fs *fs, struct gfs_op *op, bool is_dir)
{
	struct ask_interrupt intr = {.ask = fs->ask};
	struct gfs_ask_request r = {
		.op = gfs_op_name(op->kind),
		.path = op->path,
		.is_dir = is_dir,
		.pid = op->pid,
		.uid = op->uid,
		.cancelled = &intr.cancelled,
	};
	int rc;

	if (!gfs_ask_enabled(fs->ask) || !op->path)
		return 0;
	on_interrupt(op, &intr);
	rc = gfs_ask_check(fs->ask, &r, &op->rule);
	on_interrupt(op, NULL);
	return rc;
}

int gfs_op_ask_wait(struct gfs_fs *fs, struct gfs_op *op, const char *why)
{
	struct ask_interrupt intr = {.ask = fs->ask};
	struct gfs_ask_request r = {
		.op = gfs_op_name(op->kind),
		.path = op->path ? op->path : "",
		.pid = op->pid,
		.uid = op->uid,
		.detail = why,
		.cancelled = &intr.cancelled,
	};
	enum gfs_ask_answer answer;

	on_interrupt(op, &intr);
	answer = gfs_ask_wait(fs->ask, &r);
	on_interrupt(op, NULL);
	switch (answer) {
	case GFS_ASK_ONCE:
		return 0;
	case GFS_ASK_ALWAYS:
		return 1;
	case GFS_ASK_TIMEOUT:
		op->rule = "ask:timeout";
		return -EACCES;
	case GFS_ASK_BUSY:
		op->rule = "ask:busy";
		return -EACCES;
	case GFS_ASK_CANCELLED:
		op->rule = "ask:interrupted";
		return -EINTR;
	default:
		op->rule = "ask:deny";
		return -EACCES;
	}
}

/* Lists what happened in the store; the sequence number goes in op. */
static void record(struct gfs_fs *fs, struct gfs_op *op)
{
	struct gfs_store_event ev = {0};
	bool moves = op->kind == GFS_OP_RENAME || op->kind == GFS_OP_EXCHANGE ||
		     op->kind == GFS_OP_LINK;
	char process[32];

	gfs_audit_process_name(op->pid, process, sizeof(process));
	/* What a restore writes is listed as restored, not as edited. */
	if (!op->restoring)
		op->restoring = gfs_guard_in_group(fs, op->pid);
	ev.op = op->restoring ? GFS_OP_RESTORE : op->kind;
	/* the store names a move by where it went, and where from */
	ev.path = moves ? op->path2 : op->current ? op->current : op->path;
	ev.from = moves ? op->path : NULL;
	ev.pid = op->pid;
	ev.process = process;
	ev.ino = op->ino;
	ev.sole_name = op->sole_name;
	ev.action_id = op->action_id = gfs_action_id(fs, op->action);
	ev.action = op->action_label = gfs_action_label(op->action);
	ev.sandbox = gfs_action_sandbox(op->action);
	if (gfs_store_after(fs->store, &ev, &op->seq))
		op->seq = 0;
}

void gfs_op_end(struct gfs_fs *fs, struct gfs_op *op, int result)
{
	op->result = result;
	find_action(fs, op);
	gfs_freeze_end(fs, op, result);
	if (op->done && fs->store && gfs_op_stored(op->kind))
		record(fs, op);
	if (!op->quiet) {
		atomic_fetch_add_explicit(&fs->ops, 1, memory_order_relaxed);
		if (op->rule && result)
			atomic_fetch_add_explicit(&fs->refusals, 1,
						  memory_order_relaxed);
		gfs_audit_record(fs->audit, op);
		gfs_live_publish(fs, op);
	}
	gfs_action_put(op->action);
	op->action = NULL;
	op->action_label = NULL;
}
