#ifndef GUARDFS_FS_INTERNAL_H
#define GUARDFS_FS_INTERNAL_H

/* Shared by the files of fs/ only. */

#define FUSE_USE_VERSION 312 /* fuse_session_loop_mt with a loop config */
#include <fuse_lowlevel.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "guardfs/ask.h"
#include "guardfs/audit.h"
#include "guardfs/breaker.h"
#include "guardfs/buf.h"
#include "guardfs/config.h"
#include "guardfs/control.h"
#include "guardfs/guards.h"
#include "guardfs/ignore.h"
#include "guardfs/policy.h"
#include "guardfs/scan.h"
#include "guardfs/store.h"
#include "guardfs/watch.h"

/*
 * One file or directory the kernel knows, keyed by (dev, ino).
 *
 * fd is an O_PATH descriptor: every operation on the inode or below it
 * goes through it with *at() calls, so no path string is ever resolved
 * against the real folder and nothing outside the root is reachable.
 *
 * parent and name give the path relative to the root, needed by the
 * policy, the audit trail and the store. They are the last name the
 * inode was looked up, created or renamed under; for a directory that is
 * its only name. A child holds a pin on its parent so the chain stays
 * valid while the child lives.
 *
 * The inode lives while nlookup (the kernel's references, dropped by
 * forget), pins (children, open handles) or holds (requests using fd)
 * are non-zero.
 *
 * The descriptors are a bounded cache (see inode.c): fd is -1 when it was
 * closed to stay within gfs_fs.fd_budget, and is valid only while the
 * inode is held (gfs_inode_hold; every request holds the inodes it names,
 * see scope.c). Holding an inode whose fd was closed opens it again by
 * its remembered name from its (held) parent's fd, O_PATH|O_NOFOLLOW, and
 * accepts it only if it is the same (dev, ino, type): anything else now
 * at that name answers ESTALE and is never followed.
 *
 * Lock order: gfs_fs.table_lock protects the hash chains, nlookup, pins,
 * holds, fd, the LRU links, parent and name of every inode. It is a leaf
 * lock: no syscall, no callback and no other lock is taken while holding
 * it.
 */
struct gfs_inode {
	int fd;
	dev_t dev;
	ino_t ino;
	mode_t type; /* S_IFMT bits, fixed for the inode's life */
	uint64_t nlookup;
	uint64_t pins;
	unsigned holds; /* requests using fd right now */
	bool on_lru;
	/*
	 * Its last name went (through the mount, or found as its fd was
	 * closed): the fd, if still open, stays; it is never reopened, and
	 * never found by (dev, ino), which a new file may reuse.
	 */
	bool gone;
	struct gfs_inode *parent;
	char *name;
	struct gfs_inode *hash_next;
	/* The descriptors that may be closed, least recently used first. */
	struct gfs_inode *lru_prev, *lru_next;
	/* Open handles by data path, under gfs_fs.pt.lock (passthrough.c). */
	int backing_id; /* the kernel's backing file while backing_users */
	unsigned backing_users;
	unsigned cached_users;
};

/* Kernel passthrough of file data, see passthrough.c. */
struct gfs_passthrough {
	bool wanted;  /* the config and our privileges allow it */
	bool offered; /* the kernel offered it at INIT */
	bool enabled; /* accepted in the INIT reply */
	bool failed;  /* registering a backing file was refused */
	uint64_t init_unique;
	int dev_fd;
	pthread_mutex_t lock; /* the open counts of inodes */
};

/* A file a freeze made immutable (freeze_files.c). */
struct gfs_frozen_file {
	int fd; /* its own descriptor: the handle may close first */
	dev_t dev;
	ino_t ino;
	char *path; /* its name at the freeze (messages, the record) */
};

/* The files open for kernel writes that a freeze stops (freeze_files.c). */
struct gfs_frozen_files {
	pthread_mutex_t lock;
	bool checked; /* the folder's filesystem checks the attribute */
	char *record; /* the list a killed daemon leaves for the next mount */
	struct gfs_frozen_file *v;
	size_t n, cap;
	size_t unstoppable; /* writers the last freeze could not stop */
};

