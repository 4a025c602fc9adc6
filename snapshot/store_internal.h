#ifndef GUARDFS_STORE_INTERNAL_H
#define GUARDFS_STORE_INTERNAL_H

/* Shared by the files of snapshot/ only. */

#include <git2.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>
#include <zlib.h>

#include "guardfs/buf.h"
#include "guardfs/store.h"
#include "store_prefetch.h"

/* Internal operations listed in commits besides enum gfs_op_kind. */
#define GFS_STORE_OP_PREIMAGE 100 /* content found before a mutation */
#define GFS_STORE_OP_SESSION  101 /* session start (and its baseline) */
/* Queue markers, never listed: a restore's bracket (gfs_store_group_*). */
#define GFS_STORE_MARK_GROUP_BEGIN (-2)
#define GFS_STORE_MARK_GROUP_END   (-3)

/*
 * One path the store knows: the folder as of the last processed job.
 *
 * Files and symlinks carry the stat they had when their content was read,
 * plus an xxh3 of that content, so that an unchanged stat means "held"
 * and a changed stat with the same xxh3 means "held, refresh the stat".
 * racy is set when the content was read within the same step of the
 * filesystem's clock as its mtime or ctime (a tick of the kernel's coarse
 * clock, or a whole second on a filesystem that keeps seconds): a later
 * write in that step would keep the stat, so such an entry is only
 * trusted after rehashing.
 *
 * Directories hold their children sorted by strcmp() of name, and the oid
 * of their tree while clean. An unrecorded node (a file larger than
 * max_file_size) keeps its stat but is left out of trees.
 *
 * A version that a before() relied upon must reach a commit before the
 * worker replaces it: relied marks it, and changed_gen == commit_gen
 * says it (or something below it) is not committed yet. Every other
 * change may share a commit with its neighbours.
 *
 * Nodes belong to the worker, which changes them under gfs_store.tree_lock
 * held for writing; before() reads them under it held for reading.
 */
struct gfs_store_node {
	char *name;
	uint32_t git_mode; /* 040000, 0100644, 0100755, 0120000 */
	bool dirty;	   /* directory: tree oid is stale */
	bool racy;
	bool unrecorded; /* too large: not in trees */
	bool spilled;	 /* unrecorded, and this stat's content is kept */
	bool seen;	 /* scratch flag of a directory scan */
	bool relied;	 /* a before() let a mutation rely on this version */
	bool chunked; /* oid is a manifest, chunks its tree (store_chunks.c) */
	uint64_t changed_gen; /* commit_gen when last changed */
	git_oid oid;
	/*
	 * A large file's chunk tree: its content when chunked, else (left
	 * out of the first commit) the chunks its last version had, which
	 * its next reading may keep. Zero: none.
	 */
	git_oid chunks;
	uint64_t size;
	int64_t mtime_ns;
	int64_t ctime_ns;
	uint64_t ino;
	uint64_t xxh;
	struct gfs_store_node **children;
	size_t nchildren;
	size_t children_cap;
};

/* One operation waiting in a batch for its commit. */
struct gfs_store_batch_op {
	int op; /* enum gfs_op_kind or GFS_STORE_OP_* */
	char *path;
	char *from;
	pid_t pid;
	char *process;
	char *action;	    /* its action's label (Guardfs-Action), or NULL */
	uint64_t action_id; /* its action (Guardfs-Action-Id), 0: none */
	uint64_t sandbox;   /* gfs_store_event.sandbox */
	uint64_t seq;
	uint64_t ino;	/* gfs_store_event.ino */
	bool sole_name; /* gfs_store_event.sole_name */
};

/*
 * A queued job: an after() event, or a before() capture that a request
 * thread waits for (capture jobs live on the waiter's stack).
 */
struct gfs_store_job {
	struct gfs_store_job *next;
	bool capture;
	bool coalesced; /* a later queued job reads the same path */
	unsigned flags; /* capture: enum gfs_store_before_flags */
	struct gfs_store_batch_op ev;
	char *spill; /* preimage job: the copy set aside, to ingest */
	int result;  /* capture */
	bool done;   /* capture */
};

/*
 * A commit that waits for an earlier preimage (store_ingest.c): made by
 * the worker while a large file it set aside is still being ingested,
 * its tree is written but its commit object waits, so that history keeps
 * the preimage first. A preimage entry holds the tree its file joins.
 */
