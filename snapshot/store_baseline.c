/*
 * The first baseline's blob writes, spread over the machine's cores.
 *
 * A first mount reads every file of the folder into the store before the
 * mount answers. Of the kernel tree's 32 s of CPU for that, 15 s went to
 * deflating the loose objects and most of the kernel's 12 s to creating
 * their files (bench/README.md, session 10): work that needs none of the
 * worker's state. So while session_start reads the folder, the thread
 * reading (which hashes each file, decides what the picture holds and
 * checks which objects the store has) hands each new blob to a few
 * writer threads. On a first mount each appends the blobs it takes to a
 * pack of its own (store_packout.c), installed every
 * GFS_STORE_PACK_OBJECTS_MAX objects and at the end: no loose file per
 * blob, and nothing left for the packer to read, inflate and deflate
 * again (session 11). Later session starts write loose objects.
 *
 * Nothing is served before the baseline is done: gfs_store_baseline_end
 * waits until every writer has installed its last pack and returns the
 * first error, and session_start commits only then, so the session's
 * first commit never names a blob the store does not hold, and a blob
 * the store could not write fails the mount (P5). The same content twice
 * in the folder may land in two writers' packs: git reads either copy.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <git2/sys/odb_backend.h>

#include "store_internal.h"

/* Bytes of blobs waiting for a writer before the reader waits too. */
#define BASELINE_QUEUED_MAX  (4u << 20)
#define BASELINE_WRITERS_MAX 4
/*
 * Buffers written out come back to a pool the reader takes from, up to
 * these many and bytes, each at most POOL_BUF_MAX (larger ones are
 * mappings of their own, freed). Freed to malloc instead, each file's
 * buffer left a hole in the heap that the picture's nodes, allocated
 * meanwhile, then scattered through: 50 MiB of the kernel tree's heap
 * stayed resident after the mount.
 */
#define POOL_BUFS    256
#define POOL_BYTES   (8u << 20)
#define POOL_BUF_MAX (1u << 20)

struct baseline_blob {
	struct baseline_blob *next;
	git_oid oid;
	struct gfs_buf data;
};

struct gfs_store_baseline {
	pthread_mutex_t lock;
	pthread_cond_t work; /* a blob queued, or the end */
	pthread_cond_t room; /* queued bytes went down */
	struct baseline_blob *head, *tail;
	size_t queued;
	bool ending;
	int error;	 /* the first write that failed, -errno */
	unsigned packs;	 /* packs installed */
	bool into_packs; /* else loose objects */
	struct gfs_buf pool[POOL_BUFS];
	unsigned pool_len;
	size_t pool_bytes;
	pthread_t threads[BASELINE_WRITERS_MAX];
	unsigned nthreads;
	char objects[4096];
};

/* Keeps data's buffer for the reader, or frees it. Under b->lock. */
static void pool_put(struct gfs_store_baseline *b, struct gfs_buf *data)
{
	if (data->data && data->cap <= POOL_BUF_MAX &&
	    b->pool_len < POOL_BUFS &&
	    b->pool_bytes + data->cap <= POOL_BYTES) {
		b->pool_bytes += data->cap;
		b->pool[b->pool_len++] = *data;
	} else {
		gfs_buf_release(data);
	}
	*data = (struct gfs_buf)GFS_BUF_INIT;
}

void gfs_store_baseline_take(struct gfs_store *s, struct gfs_buf *out)
{
	struct gfs_store_baseline *b = s->baseline;

	*out = (struct gfs_buf)GFS_BUF_INIT;
	pthread_mutex_lock(&b->lock);
	if (b->pool_len) {
		*out = b->pool[--b->pool_len];
		b->pool_bytes -= out->cap;
		out->len = 0;
	}
	pthread_mutex_unlock(&b->lock);
}

void gfs_store_baseline_give(struct gfs_store *s, struct gfs_buf *data)
{
	struct gfs_store_baseline *b = s->baseline;

	pthread_mutex_lock(&b->lock);
	pool_put(b, data);
	pthread_mutex_unlock(&b->lock);
}

/* Where one writer puts its blobs: a pack of its own, or loose objects. */
struct writer_sink {
	struct gfs_store_packout pack;
	git_odb_backend *loose;
};

static int sink_open(struct writer_sink *w, const struct gfs_store_baseline *b)
{
	memset(w, 0, sizeof(*w));
	w->pack.fd = -1;
	if (b->into_packs)
		return gfs_store_packout_init(&w->pack, b->objects);
	if (git_odb_backend_loose(&w->loose, b->objects,
				  GFS_STORE_LOOSE_ZLIB_LEVEL, 0, 0, 0))
		return gfs_store_git_error("open the store's objects");
	return 0;
}

/* Writes a blob, installing the writer's pack when it is full. */
static int sink_put(struct writer_sink *w, const struct baseline_blob *blob)
{
	const void *data = blob->data.data ? blob->data.data : "";
	int rc = 0;

	if (w->loose)
		return w->loose->write(w->loose, &blob->oid, data,
				       blob->data.len, GIT_OBJECT_BLOB)
			       ? gfs_store_git_error("write blob")
			       : 0;
	if (gfs_store_packout_full(&w->pack))
		rc = gfs_store_packout_finish(&w->pack);
	if (!rc)
		rc = gfs_store_packout_add(&w->pack, &blob->oid,
					   GIT_OBJECT_BLOB, data,
					   blob->data.len);
	return rc;
}