/* The sampler of kernel writes' growth (kernel_writes.c). */
struct gfs_kernel_writes {
	pthread_mutex_t lock;
	pthread_cond_t wake; /* the stop */
	pthread_t thread;
	bool running;
	bool stop;
};

/* FUSE over io_uring, see uring.c. */
struct gfs_uring_worker;
struct gfs_uring {
	bool wanted;	     /* the config allows it */
	bool offered;	     /* the kernel offered it at INIT */
	bool enabled;	     /* every queue's workers started */
	atomic_bool refused; /* the kernel refused a worker's entry */
	atomic_bool stop;
	int nworkers;
	struct gfs_uring_worker *workers;
};

/* The largest write (and read) the kernel sends in one request. */
#define GFS_MAX_WRITE (1024 * 1024)
/* Buckets of the process groups that have an action (action.c). */
#define GFS_ACTION_BUCKETS 64

/* The state of one mount, shared by every request thread. */
struct gfs_fs {
	const struct gfs_config *cfg;
	struct gfs_inode root;
	char *mountpoint;
	struct fuse_session *session;
	int proc_self_fd; /* /proc/self/fd, to reopen O_PATH fds */

	pthread_mutex_t table_lock;
	struct gfs_inode **table;
	size_t table_size; /* buckets, a power of two */
	size_t table_count;
	/*
	 * Descriptors the inode table (O_PATH fds) and the open files
	 * together may hold, set below the descriptor limit so that the
	 * store, the audit trail, the control socket and a request's own
	 * short-lived descriptors always find one. Past it the least
	 * recently used O_PATH fd is closed; when none can be (all in use),
	 * a lookup, open or create fails cleanly with EMFILE, before
	 * anything changes on disk. 0: no limit.
	 */
	size_t fd_budget;
	size_t fd_cache_max; /* O_PATH fds kept at most, 0: fd_budget */
	size_t fds_open;     /* O_PATH fds the table holds (not the root's) */
	size_t handles;	     /* descriptors of open files (gfs_handle) */
	pthread_mutex_t handles_lock; /* a leaf lock: the list only */
	struct gfs_handle *open_handles;
	struct gfs_inode *lru_head, *lru_tail;
	size_t lru_count;		 /* fds that may be closed */
	atomic_uint_fast64_t fd_reopens; /* fds opened again by name */
	atomic_uint_fast64_t fd_stale;	 /* reopens that found another inode */
	/* The handlers, called by the request scope (scope.c). */
	struct fuse_lowlevel_ops inner_ops;

	struct gfs_guards guards;   /* read-only once mounted */
	struct gfs_ignore *exclude; /* [snapshot] exclude, or NULL */
	struct gfs_audit *audit;
	struct gfs_store *store; /* NULL when snapshots are off */

	struct gfs_passthrough pt;
	struct gfs_uring uring;

	double entry_timeout;
	double attr_timeout;

	/* New entries are made as their caller (caller.c). */
	bool create_as_caller; /* the daemon runs as root */

	/* The control socket, once served; its key guards group-begin. */
	_Atomic(struct gfs_control *) control;

	/* The process whose operations are a restore (see gfs_guard_group). */
	atomic_int group_pid;
	atomic_int group_handles; /* its files still open (release pending) */

	/* The agent's undo holding the mount (hold.c); 0: nobody. */
	atomic_int hold_pid;
	int hold_pidfd;	  /* the holder's pidfd, under hold_lock */
	int hold_waiting; /* requests waiting for its end, under hold_lock */
	pthread_mutex_t hold_lock;
	pthread_cond_t hold_ended;

	/* Actions (see action.c): running `guardfs exec` sandboxes, groups. */
	pthread_mutex_t action_lock; /* a leaf lock: the lists only */
	struct gfs_action *actions;
	atomic_int nactions;
	struct gfs_action *action_groups[GFS_ACTION_BUCKETS];
	_Atomic uint64_t action_ids; /* numbers when there is no store */
	pid_t self_pid; /* the daemon's own: its requests belong to no action */