struct gfs_store_held {
	struct gfs_store_held *next;
	struct gfs_store_held *lane_next; /* the ingest lane's queue */
	git_oid tree;
	char *message;
	git_time when;
	/* a preimage: the copy set aside, and where its file goes */
	char *spill;
	char *path;
	uint32_t mode;
	uint64_t size; /* of the copy, as handed to the lane */
	bool ingested; /* under queue_lock: the lane set rc and blob */
	int rc;
	git_oid blob;	/* its manifest (store_chunks.c) */
	git_oid chunks; /* and its chunk tree */
	/* the chunks of the version the store held before, if any */
	git_oid prev;
	bool has_prev;
};

/*
 * Path -> number of queued jobs naming it and the last one's seq; and
 * the newest queued link from it: its seq and the name it made.
 */
struct gfs_store_pending {
	struct gfs_store_pending *next;
	char *path;
	unsigned count;
	uint64_t last_seq;
	uint64_t link_seq;
	char *link_to;
};

/* Zlib level of loose objects: speed now, the packer compresses later. */
#define GFS_STORE_LOOSE_ZLIB_LEVEL 1

/*
 * store_loose.c: the worker's small objects, deflated whole by libdeflate
 * and linked into objects/xx from a file without a name.
 */
struct gfs_loose {
	pthread_mutex_t lock;
	bool ready;	  /* gfs_loose_init ran */
	char *objects;	  /* STORE/objects */
	bool unsupported; /* no O_TMPFILE or /proc: libgit2 writes */
	uint64_t dirs[4]; /* objects/xx known to exist */
	struct libdeflate_compressor *deflate;
	unsigned char *in, *out; /* the object as git hashes it; deflated */
	size_t in_cap, out_cap;
};
/* A writer that cannot start (no memory, no /proc) is unsupported. */
void gfs_loose_init(struct gfs_loose *l, const char *objects_dir);
void gfs_loose_release(struct gfs_loose *l);
/*
 * Writes the object oid names (hashed by the caller). -EOPNOTSUPP: not
 * on this file system; -E2BIG: over 1 MiB; the caller's libgit2 then.
 */
int gfs_loose_write(struct gfs_loose *l, const git_oid *oid, const void *data,
		    size_t len, git_object_t type);

#define GFS_STORE_PENDING_BUCKETS 4096
#define GFS_STORE_BATCH_MAX	  1024 /* outside a group */
/* Jobs a napping worker lets wait before it is woken (store.c). */
#define GFS_STORE_NAP_JOBS 64

/*
 * Lock order: queue_lock, then tree_lock. The worker never holds
 * queue_lock while doing I/O.
 */
struct gfs_store {
	struct gfs_store_opts opts;
	char *store_path;
	char *objects_dir; /* STORE/objects */
	char *session;
	char *spill_dir;
	int lock_fd;	   /* flock of STORE/guardfs.lock */
	int journal_fd;	   /* STORE/guardfs-journal, O_APPEND */
	bool journal_used; /* records since the last commit */
	/* the folder as found: entries read, and when last told (progress) */
	bool reading_baseline;
	/* the session's first commit is reading the folder (store_scan.c) */
	bool session_scan;
	uint64_t baseline_entries;
	/* the first baseline's blob writers (store_baseline.c), or NULL */
	struct gfs_store_baseline *baseline;
	/* the first baseline's read-ahead (store_prefetch.c), or NULL */
	struct gfs_store_prefetch *prefetch;
	struct timespec progress_told;

	/* worker-owned libgit2 state */
	git_repository *repo;
	git_odb *odb;
	git_odb_backend *loose;	      /* the odb's, written to directly */
	struct gfs_loose loose_whole; /* what gfs_store_odb_write writes */
	git_oid head;		      /* zero before the first commit */
	git_oid head_tree;
	bool ref_stale;	  /* the branch lags head (see will_change) */
	int64_t retry_at; /* worker: monotonic ns of the next commit try */
	bool have_head;
	struct gfs_store_node *root;
	struct gfs_store_batch_op *batch;
	size_t batch_len;
	size_t batch_cap;
	/*
	 * A restore in progress: its operations share one commit, named
	 * group_label, and neither age nor size commits the batch early.
	 */
	char *group_label;
	pid_t group_pid; /* the restoring process; its death ends the group */
	struct timespec batch_start;
	uint64_t commits;

	pthread_rwlock_t tree_lock;

