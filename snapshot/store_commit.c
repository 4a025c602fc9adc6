/*
 * Batches of operations and their commits.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <git2/sys/commit.h>

#include "store_internal.h"

#define STORE_BRANCH "refs/heads/main"

int gfs_store_batch_add(struct gfs_store *s,
			const struct gfs_store_batch_op *op)
{
	struct gfs_store_batch_op *b;

	if (s->batch_len == s->batch_cap) {
		size_t cap = s->batch_cap ? s->batch_cap * 2 : 64;

		b = realloc(s->batch, cap * sizeof(*b));
		if (!b)
			return -ENOMEM;
		s->batch = b;
		s->batch_cap = cap;
	}
	b = &s->batch[s->batch_len];
	*b = *op;
	b->path = strdup(op->path);
	b->from = op->from ? strdup(op->from) : NULL;
	b->process = strdup(op->process ? op->process : "");
	b->action = op->action ? strdup(op->action) : NULL;
	if (!b->path || (op->from && !b->from) || !b->process ||
	    (op->action && !b->action)) {
		free(b->path);
		free(b->from);
		free(b->process);
		free(b->action);
		return -ENOMEM;
	}
	if (!s->batch_len)
		clock_gettime(CLOCK_MONOTONIC, &s->batch_start);
	s->batch_len++;
	return 0;
}

void gfs_store_batch_clear(struct gfs_store *s)
{
	size_t i;

	for (i = 0; i < s->batch_len; i++) {
		free(s->batch[i].path);
		free(s->batch[i].from);
		free(s->batch[i].process);
		free(s->batch[i].action);
	}
	s->batch_len = 0;
}

static const char *op_name(int op)
{
	if (op == GFS_STORE_OP_PREIMAGE)
		return "preimage";
	if (op == GFS_STORE_OP_SESSION)
		return "session-start";
	return gfs_op_name(op);
}

/*
 * Trailer values must stay on one line: a path holding a control
 * character, a quote or a backslash is written C-quoted, as git does.
 */
static int add_path(struct gfs_buf *b, const char *p)
{
	const unsigned char *c;
	int rc = 0;

	for (c = (const unsigned char *)p; *c; c++)
		if (*c < 0x20 || *c == '"' || *c == '\\' || *c == 0x7f)
			break;
	if (!*c)
		return gfs_buf_adds(b, p);
	rc = gfs_buf_addch(b, '"');
	for (c = (const unsigned char *)p; *c && !rc; c++) {
		if (*c == '"' || *c == '\\')
			rc = gfs_buf_addf(b, "\\%c", *c);
		else if (*c == '\n')
			rc = gfs_buf_adds(b, "\\n");
		else if (*c == '\t')
			rc = gfs_buf_adds(b, "\\t");
		else if (*c < 0x20 || *c == 0x7f)
			rc = gfs_buf_addf(b, "\\%03o", *c);
		else
			rc = gfs_buf_addch(b, (char)*c);
	}
	return rc ? rc : gfs_buf_addch(b, '"');
}

static int add_process(struct gfs_buf *b, const char *p)
{
	int rc = 0;

	for (; *p && !rc; p++)
		rc = gfs_buf_addch(b, (unsigned char)*p < 0x20 ? '?' : *p);
	return rc;
}