	struct gfs_watch *watch; /* the live view's watchers (watch.c) */
	struct gfs_ask *ask;	 /* [ask]: the user decides (ask.c) */
	/* The breaker and the thread counting entries (freeze.c). */
	struct gfs_breaker *breaker;
	pthread_t freeze_counter;
	bool freeze_counting;
	atomic_bool freeze_stop;
	struct gfs_frozen_files frozen;
	struct gfs_kernel_writes kernel_writes;

	/* Counters for `guardfs status`. */
	atomic_uint_fast64_t ops;
	atomic_uint_fast64_t refusals;
	struct timespec started;

	/* Directory entries to drop from the kernel's cache (see rename). */
	pthread_mutex_t inval_lock;
	pthread_cond_t inval_cond;
	struct gfs_inval *inval_head;
	bool inval_stop;
	pthread_t inval_thread;
	bool inval_running;

	/*
	 * Held for reading by every rename, link and symlink, for writing by
	 * one whose checks read the folder (see gfs_move_check), so nothing
	 * moves into a subtree while it is being judged.
	 */
	pthread_rwlock_t move_lock;
};

/*
 * A handle's reads, judged again when its file changes (read_check.c).
 * armed: the daemon serves the reads, and the fields below are under
 * lock; kernel_reads: the kernel does (passthrough), they are under
 * gfs_fs.handles_lock and read_check.c's sampler is their only writer.
 */
struct gfs_read_check {
	bool armed;
	bool kernel_reads;
	bool refused; /* armed: reads fail; kernel_reads: reported */
	pthread_mutex_t lock;
	struct stat judged; /* the file when it was last judged clean */
};

/* An open file (directories are not opened, see ops_dir.c). */
struct gfs_handle {
	int fd;
	struct gfs_inode *inode; /* pinned */
	bool written;		 /* a write session: commit at release */
	int backing_id;		 /* > 0: data passes through the kernel */
	bool kernel_writes;	 /* passthrough, opened for writing */
	bool in_group;		 /* opened by a restore (group_handles) */
	pid_t pid;		 /* who opened it: release has no caller */
	uid_t uid;
	/*
	 * kernel_writes: the size counted for the breaker so far, under
	 * handles_lock (kernel_writes.c)
	 */
	off_t counted_size;
	char *path; /* the name it was opened by (audit) */
	/* the `guardfs exec` that opened it (see action.c), or NULL */
	struct gfs_action *action;
	struct gfs_read_check check;
	uint64_t serial; /* unique for the mount's life */
	/* every open handle, under gfs_fs.handles_lock (ops_file.c) */
	struct gfs_handle *prev, *next;
};

struct gfs_inval {
	fuse_ino_t parent; /* drop the entry name in parent, or */
	fuse_ino_t ino;	   /* (when not 0) what the kernel caches of ino */
	char *name;
	struct gfs_inval *next;
};

/* inode.c */
int gfs_inode_table_init(struct gfs_fs *fs, int root_fd);
void gfs_inode_table_release(struct gfs_fs *fs);
struct gfs_inode *gfs_inode_get(struct gfs_fs *fs, fuse_ino_t ino);
/*
 * Finds or creates the inode for fd/st under parent with name, takes one
 * lookup reference and records (parent, name). Takes ownership of fd
 * (closes it when the inode already exists). fd may be -1: the inode is
 * then opened by name when a request first holds it, as one whose fd the
 * budget closed. NULL with errno on failure.
 */
struct gfs_inode *gfs_inode_remember(struct gfs_fs *fs,
				     struct gfs_inode *parent, const char *name,
				     int fd, const struct stat *st);
void gfs_inode_forget(struct gfs_fs *fs, struct gfs_inode *inode, uint64_t n);
void gfs_inode_pin(struct gfs_fs *fs, struct gfs_inode *inode);
void gfs_inode_unpin(struct gfs_fs *fs, struct gfs_inode *inode);
/* Records that inode is now called name under parent (rename). */
void gfs_inode_rename(struct gfs_fs *fs, struct gfs_inode *inode,
		      struct gfs_inode *parent, const char *name);
/*
 * Whether the table has room for another inode and an open file within
 * fd_budget (closing unused O_PATH fds as needed): 0, or -EMFILE. Checked
 * before a create, so that a full table refuses it before the file
 * exists.
 */