	pthread_mutex_t queue_lock;
	pthread_cond_t queue_cond; /* work for the worker */
	pthread_cond_t done_cond;  /* progress for waiters */
	struct gfs_store_job *captures;
	struct gfs_store_job *queue_head;
	struct gfs_store_job *queue_tail;
	size_t queue_len;
	/*
	 * The worker naps between the jobs of a burst (store.c): a job
	 * queued meanwhile does not wake it, unless GFS_STORE_NAP_JOBS are
	 * waiting. Anyone who waits for the worker wakes it.
	 */
	bool worker_napping;
	struct gfs_store_pending *pending[GFS_STORE_PENDING_BUCKETS];
	uint64_t next_seq;
	uint64_t done_seq;
	uint64_t flush_req;
	uint64_t flush_done;
	bool stopping;
	bool broken; /* the last commit failed: the store lags the folder */
	/* monotonic ns of the last retry a before() asked for (store.c) */
	_Atomic int64_t forced_retry_at;
	/* gfs_store_stats */
	_Atomic uint64_t stat_waits;
	_Atomic uint64_t stat_captures;
	_Atomic uint64_t stat_linked_away; /* before()s a queued link spared */
	_Atomic uint64_t stat_wait_ns;
	_Atomic uint64_t actions; /* the highest action number handed out */
	uint64_t commit_gen;	  /* worker: bumped by every commit */
	const char *job_paths[2]; /* worker: the job being applied */
	uint64_t spill_count;
	pthread_t worker;
	bool worker_started;

	/* commits waiting behind a preimage, oldest first (worker-owned) */
	struct gfs_store_held *held_head;
	struct gfs_store_held *held_tail;
	/* the ingest lane: its thread and its queue (under queue_lock) */
	pthread_t lane;
	bool lane_started;
	bool lane_stopping;
	pthread_cond_t lane_cond;
	struct gfs_store_held *lane_head;
	struct gfs_store_held *lane_tail;
	git_odb *lane_odb; /* its own handle (gfs_store_odb_open_second) */
	git_odb_backend *lane_loose; /* lane_odb's loose backend */
	struct gfs_loose lane_whole; /* the lane's (store_loose.c) */
	/* bytes handed to the lane and not done, and read of the current */
	_Atomic uint64_t lane_queued;
	_Atomic uint64_t lane_read;
	/* the same for the large file the worker is reading (store_scan.c) */
	_Atomic uint64_t chunks_size;
	_Atomic uint64_t chunks_read;

	/* background packing, with its own repository handle */
	pthread_t packer;
	bool packer_started;
	pthread_mutex_t pack_lock;
	pthread_cond_t pack_cond;
	uint64_t loose_written;	 /* objects written since the last pack */
	int64_t pack_last_write; /* monotonic ns of the last object */
	bool pack_requested;
	bool pack_stopping;
	bool pack_abort; /* atomic: a pass in progress is abandoned */
	uint64_t packs_made;
	bool pack_damage_told; /* a damaged loose object was reported */
};

/*
 * STORE/guardfs-index (store_index.c): the magic, then per file a
 * uint16_t path length, the path, and this record (host byte order).
 * guardfs check reads it too.
 */
#define GFS_STORE_INDEX_MAGIC "GFSIDX1\n"
struct gfs_store_index_record {
	uint32_t git_mode;
	uint8_t racy;
	uint8_t oid[GIT_OID_RAWSZ];
	uint64_t size;
	int64_t mtime_ns;
	int64_t ctime_ns;
	uint64_t ino;
	uint64_t xxh;
} __attribute__((packed));

/* store.c */
void gfs_store_log(const char *what, int rc);
/* Bounds libgit2's pack mappings and object cache (process-wide). */
void gfs_store_memory_limits(void);
int gfs_store_git_error(const char *what);

/* store_pack.c: the packer's settings in the store's config. */
int gfs_store_pack_configure(git_repository *repo);

/* store_odb.c: the object database, and writes that skip a pack rescan. */
int gfs_store_odb_open(struct gfs_store *s);
int gfs_store_odb_open_second(const struct gfs_store *s, git_odb **out,
			      git_odb_backend **loose);

/* store_stored.c: loose objects stored (zlib level 0), for bytes that
 * would not shrink. */
bool gfs_store_incompressible(const void *data, size_t len);
int gfs_stored_write(const char *objects, const git_oid *oid, const void *data,
		     size_t len, git_object_t type);