/* The message of the batch's commit: a subject, the list, the trailers. */
int gfs_store_batch_message(const struct gfs_store *s, struct gfs_buf *m)
{
	const struct gfs_store_batch_op *first = &s->batch[0];
	size_t i;
	int rc;

	if (s->group_label) {
		/* One restore: named as the user asked for it. */
		rc = add_path(m, s->group_label);
		if (!rc)
			rc = gfs_buf_addf(m, " (%zu path%s)", s->batch_len,
					  s->batch_len == 1 ? "" : "s");
	} else {
		rc = gfs_buf_addf(m, "%s ", op_name(first->op));
		if (!rc)
			rc = add_path(m, first->op == GFS_STORE_OP_SESSION
						 ? s->opts.root_path
						 : first->path);
		if (!rc && s->batch_len > 1)
			rc = gfs_buf_addf(m, " (+%zu more)", s->batch_len - 1);
	}
	if (!rc && (s->batch_len > 1 || s->group_label)) {
		rc = gfs_buf_adds(m, "\n");
		for (i = 0; i < s->batch_len && !rc; i++) {
			rc = gfs_buf_addf(m, "\n%s ", op_name(s->batch[i].op));
			if (!rc)
				rc = add_path(m, s->batch[i].path);
			if (!rc && s->batch[i].from) {
				rc = gfs_buf_adds(m, " <- ");
				if (!rc)
					rc = add_path(m, s->batch[i].from);
			}
		}
	}
	if (!rc)
		rc = gfs_buf_addf(m, "\n\nGuardfs-Session: %s\n", s->session);
	/* read back at the next open: action numbers never repeat */
	if (!rc)
		rc = gfs_buf_addf(m, "Guardfs-Actions: %llu\n",
				  (unsigned long long)atomic_load(&s->actions));
	for (i = 0; i < s->batch_len && !rc; i++) {
		const struct gfs_store_batch_op *op = &s->batch[i];

		rc = gfs_buf_addf(
			m, "Guardfs-Op: %s\nGuardfs-Path: ", op_name(op->op));
		if (!rc)
			rc = add_path(m, op->op == GFS_STORE_OP_SESSION
						 ? s->opts.root_path
						 : op->path);
		if (!rc && op->from) {
			rc = gfs_buf_adds(m, "\nGuardfs-From: ");
			if (!rc)
				rc = add_path(m, op->from);
		}
		if (!rc)
			rc = gfs_buf_addf(m,
					  "\nGuardfs-Pid: %ld\n"
					  "Guardfs-Process: ",
					  (long)op->pid);
		if (!rc)
			rc = add_process(m, op->process);
		if (!rc && op->action) {
			rc = gfs_buf_adds(m, "\nGuardfs-Action: ");
			if (!rc)
				rc = add_process(m, op->action);
		}
		if (!rc && op->action_id)
			rc = gfs_buf_addf(m, "\nGuardfs-Action-Id: %llu",
					  (unsigned long long)op->action_id);
		if (!rc && op->sandbox)
			rc = gfs_buf_addf(m, "\nGuardfs-Sandbox: %llu",
					  (unsigned long long)op->sandbox);
		if (!rc)
			rc = gfs_buf_addf(m, "\nGuardfs-Seq: %llu\n",
					  (unsigned long long)op->seq);
	}
	return rc;
}

static int commit_batch(struct gfs_store *s, bool move_ref);

static int by_path_then_place(const void *a, const void *b)
{
	const struct gfs_store_batch_op *x =
		*(const struct gfs_store_batch_op *const *)a;
	const struct gfs_store_batch_op *y =
		*(const struct gfs_store_batch_op *const *)b;
	int c = strcmp(x->path, y->path);

	return c ? c : (x < y ? -1 : x > y);
}

/*
 * A restore lists each path it wrote once: its create, its mode and its
 * write session are one restore, however the kernel interleaved them
 * with the other files' (a release comes late). The first entry of a
 * path stays, in its place.
 */
static void drop_repeated_restores(struct gfs_store *s)
{
	struct gfs_store_batch_op **order;
	const char *last = NULL;
	size_t i, n = 0, kept = 0;

	order = malloc(s->batch_len * sizeof(*order));
	if (!order)
		return; /* listed twice: untidy, nothing lost */
	for (i = 0; i < s->batch_len; i++)
		if (s->batch[i].op == GFS_OP_RESTORE)
			order[n++] = &s->batch[i];
	qsort(order, n, sizeof(*order), by_path_then_place);
	for (i = 0; i < n; i++) {
		if (last && !strcmp(order[i]->path, last))
			order[i]->op = -1; /* dropped below */
		else
			last = order[i]->path;
	}
	free(order);
	for (i = 0; i < s->batch_len; i++) {
		struct gfs_store_batch_op *op = &s->batch[i];

		if (op->op == -1) {
			free(op->path);
			free(op->from);
			free(op->process);
			free(op->action);
		} else {
			s->batch[kept++] = *op;
		}
	}
	s->batch_len = kept;
}

/*
 * Another node named by the batch holding the same bytes as file node n,
 * or NULL. git writes each object to a temporary file, links it to its
 * name and unlinks the temporary one: the bytes stay, under the name.
 *
 * Newest first: the job being applied, then the batch backwards. The
 * link is the operation right before the unlink, and a forward scan of
 * a burst's batch (thousands of operations, each object of a `git add`
 * asking once) cost the worker time quadratic in the batch.
 */
static struct gfs_store_node *same_bytes_elsewhere(struct gfs_store *s,
						   struct gfs_store_node *n)
{
	size_t i;
	int k;

	if (n->git_mode == 040000 || n->unrecorded)
		return NULL;
	for (i = s->batch_len + 1; i-- > 0;) {
		const char *paths[2] = {s->job_paths[0], s->job_paths[1]};

		if (i < s->batch_len) {
			paths[0] = s->batch[i].path;
			paths[1] = s->batch[i].from;
		}

		for (k = 0; k < 2; k++) {
			struct gfs_store_node *o;

			if (!paths[k])
				continue;
			o = gfs_store_node_lookup(s->root, paths[k]);
			if (o && o != n && o->git_mode != 040000 &&
			    !o->unrecorded && git_oid_equal(&o->oid, &n->oid))
				return o;
		}
	}
	return NULL;
}

/*
 * Called by the worker right before it changes or removes node n: if a
 * mutation relied on n's version and that version is only in the batch,
 * the batch is committed first so the version is not lost, unless the
 * same bytes stay in the batch under another name, which then carries
 * the relied mark in n's place.
 */