int gfs_inode_room(struct gfs_fs *fs);
/*
 * Makes inode->fd valid until the matching gfs_inode_drop, opening it
 * again by name if it was closed (see struct gfs_inode). 0, -ESTALE when
 * the name now leads elsewhere or nowhere, -EMFILE, or -errno.
 */
int gfs_inode_hold(struct gfs_fs *fs, struct gfs_inode *inode);
void gfs_inode_drop(struct gfs_fs *fs, struct gfs_inode *inode);
/*
 * Counts one open file's descriptor against fd_budget before it is
 * opened (closing unused O_PATH fds to make room): 0 or -EMFILE.
 * gfs_inode_handle_end uncounts it when the file is closed.
 */
int gfs_inode_handle_begin(struct gfs_fs *fs);
void gfs_inode_handle_end(struct gfs_fs *fs);
/*
 * Adds the status lines of the descriptors: "descriptors" (O_PATH fds and
 * open files held now), "reopens" (fds opened again by name) and "stale"
 * (reopens that found another inode at the name, refused).
 */
int gfs_inode_status(struct gfs_fs *fs, struct gfs_buf *out);
/*
 * Notes that a name of the inode st describes (as it was before) was
 * removed through the mount; if that was its last, the inode is gone.
 */
void gfs_inode_unlinked(struct gfs_fs *fs, const struct stat *st);
/* Finds a known inode by (dev, ino) without taking a reference. */
struct gfs_inode *gfs_inode_find(struct gfs_fs *fs, dev_t dev, ino_t ino);
/*
 * The inode's last (parent, name): the parent comes pinned (unpin it) and
 * the name is a copy (free it). 0 or -ENOMEM.
 */
int gfs_inode_name(struct gfs_fs *fs, struct gfs_inode *inode,
		   struct gfs_inode **parent, char **name);
/* Appends inode's path relative to the root ("" for the root). */
int gfs_inode_path(struct gfs_fs *fs, struct gfs_inode *inode,
		   struct gfs_buf *out);
/* Appends the path of name under parent. */
int gfs_inode_child_path(struct gfs_fs *fs, struct gfs_inode *parent,
			 const char *name, struct gfs_buf *out);
/*
 * Calls visit for every known inode below dir (dir excluded) with its
 * path; used to find cached entries a directory rename newly hides.
 */
void gfs_inode_each_below(struct gfs_fs *fs, struct gfs_inode *dir,
			  void (*visit)(struct gfs_fs *fs,
					struct gfs_inode *inode,
					const char *path, void *arg),
			  void *arg);

/* caller.c: what gfs_caller_begin changed, for gfs_caller_end. */
struct gfs_caller {
	bool umask_set;
	bool ids_set;
	mode_t umask;
	uid_t fsuid;
	gid_t fsgid;
};

/* Records whether entries are made as their caller (the daemon is root). */
void gfs_caller_setup(struct gfs_fs *fs);
/*
 * Takes the caller's umask, and as root its fsuid, fsgid and groups, for
 * the thread's next system calls until gfs_caller_end. 0 or -errno (then
 * nothing is changed).
 */
int gfs_caller_begin(struct gfs_fs *fs, fuse_req_t req,
		     struct gfs_caller *saved);
void gfs_caller_end(struct gfs_fs *fs, struct gfs_caller *saved);

/*
 * op.c: every operation as one record (guardfs/op.h). A handler inits
 * the record, runs its own checks (setting rule on a refusal), calls
 * begin right before it changes the folder, sets done once it has, and
 * always ends the record, refused or not: end lists what happened in
 * the store, audits it and releases the record's action.
 */
void gfs_op_init(struct gfs_op *op, fuse_req_t req, enum gfs_op_kind kind);
/* For an operation with no request of its own (a release's write). */
void gfs_op_init_as(struct gfs_op *op, pid_t pid, uid_t uid,
		    enum gfs_op_kind kind);
/* Names the action op ran under (a reference end puts), not the caller's. */
void gfs_op_set_action(struct gfs_op *op, struct gfs_action *action);
/*
 * Before a mutation: the store's copy of what it may destroy. 0, or
 * -errno: the operation must not go ahead (P5).
 */