/* An odb that only writes, as streams, stored objects: those that known
 * lacks. */
int gfs_store_odb_open_stored(const struct gfs_store *s, git_odb *known,
			      git_odb **out);
/*
 * Writes an object no backend of odb holds (oid hashed by the caller):
 * whole (store_loose.c), else through the loose backend, else through
 * git_odb_write. whole and loose may be NULL. -EIO.
 */
int gfs_store_write_absent(struct gfs_loose *whole, git_odb_backend *loose,
			   git_odb *odb, git_oid *oid, const void *data,
			   size_t len, git_object_t type);
int gfs_store_odb_write(struct gfs_store *s, git_oid *out, const void *data,
			size_t len, git_object_t type);
int gfs_store_odb_commit(struct gfs_store *s, git_oid *out,
			 const git_signature *sig, const git_oid *tree,
			 const git_oid *parent, const char *message);

/* store_tree.c */
#define GFS_STORE_NAME_SUFFIX "~guardfs"
bool gfs_store_name_needs_suffix(const char *name, size_t len);
size_t gfs_store_name_decoded_len(const char *name, size_t len);
struct gfs_store_node *gfs_store_node_new(const char *name, size_t len);
void gfs_store_node_free(struct gfs_store_node *n);
struct gfs_store_node *gfs_store_node_child(const struct gfs_store_node *dir,
					    const char *name, size_t len);
int gfs_store_node_insert(struct gfs_store_node *dir,
			  struct gfs_store_node *child);
void gfs_store_node_remove(struct gfs_store_node *dir, const char *name);
struct gfs_store_node *gfs_store_node_lookup(struct gfs_store_node *root,
					     const char *path);
int gfs_store_tree_load(struct gfs_store *s, const git_oid *tree_oid);
int gfs_store_tree_write(struct gfs_store *s, git_oid *out);

bool gfs_store_excluded(const struct gfs_store *s, const char *path,
			bool is_dir);
int gfs_store_refresh(struct gfs_store *s, const char *path, bool *changed);
/*
 * Records that path is gone without reading the folder: the job of an
 * unlink or rmdir that succeeded, whose result the folder can only have
 * changed since through operations queued after it.
 */
int gfs_store_forget(struct gfs_store *s, const char *path, bool *changed);
/* Counts one entry of the folder as found (store.c, for opts.progress). */
void gfs_store_baseline_entry(struct gfs_store *s);
int gfs_store_preimage_check(struct gfs_store *s, const char *path,
			     unsigned flags, struct stat *seen);
int gfs_store_stream_blob(struct gfs_store *s, git_odb *odb, int fd,
			  uint64_t size, git_oid *oid, uint64_t *xxh,
			  _Atomic uint64_t *read_bytes);
int gfs_store_set_blob(struct gfs_store *s, const char *path, uint32_t git_mode,
		       const git_oid *oid, const git_oid *chunks,
		       bool *changed);

/*
 * openat for reading a file of the folder without touching its access
 * time (O_NOATIME, where the daemon may: the file's owner or root): the
 * store's reads are no access of the user's, and a program that set a
 * file's times must read them back as it set them. -1 and errno.
 */
int gfs_store_open_quietly(int dirfd, const char *name, int flags);

/*
 * store_chunks.c: files over max_file_size stored in fixed chunks (the
 * layout is described there). Also read by history, for restores.
 */
#define GFS_CHUNK_BYTES	  (512u << 10)
#define GFS_CHUNKS_SUFFIX "~guardfs-chunks"
#define GFS_CHUNKS_MAGIC  "guardfs chunked file 1\n"
struct gfs_chunks_result {
	git_oid manifest; /* the blob at the file's name */
	git_oid tree;	  /* the chunks, at NAME~guardfs-chunks */
	uint64_t xxh;	  /* xxh3 of the whole file */
	unsigned written; /* objects the store did not have */
};
/* Whether data begins with the manifest's first line. */
bool gfs_chunks_magic(const void *data, size_t len);
/* Whether a stored name (len bytes) is a chunk tree's. */
bool gfs_chunks_dir_name(const char *name, size_t len);
/* Whether a component of a stored path is a chunk tree's. */
bool gfs_chunks_in_path(const char *path);
/* A manifest's size and tree: 0, or -EINVAL when data is none. */
int gfs_chunks_parse(const void *data, size_t len, uint64_t *size,
		     git_oid *tree);
