/*
 * The ingest lane: large preimages off the worker's path.
 *
 * A file above max_file_size is set aside before it is changed or
 * removed (store_spill.c). Turning that copy into a blob (read, hash,
 * deflate, write) takes seconds per gigabyte. The worker used to do it in
 * line, holding the picture's lock, so every job queued behind it waited,
 * and so did every before() that needed a job of its path applied first:
 * after `rm -f` of a 1 GiB file, each sqlite transaction waited for the
 * whole ingest (2,000 transactions took twice as long).
 *
 * Now the worker hands the copy to the lane's thread and goes on. History
 * must still show the preimage before the operation that destroyed it,
 * so from then on the worker's commits are held: their trees are written
 * as usual, their commit objects wait in order behind the preimage. When
 * the blob is in, the preimage's tree is the tree the folder had at that
 * point (a file this large was in no tree) with the file added, and the
 * held chain is written and the branch moved. A flush, and so an
 * unmount, waits until the chain is written: an ingest never outlives the
 * unmount that waits for it.
 *
 * A kill -9 while commits are held loses those commit objects, not their
 * preimages: the copies stay in STORE/spill/ and are committed at the
 * next start, whose baseline then records the folder as it is.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guardfs/util.h"
#include "store_internal.h"

static void held_free(struct gfs_store_held *h)
{
	if (!h)
		return;
	free(h->message);
	free(h->spill);
	free(h->path);
	free(h);
}

bool gfs_store_holding(const struct gfs_store *s)
{
	return s->held_head != NULL;
}

static void held_append(struct gfs_store *s, struct gfs_store_held *h)
{
	if (s->held_tail)
		s->held_tail->next = h;
	else
		s->held_head = h;
	s->held_tail = h;
}

/* The commit_batch of a worker that is holding: keeps the commit. */
int gfs_store_hold(struct gfs_store *s, const git_oid *tree,
		   const char *message, const git_time *when)
{
	struct gfs_store_held *h = calloc(1, sizeof(*h));

	if (!h || !(h->message = strdup(message))) {
		free(h);
		return -ENOMEM;
	}
	git_oid_cpy(&h->tree, tree);
	h->when = *when;
	held_append(s, h);
	return 0;
}