int gfs_op_begin(struct gfs_fs *fs, struct gfs_op *op);
/* Once it is over, with its result (0 or -errno): see above. */
void gfs_op_end(struct gfs_fs *fs, struct gfs_op *op, int result);
/*
 * The [ask] gate of an open or create: 0 when op's path is not asked
 * about, 1 when it is and the user allows it, or -EACCES with op->rule
 * set. May wait for the user (see guardfs/ask.h). Never called from a
 * lookup: the kernel holds the directory's lock across a lookup, so a
 * lookup waiting for the user would stall every other lookup there.
 */
int gfs_op_ask(struct gfs_fs *fs, struct gfs_op *op, bool is_dir);
/*
 * Asks the user about op whatever [ask] says, for the reason why (the
 * breaker: "would trip deletes_per_minute"), and waits: 0 allowed once,
 * 1 allowed always (the caller decides what that lifts), or -EACCES with
 * op->rule set (denied, no answer in time, or too many waiting).
 */
int gfs_op_ask_wait(struct gfs_fs *fs, struct gfs_op *op, const char *why);

/* guard.c: the checks every operation shares */
/*
 * Decides whether the entry name under parent (already fstat'ed into st)
 * is visible: not hidden by the policy, and not a symlink leading out of
 * the root. Returns 0, or -ENOENT and sets *rule.
 */
int gfs_guard_visible(struct gfs_fs *fs, struct gfs_inode *parent,
		      const char *path, const struct stat *st,
		      const char **rule);
/*
 * True when path, followed through every symlink as the kernel would,
 * leads outside the root (a loop does not: the kernel answers ELOOP).
 */
bool gfs_guard_escapes(struct gfs_fs *fs, const char *path);
/* The rule name audited for a symlink that leads outside the root. */
extern const char gfs_rule_escaping_symlink[];
/* The rule name audited for a move too large to judge (EXDEV). */
extern const char gfs_rule_move_unchecked[];
/*
 * The rule name audited for content holding a credential,
 * "secret:<rule>:line N", written into buf (returned).
 */
const char *gfs_rule_secret(const struct gfs_verdict *v, char *buf,
			    size_t size);
/* May a new entry be created at path (create, mkdir, rename to, ...)? */
int gfs_guard_may_create(struct gfs_fs *fs, const char *path, bool is_dir,
			 const char **rule);
/*
 * gfs_guard_may_create for an entry that brings a new inode (create,
 * mkdir, mknod, symlink): also -EMFILE when the inode table is full.
 */
int gfs_guard_may_add(struct gfs_fs *fs, const char *path, bool is_dir,
		      const char **rule);
/*
 * A create or rename that failed because of what already sits at name
 * (EEXIST, ENOTDIR, ...) must not reveal a hidden entry there: answers
 * EACCES, as for any hidden name, and sets *rule. Other results pass.
 */
int gfs_guard_mask_hidden(struct gfs_fs *fs, struct gfs_inode *parent,
			  const char *name, const char *path, int rc,
			  const char **rule);
/*
 * Begins (label set) or ends the restore group of process peer: what it
 * changes through the mount until then is one commit. Beginning takes the
 * control key (key, key_len) and a peer that gfs_peer_check passes.
 * Replies in out.
 */
int gfs_guard_group(struct gfs_fs *fs, const char *key, size_t key_len,
		    const char *label, pid_t peer, struct gfs_buf *out);
/*
 * Whether process pid runs this very program unaltered (same executable
 * inode, no loader variables, no tracer, no code mapped that this daemon
 * does not map). 0, or -EPERM with *why saying what failed.
 */
int gfs_peer_check(pid_t pid, const char **why);
/* Whether thread pid belongs to the restore of the current group. */
bool gfs_guard_in_group(struct gfs_fs *fs, pid_t pid);
/* Whether thread (as the kernel names a caller) is one of process's. */
bool gfs_same_process(pid_t process, pid_t thread);
/* Opens the inode's file with flags through /proc/self/fd. */
int gfs_guard_reopen(struct gfs_fs *fs, struct gfs_inode *inode, int flags);
/* Queues a kernel dentry invalidation, done off the request path. */
void gfs_guard_queue_inval(struct gfs_fs *fs, fuse_ino_t parent,
			   const char *name);