/* 1 and the manifest's size and tree when blob is one, 0 if not, -errno. */
int gfs_chunks_of_blob(git_odb *odb, const git_oid *blob, uint64_t *size,
		       git_oid *tree);
/*
 * Stores size bytes, read from fd (pread) or from mem when not NULL, in
 * chunks; the chunks of prev_tree (the previous version, or NULL) whose
 * xxh3 match are kept without being hashed again. -EAGAIN when the file
 * shrank while read.
 */
struct gfs_chunks_odb {
	git_odb *odb;		/* looked up in (loose and packed objects) */
	git_odb_backend *loose; /* written to directly, or NULL */
	/* its objects directory: chunks that do not compress are written
	 * there stored (zlib level 0); NULL: through the backend */
	const char *objects;
	/* the calling thread's whole-object writer, or NULL */
	struct gfs_loose *whole;
};
int gfs_chunks_write(struct gfs_chunks_odb *to, int fd, const void *mem,
		     uint64_t size, const git_oid *prev_tree,
		     struct gfs_chunks_result *out,
		     _Atomic uint64_t *read_bytes);
/* Calls cb with each chunk's index, xxh3 and blob; stops at a non-0. */
int gfs_chunks_each(git_odb *odb, const git_oid *tree,
		    int (*cb)(void *arg, uint64_t index, uint64_t xxh,
			      const git_oid *id),
		    void *arg);
/* 1 when fd holds the size bytes that tree holds (by xxh3), 0, -errno. */
int gfs_chunks_match(git_odb *odb, const git_oid *tree, uint64_t size, int fd);
/* Calls cb with each chunk of tree in order; stops at its first non-0. */
int gfs_chunks_read(git_odb *odb, const git_oid *tree,
		    int (*cb)(void *arg, const void *data, size_t len),
		    void *arg);

/* store_links.c */
/* lstat of path beneath the folder, never through a link. 0 or -errno. */
int gfs_store_stat_beneath(const struct gfs_store *s, const char *path,
			   struct stat *st);
/*
 * Whether the bytes of path (st: its lstat, as before() saw it) stay
 * under another name when path's name goes: a job still queued linked
 * it there, and that name still holds the same file and is recorded.
 * The job then records the bytes, and before() need not wait for the
 * worker.
 */
bool gfs_store_linked_away(struct gfs_store *s, const char *path,
			   const struct stat *st);
/*
 * After ev changed a file (write, truncate, chmod...), refreshes and lists
 * every other name the picture holds for its inode. Worker, tree_lock held.
 */
int gfs_store_refresh_links(struct gfs_store *s,
			    const struct gfs_store_batch_op *ev);

/* store_index.c */
int gfs_store_index_load(struct gfs_store *s);
int gfs_store_index_save(struct gfs_store *s);

/* store_journal.c */
int gfs_store_journal_open(struct gfs_store *s);
void gfs_store_journal_add(struct gfs_store *s, const char *path,
			   const struct gfs_store_node *n);
void gfs_store_journal_clear(struct gfs_store *s);
int gfs_store_journal_recover(struct gfs_store *s);

/* store_baseline.c */
/*
 * Starts threads that write the session start's new blobs; -errno when
 * none could start (the reader then writes them itself).
 */
int gfs_store_baseline_begin(struct gfs_store *s);
/*
 * Hands the blob oid, whose bytes data holds, to a writer: takes data's
 * buffer (data is left empty). The first writer error so far, or 0.
 */
int gfs_store_baseline_write(struct gfs_store *s, const git_oid *oid,
			     struct gfs_buf *data);
/* A buffer for the next file's bytes, from those written out (or empty). */
void gfs_store_baseline_take(struct gfs_store *s, struct gfs_buf *out);
/* Gives a buffer taken and not handed over back (data is left empty). */
void gfs_store_baseline_give(struct gfs_store *s, struct gfs_buf *data);
/* Waits until every blob handed over is written: the first error, or 0. */
int gfs_store_baseline_end(struct gfs_store *s);

/*
 * store_packout.c: a pack written from objects in memory (the first
 * baseline's blobs, the packer's loose objects), with its index. One
 * thread uses one at a time.
 */