int gfs_store_will_change(struct gfs_store *s, struct gfs_store_node *n)
{
	struct gfs_store_node *other;
	bool relied;

	if (!n)
		return 0;
	relied = n->relied;
	n->relied = false;
	if (!relied || n->changed_gen != s->commit_gen)
		return 0;
	/*
	 * A restore is one operation: the states between its own steps are
	 * no versions anyone made, and its commit must not split for them
	 * (nor for the pre-images its steps needed). Left alone: a version
	 * another process makes and replaces again while a restore runs is
	 * held in the store but in no commit.
	 */
	if (s->group_label)
		return 0;
	other = same_bytes_elsewhere(s, n);
	if (other) {
		other->relied = true;
		return 0;
	}
	/*
	 * The branch moves later, when the worker goes idle: a lockfile and
	 * a rename per commit are what a burst of these (sqlite's journal,
	 * each transaction) would pay for. Until then the journal keeps the
	 * relied-upon version for a crash.
	 */
	return commit_batch(s, false);
}

/* Records that n changed in the batch that is not committed yet. */
void gfs_store_touched(struct gfs_store *s, struct gfs_store_node *n)
{
	n->changed_gen = s->commit_gen;
	if (n->git_mode == 040000)
		n->dirty = true;
}

/*
 * Commits the batch. The tree and commit objects are written before the
 * branch moves (under libgit2's lockfile), so a kill at any point leaves
 * a consistent repository: at worst unreferenced objects. The caller
 * holds tree_lock for writing. An empty batch, or one whose tree equals
 * the last commit's (and is not a session start), makes no commit.
 */
/*
 * Points the branch at the newest commit; what a before() relied upon
 * is reachable from it now, so the journal empties, unless commits are
 * still held behind a preimage (store_ingest.c): what they hold is not.
 */
int gfs_store_move_ref(struct gfs_store *s)
{
	git_reference *ref = NULL;

	if (git_reference_create(&ref, s->repo, STORE_BRANCH, &s->head, 1,
				 NULL))
		return gfs_store_git_error("update branch");
	git_reference_free(ref);
	s->ref_stale = false;
	if (!gfs_store_holding(s))
		gfs_store_journal_clear(s);
	return 0;
}

static int commit_batch(struct gfs_store *s, bool move_ref)
{
	struct gfs_buf msg = GFS_BUF_INIT;
	git_signature *sig = NULL;
	git_oid tree, commit;
	bool listed = false;
	size_t i;
	int rc;

	if (!s->batch_len)
		return move_ref && s->ref_stale ? gfs_store_move_ref(s) : 0;
	if (s->group_label)
		drop_repeated_restores(s);
	rc = gfs_store_tree_write(s, &tree);
	if (rc)
		goto out;
	/*
	 * A batch of operations is committed even if its tree is the last
	 * commit's (a file made and removed again, bytes rewritten as they
	 * were): every operation is listed by some commit. Only a batch of
	 * the store's own reads (pre-images, spills) that changed nothing
	 * makes none.
	 */
	for (i = 0; i < s->batch_len; i++)
		listed |= s->batch[i].op < GFS_STORE_OP_PREIMAGE ||
			  s->batch[i].op == GFS_STORE_OP_SESSION;
	if (s->have_head && !listed && git_oid_equal(&s->head_tree, &tree))
		goto done;
	rc = gfs_store_batch_message(s, &msg);
	if (rc)
		goto out;
	if (git_signature_now(&sig, "guardfs", "guardfs@localhost")) {
		rc = gfs_store_git_error("make signature");
		goto out;
	}
	if (gfs_store_holding(s)) {
		/* behind a preimage: written when it is (store_ingest.c) */
		rc = gfs_store_hold(s, &tree, msg.data, &sig->when);
		if (rc)
			goto out;
		git_oid_cpy(&s->head_tree, &tree);
		goto done;
	}
	if (gfs_store_odb_commit(s, &commit, sig, &tree,
				 s->have_head ? &s->head : NULL, msg.data)) {
		rc = gfs_store_git_error("write commit");
		goto out;
	}
	git_oid_cpy(&s->head, &commit);
	git_oid_cpy(&s->head_tree, &tree);
	s->have_head = true;
	s->ref_stale = true;
	s->commits++;
	gfs_store_packer_kick(s, 1);
done:
	if (move_ref && s->ref_stale)
		rc = gfs_store_move_ref(s);
	if (rc)
		goto out;
	gfs_store_batch_clear(s);
	s->commit_gen++;
	__atomic_store_n(&s->broken, false, __ATOMIC_RELEASE);
out:
	if (rc)
		__atomic_store_n(&s->broken, true, __ATOMIC_RELEASE);
	git_signature_free(sig);
	gfs_buf_release(&msg);
	return rc;
}

int gfs_store_commit_batch(struct gfs_store *s)
{
	return commit_batch(s, true);
}