/* Queues dropping the kernel's cached data of ino (a symlink's target). */
void gfs_guard_queue_inval_inode(struct gfs_fs *fs, fuse_ino_t ino);
int gfs_guard_inval_start(struct gfs_fs *fs);
void gfs_guard_inval_stop(struct gfs_fs *fs);

/* action.c: what one command did */
struct gfs_action;
void gfs_action_init(struct gfs_fs *fs);
void gfs_action_release(struct gfs_fs *fs);
/*
 * The action process pid's operations belong to (a reference: put it),
 * or NULL (the daemon itself, an unknown pid). Per operation: a mutex and
 * a hash lookup; /proc is read once per process and per new action.
 */
struct gfs_action *gfs_action_of(struct gfs_fs *fs, pid_t pid);
void gfs_action_put(struct gfs_action *a);
/* The label (the command line), or NULL for no action. */
const char *gfs_action_label(const struct gfs_action *a);
/* Its sandbox's number in this mount session (Guardfs-Sandbox), or 0. */
uint64_t gfs_action_sandbox(const struct gfs_action *a);
/*
 * a's number (Guardfs-Action-Id), given on first use so that actions
 * that only read take none; 0 for no action.
 */
uint64_t gfs_action_id(struct gfs_fs *fs, struct gfs_action *a);
/*
 * "action-begin NS LABEL" (begin) and "action-end NS" from process peer
 * over the control socket; replies in out.
 */
int gfs_action_control(struct gfs_fs *fs, const char *args, bool begin,
		       pid_t peer, struct gfs_buf *out);

/* live.c: control verbs of the live view */
/* "watch KEY [denied]": streams events on the connection from now on. */
int gfs_live_watch(struct gfs_fs *fs, const char *args, struct gfs_buf *out);
/* "ask-answer KEY ID WORD", "ask-list KEY": answers need a genuine peer. */
int gfs_live_ask(struct gfs_fs *fs, const char *args, pid_t peer,
		 struct gfs_buf *out);
/* Tells the watchers about an operation that ended; one load when none. */
void gfs_live_publish(struct gfs_fs *fs, const struct gfs_op *op);
/* freeze.c: the breaker of this mount */
/* The rule audited for a mutation refused while frozen. */
extern const char gfs_rule_frozen[];
int gfs_freeze_start(struct gfs_fs *fs);
void gfs_freeze_stop(struct gfs_fs *fs);

/* hold.c: the agent's undo holds the mount (see there) */
extern const char gfs_rule_held[];
void gfs_hold_init(struct gfs_fs *fs);
void gfs_hold_release(struct gfs_fs *fs);
/*
 * From gfs_op_begin: while another process holds the mount, waits for
 * the hold to end; -EBUSY (op->rule set) past the bound, -EINTR when the
 * caller gave up.
 */
int gfs_hold_wait(struct gfs_fs *fs, struct gfs_op *op);
/* The process holding the mount now, or 0 (a dead holder's hold ends). */
pid_t gfs_hold_holder(struct gfs_fs *fs);
/* "hold-begin KEY" (begin) and "hold-end" from process peer. */
int gfs_hold_control(struct gfs_fs *fs, const char *args, bool begin,
		     pid_t peer, struct gfs_buf *out);

/* drain.c: the unmount's progress while the store records what is left */
struct gfs_drain;
struct gfs_drain *gfs_drain_report_start(struct gfs_store *s);
void gfs_drain_report_stop(struct gfs_drain *d);
/*
 * From gfs_op_begin: -EROFS (op->rule set) while frozen, or when this
 * delete or rename trips the breaker (audited and told at once); else 0.
 * One atomic load for an operation the breaker does not count.
 */