/* Stores a spill file in chunks, with the lane's own object database. */
static int ingest_copy(struct gfs_store *s, struct gfs_store_held *h)
{
	struct gfs_chunks_result res;
	struct stat st;
	int fd = open(h->spill, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return -errno;
	rc = fstat(fd, &st) < 0 ? -errno : 0;
	if (!rc)
		rc = gfs_chunks_write(
			&(struct gfs_chunks_odb){s->lane_odb, s->lane_loose,
						 s->objects_dir,
						 &s->lane_whole},
			fd, NULL, st.st_size, h->has_prev ? &h->prev : NULL,
			&res, &s->lane_read);
	close(fd);
	if (!rc) {
		git_oid_cpy(&h->blob, &res.manifest);
		git_oid_cpy(&h->chunks, &res.tree);
		gfs_store_packer_kick(s, res.written);
	}
	return rc;
}

static void *lane_main(void *arg)
{
	struct gfs_store *s = arg;

	pthread_setname_np(pthread_self(), "gfs-ingest");
	pthread_mutex_lock(&s->queue_lock);
	for (;;) {
		struct gfs_store_held *h = s->lane_head;
		int rc;

		if (!h) {
			if (s->lane_stopping)
				break;
			pthread_cond_wait(&s->lane_cond, &s->queue_lock);
			continue;
		}
		s->lane_head = h->lane_next;
		if (!s->lane_head)
			s->lane_tail = NULL;
		pthread_mutex_unlock(&s->queue_lock);
		rc = ingest_copy(s, h);
		pthread_mutex_lock(&s->queue_lock);
		atomic_fetch_sub(&s->lane_queued, h->size);
		atomic_store(&s->lane_read, 0);
		h->rc = rc;
		h->ingested = true;
		pthread_cond_signal(&s->queue_cond);
	}
	pthread_mutex_unlock(&s->queue_lock);
	return NULL;
}

/* Under queue_lock: hands h to the lane, starting it on first use. */
static int lane_submit(struct gfs_store *s, struct gfs_store_held *h)
{
	if (!s->lane_started) {
		if (!s->lane_odb &&
		    gfs_store_odb_open_second(s, &s->lane_odb, &s->lane_loose))
			return -EIO;
		if (!s->lane_whole.ready)
			gfs_loose_init(&s->lane_whole, s->objects_dir);
		if (pthread_create(&s->lane, NULL, lane_main, s))
			return -EAGAIN;
		s->lane_started = true;
	}
	atomic_fetch_add(&s->lane_queued, h->size);
	if (s->lane_tail)
		s->lane_tail->lane_next = h;
	else
		s->lane_head = h;
	s->lane_tail = h;
	pthread_cond_signal(&s->lane_cond);
	return 0;
}

/* The message of a batch of one operation, ev, outside any restore. */
static int preimage_message(struct gfs_store *s,
			    const struct gfs_store_batch_op *ev,
			    struct gfs_buf *msg)
{
	char *group = s->group_label;
	int rc;

	s->group_label = NULL;
	rc = gfs_store_batch_add(s, ev);
	if (!rc)
		rc = gfs_store_batch_message(s, msg);
	gfs_store_batch_clear(s);
	s->group_label = group;
	return rc;
}

/*
 * The worker reached a spill job (tree_lock held for writing): what came
 * before it is committed, the folder's tree at this point is noted, and
 * the copy goes to the lane; every commit from here on is held behind it.
 */
int gfs_store_hold_preimage(struct gfs_store *s, struct gfs_store_job *job)
{
	struct gfs_buf msg = GFS_BUF_INIT, path = GFS_BUF_INIT;
	git_signature *sig = NULL;
	struct gfs_store_held *h = NULL;
	struct stat st = {0};
	int rc;

	rc = gfs_store_commit_batch(s);
	if (rc)
		return rc;
	h = calloc(1, sizeof(*h));
	if (!h) {
		rc = -ENOMEM;
		goto out;
	}
	rc = gfs_store_spill_read_meta(job->spill, &h->mode, &path);
	if (!rc)
		rc = stat(job->spill, &st) < 0 ? -errno : 0;
	if (!rc) {
		/* what the store held of it before: chunks the lane may keep */
		const struct gfs_store_node *n =
			gfs_store_node_lookup(s->root, path.data);

		if (n && !git_oid_is_zero(&n->chunks)) {
			git_oid_cpy(&h->prev, &n->chunks);
			h->has_prev = true;
		}
	}
	if (!rc)
		rc = gfs_store_tree_write(s, &h->tree);
	h->size = (uint64_t)st.st_size;
	if (!rc)
		rc = preimage_message(s, &job->ev, &msg);
	if (!rc && git_signature_now(&sig, "guardfs", "guardfs@localhost"))
		rc = gfs_store_git_error("make signature");
	if (rc)
		goto out;
	h->when = sig->when;
	h->message = gfs_buf_detach(&msg);
	h->path = gfs_buf_detach(&path);
	h->spill = strdup(job->spill);
	if (!h->message || !h->path || !h->spill) {
		rc = -ENOMEM;
		goto out;
	}
	pthread_mutex_lock(&s->queue_lock);
	rc = lane_submit(s, h);
	pthread_mutex_unlock(&s->queue_lock);
	if (!rc) {
		held_append(s, h);
		h = NULL;
	}
out:
	git_signature_free(sig);
	held_free(h);
	gfs_buf_release(&msg);
	gfs_buf_release(&path);
	return rc;
}

/*
 * The chunks the lane stores of path's copy set aside (the newest), for
 * the worker about to read the file again: with them it writes only the
 * chunks that changed, instead of storing every chunk a second time
 * beside the lane. Waits for the lane without the tree lock (the worker
 * holds it for writing), so that the request path reads the picture
 * meanwhile; the worker alone frees held entries. 1 and *tree, or 0.
 */
int gfs_store_lane_chunks(struct gfs_store *s, const char *path, git_oid *tree)
{
	struct gfs_store_held *h, *found = NULL;
	bool ok;

	for (h = s->held_head; h; h = h->next)
		if (h->spill && !strcmp(h->path, path))
			found = h;
	if (!found)
		return 0;
	pthread_rwlock_unlock(&s->tree_lock);
	pthread_mutex_lock(&s->queue_lock);
	while (!found->ingested)
		pthread_cond_wait(&s->queue_cond, &s->queue_lock);
	ok = !found->rc;
	pthread_mutex_unlock(&s->queue_lock);
	pthread_rwlock_wrlock(&s->tree_lock);
	if (ok)
		git_oid_cpy(tree, &found->chunks);
	return ok;
}

uint64_t gfs_store_ingest_left(struct gfs_store *s)
{
	uint64_t queued = atomic_load(&s->lane_queued);
	uint64_t read = atomic_load(&s->lane_read);
	uint64_t size = atomic_load(&s->chunks_size);
	uint64_t done = atomic_load(&s->chunks_read);

	return (queued > read ? queued - read : 0) +
	       (size > done ? size - done : 0);
}

/* Whether the oldest held commit can be written now (queue_lock held). */
bool gfs_store_held_ready(struct gfs_store *s)
{
	return s->held_head && (!s->held_head->spill || s->held_head->ingested);
}

/*
 * Puts the file name (stored as the tree writer would: store_tree.c) and
 * its chunk tree into tb.
 */
static int leaf_insert(git_treebuilder *tb, const char *name, uint32_t mode,
		       const git_oid *blob, const git_oid *chunks)
{
	char *stored = NULL, *tree_name = NULL;
	int rc = 0;

	if (asprintf(&stored, "%s%s", name,
		     gfs_store_name_needs_suffix(name, strlen(name))
			     ? GFS_STORE_NAME_SUFFIX
			     : "") < 0 ||
	    asprintf(&tree_name, "%s%s", stored, GFS_CHUNKS_SUFFIX) < 0) {
		free(stored);
		return -ENOMEM;
	}
	if (git_treebuilder_insert(NULL, tb, stored, blob,
				   (git_filemode_t)mode) ||
	    (chunks && git_treebuilder_insert(NULL, tb, tree_name, chunks,
					      GIT_FILEMODE_TREE)))
		rc = gfs_store_git_error("build tree");
	free(stored);
	free(tree_name);
	return rc;
}

/*
 * The tree base (or an empty one) with the file at path: one new tree
 * per directory on the way down, the rest shared.
 */
static int tree_with_file(git_repository *repo, const git_oid *base,
			  const char *path, uint32_t mode, const git_oid *blob,
			  const git_oid *chunks, git_oid *out)
{
	const char *slash = strchr(path, '/');
	git_treebuilder *tb = NULL;
	git_tree *tree = NULL;
	char *name = NULL;
	int rc = 0;

	if (base && git_tree_lookup(&tree, repo, base))
		return gfs_store_git_error("read tree");
	if (git_treebuilder_new(&tb, repo, tree)) {
		rc = gfs_store_git_error("build tree");
		goto out;
	}
	if (slash) {
		const git_tree_entry *e;
		git_oid sub;

		size_t len = (size_t)(slash - path);

		/* the directory's name as the tree writer stores it */
		if (asprintf(&name, "%.*s%s", (int)len, path,
			     gfs_store_name_needs_suffix(path, len)
				     ? GFS_STORE_NAME_SUFFIX
				     : "") < 0) {
			name = NULL;
			rc = -ENOMEM;
			goto out;
		}
		e = tree ? git_tree_entry_byname(tree, name) : NULL;
		if (e && git_tree_entry_type(e) != GIT_OBJECT_TREE)
			e = NULL;
		rc = tree_with_file(repo, e ? git_tree_entry_id(e) : NULL,
				    slash + 1, mode, blob, chunks, &sub);
		if (!rc && git_treebuilder_insert(NULL, tb, name, &sub,
						  GIT_FILEMODE_TREE))
			rc = gfs_store_git_error("build tree");
	} else {
		rc = leaf_insert(tb, path, mode, blob, chunks);
	}
	if (!rc && git_treebuilder_write(out, tb))
		rc = gfs_store_git_error("write tree");
out:
	free(name);
	git_treebuilder_free(tb);
	git_tree_free(tree);
	return rc;
}

static int write_held(struct gfs_store *s, const struct gfs_store_held *h,
		      git_oid *commit)
{
	git_signature *sig = NULL;
	git_oid tree;
	int rc = 0;

	git_oid_cpy(&tree, &h->tree);
	if (h->spill)
		rc = tree_with_file(s->repo, &h->tree, h->path, h->mode,
				    &h->blob, &h->chunks, &tree);
	if (!rc && git_signature_new(&sig, "guardfs", "guardfs@localhost",
				     h->when.time, h->when.offset))
		rc = gfs_store_git_error("make signature");
	if (!rc &&
	    gfs_store_odb_commit(s, commit, sig, &tree,
				 s->have_head ? &s->head : NULL, h->message))
		rc = gfs_store_git_error("write commit");
	git_signature_free(sig);
	return rc;
}

/*
 * Writes the held commits from the oldest up to the first preimage still
 * being ingested, and moves the branch (worker, tree_lock held). A
 * preimage that could not be ingested is logged and skipped: its copy
 * stays in STORE/spill/ and is committed at the next start.
 */
int gfs_store_held_flush(struct gfs_store *s)
{
	bool wrote = false;
	int rc = 0;

	while (s->held_head) {
		struct gfs_store_held *h = s->held_head;
		git_oid commit;
		bool ready;

		pthread_mutex_lock(&s->queue_lock);
		ready = gfs_store_held_ready(s);
		pthread_mutex_unlock(&s->queue_lock);
		if (!ready)
			break;
		if (h->spill && h->rc) {
			gfs_store_log(h->path, h->rc);
		} else {
			rc = write_held(s, h, &commit);
			if (rc)
				break;
			git_oid_cpy(&s->head, &commit);
			s->have_head = true;
			s->ref_stale = true;
			s->commits++;
			wrote = true;
			if (h->spill)
				gfs_store_spill_remove(h->spill);
		}
		s->held_head = h->next;
		if (!s->held_head)
			s->held_tail = NULL;
		held_free(h);
	}
	if (!rc && wrote)
		rc = gfs_store_move_ref(s);
	__atomic_store_n(&s->broken, rc != 0, __ATOMIC_RELEASE);
	return rc;
}

/*
 * At the end, when held commits cannot be written (the disk is full):
 * they are dropped, their preimages kept in STORE/spill/ for the next
 * start, which records the folder as it is then.
 */
void gfs_store_held_abandon(struct gfs_store *s)
{
	size_t n = 0;

	while (s->held_head) {
		struct gfs_store_held *h = s->held_head;

		s->held_head = h->next;
		held_free(h);
		n++;
	}
	s->held_tail = NULL;
	if (n)
		fprintf(stderr,
			"guardfs: store: %zu commit(s) could not be written; "
			"the next mount records the folder as it is\n",
			n);
}

/* After the worker: lets the lane finish what it has, then ends it. */
void gfs_store_lane_stop(struct gfs_store *s)
{
	if (s->lane_started) {
		pthread_mutex_lock(&s->queue_lock);
		s->lane_stopping = true;
		pthread_cond_signal(&s->lane_cond);
		pthread_mutex_unlock(&s->queue_lock);
		pthread_join(s->lane, NULL);
		s->lane_started = false;
	}
	git_odb_free(s->lane_odb);
	s->lane_odb = NULL;
	s->lane_loose = NULL;
	gfs_loose_release(&s->lane_whole);
}