/*
 * Installs the last pack when ok, then frees the sink: 0 or -errno, and
 * the packs it installed in all.
 */
static int sink_close(struct writer_sink *w, bool ok, unsigned *packs)
{
	int rc = 0;

	if (w->loose)
		w->loose->free(w->loose);
	else if (ok)
		rc = gfs_store_packout_finish(&w->pack);
	*packs = w->pack.packs;
	gfs_store_packout_release(&w->pack);
	return rc;
}

static void *writer_main(void *arg)
{
	struct gfs_store_baseline *b = arg;
	struct writer_sink w;
	unsigned packs;
	int rc, rc2;

	pthread_setname_np(pthread_self(), "gfs-baseline");
	rc = sink_open(&w, b);
	pthread_mutex_lock(&b->lock);
	for (;;) {
		struct baseline_blob *blob;

		if (rc && !b->error)
			b->error = rc;
		while (!b->head && !b->ending)
			pthread_cond_wait(&b->work, &b->lock);
		blob = b->head;
		if (!blob)
			break;
		b->head = blob->next;
		if (!b->head)
			b->tail = NULL;
		pthread_mutex_unlock(&b->lock);
		/* after a failure the rest is only dropped: the mount fails */
		if (!rc)
			rc = sink_put(&w, blob);
		pthread_mutex_lock(&b->lock);
		b->queued -= blob->data.cap;
		pthread_cond_signal(&b->room);
		pool_put(b, &blob->data);
		free(blob);
	}
	pthread_mutex_unlock(&b->lock);
	/* the last pack is in the store before the writer counts as done */
	rc2 = sink_close(&w, !rc, &packs);
	if (!rc)
		rc = rc2;
	if (rc)
		gfs_store_log("write the baseline's blobs", rc);
	pthread_mutex_lock(&b->lock);
	if (rc && !b->error)
		b->error = rc;
	b->packs += packs;
	pthread_mutex_unlock(&b->lock);
	return NULL;
}

int gfs_store_baseline_begin(struct gfs_store *s)
{
	struct gfs_store_baseline *b = calloc(1, sizeof(*b));
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned want, i;

	if (!b)
		return -ENOMEM;
	want = cpus < 1			     ? 1
	       : cpus > BASELINE_WRITERS_MAX ? BASELINE_WRITERS_MAX
					     : (unsigned)cpus;
	snprintf(b->objects, sizeof(b->objects), "%s/objects", s->store_path);
	/*
	 * Packs for a first mount only: a later session start writes the
	 * few files changed while unmounted, and a pack of a few objects at
	 * every start would leave the store with ever more packs, which the
	 * packer never joins and every lookup goes through. Loose, they join
	 * the packer's next pack.
	 */
	b->into_packs = !s->have_head;
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->work, NULL);
	pthread_cond_init(&b->room, NULL);
	for (i = 0; i < want; i++) {
		if (pthread_create(&b->threads[i], NULL, writer_main, b))
			break;
		b->nthreads++;
	}
	s->baseline = b;
	if (!b->nthreads) {
		/* no thread to hand blobs to: the reader writes them */
		gfs_store_baseline_end(s);
		return -EAGAIN;
	}
	return 0;
}

int gfs_store_baseline_write(struct gfs_store *s, const git_oid *oid,
			     struct gfs_buf *data)
{
	struct gfs_store_baseline *b = s->baseline;
	struct baseline_blob *blob = malloc(sizeof(*blob));
	int rc;

	if (!blob)
		return -ENOMEM;
	git_oid_cpy(&blob->oid, oid);
	blob->next = NULL;
	/* the blob owns the bytes now */
	blob->data = *data;
	*data = (struct gfs_buf)GFS_BUF_INIT;
	pthread_mutex_lock(&b->lock);
	while (b->queued && b->queued + blob->data.cap > BASELINE_QUEUED_MAX &&
	       !b->error)
		pthread_cond_wait(&b->room, &b->lock);
	rc = b->error;
	if (!rc) {
		if (b->tail)
			b->tail->next = blob;
		else
			b->head = blob;
		b->tail = blob;
		b->queued += blob->data.cap;
		pthread_cond_signal(&b->work);
	} else {
		pool_put(b, &blob->data);
		free(blob);
	}
	pthread_mutex_unlock(&b->lock);
	return rc;
}

int gfs_store_baseline_end(struct gfs_store *s)
{
	struct gfs_store_baseline *b = s->baseline;
	unsigned i;
	int rc;

	if (!b)
		return 0;
	pthread_mutex_lock(&b->lock);
	b->ending = true;
	pthread_cond_broadcast(&b->work);
	pthread_mutex_unlock(&b->lock);
	for (i = 0; i < b->nthreads; i++)
		pthread_join(b->threads[i], NULL);
	rc = b->error;
	/* the store's handle looks for packs only when it misses an object */
	if (b->packs && git_odb_refresh(s->odb) && !rc)
		rc = gfs_store_git_error("read the baseline's packs");
	/* left only when every writer failed to start */
	while (b->head) {
		struct baseline_blob *blob = b->head;

		b->head = blob->next;
		gfs_buf_release(&blob->data);
		free(blob);
		if (!rc)
			rc = -EIO;
	}
	while (b->pool_len)
		gfs_buf_release(&b->pool[--b->pool_len]);
	pthread_mutex_destroy(&b->lock);
	pthread_cond_destroy(&b->work);
	pthread_cond_destroy(&b->room);
	free(b);
	s->baseline = NULL;
	return rc;
}