int gfs_freeze_begin(struct gfs_fs *fs, struct gfs_op *op);
/* From gfs_op_end: counts the entries an operation made. */
void gfs_freeze_end(struct gfs_fs *fs, const struct gfs_op *op, int result);
/*
 * The data path, which has no operation record: write, copy_file_range
 * and fallocate ask admit (0 or -EROFS); the bytes written are counted
 * as they land, or for a passthrough handle (whose writes the daemon
 * never sees) as its file grows (kernel_writes.c). pid, uid and path
 * name the writer if this trips the breaker.
 */
int gfs_freeze_write_admit(struct gfs_fs *fs);
void gfs_freeze_wrote(struct gfs_fs *fs, pid_t pid, uid_t uid, const char *path,
		      uint64_t bytes);
/*
 * "freeze KEY" (freeze true) and "unfreeze KEY" from process peer over
 * the control socket; replies in out.
 */
int gfs_freeze_control(struct gfs_fs *fs, const char *key, bool freeze,
		       pid_t peer, struct gfs_buf *out);
/* The breaker's lines of `guardfs status`. */
int gfs_freeze_status(struct gfs_fs *fs, struct gfs_buf *out);

/*
 * freeze_files.c: the files open for kernel writes at a freeze. init
 * (before mounting) takes the immutable attribute off what a killed
 * daemon left; sync makes the files follow the breaker (set at a freeze,
 * and for a writer opened in the race with one); thaw unfreezes the
 * breaker and takes the attribute off, in that order under one lock.
 */
int gfs_frozen_files_init(struct gfs_fs *fs);
void gfs_frozen_files_release(struct gfs_fs *fs);
void gfs_frozen_files_sync(struct gfs_fs *fs);
bool gfs_frozen_files_thaw(struct gfs_fs *fs);
/*
 * read_check.c: a handle whose reads the daemon serves is judged again
 * when its file changes. arm after the open's scan, with the file's stat
 * taken before that scan; gfs_read_check before serving a read: 0, or
 * -EACCES (audited once per handle) when the file now holds a credential.
 */
void gfs_read_check_arm(struct gfs_fs *fs, struct gfs_handle *h, int flags,
			const struct stat *judged);
/*
 * At the release: a kernel-read file's change since the sampler's last
 * look is judged (and reported) here.
 */
void gfs_read_check_disarm(struct gfs_fs *fs, struct gfs_handle *h);
int gfs_read_check(struct gfs_fs *fs, fuse_req_t req, struct gfs_handle *h);
/*
 * Once a second (from kernel_writes.c's thread): files open for kernel
 * reads that changed are scanned, and one that took a credential is
 * reported (audit alert, syslog, desktop) as possibly read.
 */
void gfs_kernel_reads_sample(struct gfs_fs *fs);

/*
 * kernel_writes.c: the growth of files open for kernel writes, counted
 * once a second while the breaker counts bytes. opened marks a handle
 * as one (and stops it if frozen meanwhile); closing counts the rest of
 * its growth, the file being size bytes at its release.
 */
int gfs_kernel_writes_start(struct gfs_fs *fs);
void gfs_kernel_writes_stop(struct gfs_fs *fs);
void gfs_kernel_writes_opened(struct gfs_fs *fs, struct gfs_handle *h);
void gfs_kernel_writes_closing(struct gfs_fs *fs, struct gfs_handle *h,
			       off_t size);
/* The writers stopped and those left writing since the freeze. */
void gfs_frozen_files_count(struct gfs_fs *fs, size_t *set,
			    size_t *unstoppable);

/* move.c: what a rename or link would expose */
struct gfs_move_verdict {
	char rule[128];	      /* the deciding rule of a refusal */
	struct gfs_buf below; /* the path (before the move) it judged */
	bool links_unchecked; /* too large to walk: symlinks not judged */
};
enum gfs_move_flags {
	/*
	 * The caller holds move_lock for writing. Without it, any check
	 * that reads the folder answers -EAGAIN instead: the caller then
	 * takes the lock for writing and asks again, so that nothing moves
	 * into the subtree while it is judged.
	 */
	GFS_MOVE_EXCLUSIVE = 1 << 0,
	/*
	 * A restore's own move of the bytes the store holds for the very
	 * path it writes: not judged against allow_path (it could write
	 * them there directly; a file pattern there need not match its
	 * temporary name).
	 */
	GFS_MOVE_RESTORE = 1 << 1,
};
/*
 * Judges moving the entry name under parent from path from to path to:
 * 0, -EACCES when something hidden, refused or inside would become
 * visible, readable or lead outside (out says which and by what rule),
 * -EXDEV when the subtree is too large to judge, -EAGAIN (see
 * GFS_MOVE_EXCLUSIVE), or -errno.
 */