/* Objects per pack: libgit2's records of a pack it reads stay small. */
#define GFS_STORE_PACK_OBJECTS_MAX 16384
/* The baseline's zlib level: the first mount waits for every deflate. */
#define GFS_STORE_BASELINE_ZLIB_LEVEL 1
struct gfs_store_packout_entry;
struct gfs_store_packout {
	char objects[4096]; /* STORE/objects */
	char tmp[4200];	    /* the pack being written, when fd >= 0 */
	int fd;
	uint64_t offset;    /* its length so far, gathered bytes included */
	unsigned char *out; /* bytes gathered for the next write */
	size_t out_len;
	struct gfs_store_packout_entry *entries;
	uint32_t *slots; /* a set of the entries' ids: index + 1, 0 empty */
	uint32_t count;
	unsigned packs; /* packs installed */
	struct libdeflate_compressor *compressor;
	unsigned char *zbuf; /* one object's zlib stream */
	size_t zbuf_size;
};
int gfs_store_packout_init(struct gfs_store_packout *p, const char *objects);
/*
 * Appends an object to the pack in progress (one the pack holds already
 * is skipped); -ENOSPC when the pack is full (finish it first).
 */
int gfs_store_packout_add(struct gfs_store_packout *p, const git_oid *oid,
			  git_object_t type, const void *data, size_t len);
/* The same, the bytes stored, not deflated (they would not shrink). */
int gfs_store_packout_add_stored(struct gfs_store_packout *p,
				 const git_oid *oid, git_object_t type,
				 const void *data, size_t len);
bool gfs_store_packout_full(const struct gfs_store_packout *p);
/*
 * Installs the pack in progress and its index in objects/pack (nothing
 * when it is empty); on failure removes it. The next add starts another.
 */
int gfs_store_packout_finish(struct gfs_store_packout *p);
/* Removes a pack in progress and frees p's buffers. */
void gfs_store_packout_release(struct gfs_store_packout *p);

/* store_spill.c */
int gfs_store_spill_init(struct gfs_store *s);
int gfs_store_spill(struct gfs_store *s, const char *path, unsigned flags);
int gfs_store_spill_ingest_all(struct gfs_store *s);
int gfs_store_spill_read_meta(const char *data, uint32_t *mode,
			      struct gfs_buf *path);
void gfs_store_spill_remove(const char *data);

/* store_ingest.c */
int gfs_store_hold_preimage(struct gfs_store *s, struct gfs_store_job *job);
bool gfs_store_holding(const struct gfs_store *s);
int gfs_store_lane_chunks(struct gfs_store *s, const char *path, git_oid *tree);
int gfs_store_hold(struct gfs_store *s, const git_oid *tree,
		   const char *message, const git_time *when);
bool gfs_store_held_ready(struct gfs_store *s);
int gfs_store_held_flush(struct gfs_store *s);
void gfs_store_held_abandon(struct gfs_store *s);
void gfs_store_lane_stop(struct gfs_store *s);

/* store_queue.c */
int gfs_store_queue_spill(struct gfs_store *s, const char *path, char *spill);
struct gfs_store_pending *gfs_store_pending_find(struct gfs_store *s,
						 const char *p, size_t len);
void gfs_store_pending_drop(struct gfs_store *s, const char *p);
uint64_t gfs_store_pending_target(struct gfs_store *s, const char *path);
uint64_t gfs_store_pending_target_below(struct gfs_store *s, const char *path,
					uint64_t target);
void gfs_store_job_free(struct gfs_store_job *job);

/* store_commit.c */
int gfs_store_will_change(struct gfs_store *s, struct gfs_store_node *n);
void gfs_store_touched(struct gfs_store *s, struct gfs_store_node *n);
int gfs_store_batch_add(struct gfs_store *s,
			const struct gfs_store_batch_op *op);
int gfs_store_commit_batch(struct gfs_store *s);
void gfs_store_batch_clear(struct gfs_store *s);
int gfs_store_batch_message(const struct gfs_store *s, struct gfs_buf *m);
int gfs_store_move_ref(struct gfs_store *s);

/* store_pack.c */
/* Starts the packer; a backlog of loose objects is packed when quiet. */
int gfs_store_packer_start(struct gfs_store *s);
/*
 * Abandons a pack in progress, stops the packer, and packs what is left
 * within a short budget; the rest stays loose for the next session.
 */
void gfs_store_packer_stop(struct gfs_store *s);
/* Counts objects written loose; wakes the packer past a threshold. */
void gfs_store_packer_kick(struct gfs_store *s, unsigned objects);

#endif