int gfs_move_check(struct gfs_fs *fs, struct gfs_inode *parent,
		   const char *name, const char *from, const char *to,
		   unsigned flags, struct gfs_move_verdict *out);
/* The same for a new hard link at to of the inode known as from. */
int gfs_move_check_link(struct gfs_fs *fs, struct gfs_inode *inode,
			const char *from, const char *to, unsigned flags,
			struct gfs_move_verdict *out);

/* passthrough.c */
/* Installs the I/O hooks on the mounted session when wanted. */
int gfs_passthrough_setup(struct gfs_fs *fs, bool wanted);
/*
 * Counts an open of inode (fd is the daemon's) and picks its data path:
 * the inode's backing id (registered on first use) for passthrough, or
 * 0 for data through the daemon.
 */
int gfs_passthrough_acquire(struct gfs_fs *fs, struct gfs_inode *inode, int fd);
/* Uncounts an open that acquire answered backing_id. */
void gfs_passthrough_release(struct gfs_fs *fs, struct gfs_inode *inode,
			     int backing_id);
/* Whether new opens pass through (for status). */
bool gfs_passthrough_active(const struct gfs_fs *fs);
/* Marks the open reply this thread sends next (0: none). */
void gfs_passthrough_reply_with(int backing_id);

/* uring.c */
/* Starts the CPU queues' workers once the INIT reply took io_uring. */
void gfs_uring_start(struct gfs_fs *fs);
/* Whether requests come over io_uring (for status). */
bool gfs_uring_active(const struct gfs_fs *fs);
/* Joins the workers after the unmount ended them. */
void gfs_uring_stop(struct gfs_fs *fs);
/*
 * Takes the reply in iov if it answers the ring request this thread is
 * serving, setting *written as writev would; false for anything else.
 */
bool gfs_uring_capture(const struct iovec *iov, int count, ssize_t *written);

/* scope.c */
/*
 * Wraps the handlers in ops so that each request holds the inodes it
 * names (their fds stay open) from before its handler runs until it
 * returns, and each open file counts against fd_budget. The handlers
 * move to fs->inner_ops.
 */
void gfs_scope_wrap(struct gfs_fs *fs, struct fuse_lowlevel_ops *ops);

/* The operation tables, split by concern. */
void gfs_ops_entry_fill(struct fuse_lowlevel_ops *ops);
void gfs_ops_file_fill(struct fuse_lowlevel_ops *ops);
/*
 * Ends the files still open once the session loop is over (a SIGTERM
 * while processes hold files of the mount): each write session is
 * recorded as its release would have, then the handle is freed.
 */
void gfs_ops_file_end_all(struct gfs_fs *fs);
void gfs_ops_dir_fill(struct fuse_lowlevel_ops *ops);
void gfs_ops_xattr_fill(struct fuse_lowlevel_ops *ops);

/* Fills e for inode (attributes from st) with the mount's timeouts. */
void gfs_fs_fill_entry(struct gfs_fs *fs, struct fuse_entry_param *e,
		       struct gfs_inode *inode, const struct stat *st);

/* How gfs_fs_do_lookup looks a name up. */
enum {
	GFS_LOOKUP_AUDIT = 1 << 0,  /* a refusal goes to the audit trail */
	GFS_LOOKUP_LISTED = 1 << 1, /* for a listing: a file gets no fd yet */
};

/* Looks up name under parent as the kernel would (flags: GFS_LOOKUP_*). */
int gfs_fs_do_lookup(struct gfs_fs *fs, fuse_req_t req,
		     struct gfs_inode *parent, const char *name,
		     struct fuse_entry_param *e, unsigned flags);

static inline struct gfs_fs *gfs_fs_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

#endif
